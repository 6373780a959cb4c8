"""Parquet input is counted batch by batch and gives the numbers of an in-memory audit."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.fairness.groups import count_groups, merge_counts
from responsible_ai.fairness.parquet import MISSING_COLUMN
from responsible_ai.reference_models import train_reference_model

LENDING = Path(__file__).resolve().parents[2] / "policies" / "german-credit-lending.yaml"
# The lending policy's explanation and counterfactual checks need a model, so they would read the
# whole file; this audit keeps its fairness checks only, which is what streams.
EXPLANATION_CHECKS = (
    "no-direct-reliance",
    "proxy-for-sex",
    "proxy-for-age-group",
    "attribution-gap-age",
    "explanation-faithful",
    "counterfactual-decision",
)


@cache
def german_with_decisions() -> pd.DataFrame:
    model, dataset = train_reference_model("german_credit")
    data = dataset.data.assign(approved=model.predict(dataset.data[dataset.features]))
    data.loc[[3, 500], "sex"] = None  # missing sensitive values form their own group
    return data


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    disabled = "".join(f"  - id: {check}\n    enabled: false\n" for check in EXPLANATION_CHECKS)
    path = tmp_path / "fairness-only.yaml"
    path.write_text(f"name: fairness-only\nextends: {LENDING}\nchecks:\n{disabled}")
    return str(path)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr("responsible_ai.fairness.parquet.BATCH_ROWS", 128)  # 8 batches
    data = german_with_decisions()
    data.to_parquet(tmp_path / "german.parquet")
    data.to_csv(tmp_path / "german.csv", index=False)
    return tmp_path / "german.parquet", tmp_path / "german.csv"


def test_streamed_audit_equals_in_memory_audit(policy_file: str, files: tuple[Path, Path]) -> None:
    parquet, csv = files
    streamed = audit(parquet, policy_file, prediction="approved")
    in_memory = audit(csv, policy_file, prediction="approved")
    assert streamed.inputs["data"]["streamed"] is True
    assert "in 8 batch(es)" in streamed.data_notes[0]
    assert [f.status for f in streamed.checks] == [f.status for f in in_memory.checks]
    for ours, theirs in zip(streamed.checks, in_memory.checks, strict=True):
        if ours.status == "skipped":
            continue
        assert ours.value == pytest.approx(theirs.value, abs=1e-12)
        assert ours.interval == theirs.interval
        assert ours.evidence["groups"] == theirs.evidence["groups"]


def test_merged_counts_equal_counts_of_the_whole() -> None:
    data = german_with_decisions().fillna({"sex": "(missing)"})
    y_pred = (data["approved"] == "good").to_numpy()
    y_true = (data["credit"] == "good").to_numpy()
    weight = np.linspace(0.5, 2, len(data))
    by = ["sex", "age_group"]
    whole = count_groups(data, by, y_pred, y_true, weight)
    parts = [
        count_groups(
            data.iloc[i : i + 300],
            by,
            y_pred[i : i + 300],
            y_true[i : i + 300],
            weight[i : i + 300],
        )
        for i in range(0, len(data), 300)
    ]
    merged = merge_counts(parts)
    assert merged.groups == whole.groups
    np.testing.assert_array_equal(merged.rows, whole.rows)
    np.testing.assert_allclose(merged.weights, whole.weights, rtol=1e-12)


def test_policies_with_score_checks_are_read_into_memory(files: tuple[Path, Path]) -> None:
    parquet, _ = files
    policy = {
        "name": "scores",
        "data": {"target": "credit", "positive_label": "good", "score": "duration"},
        "checks": [
            {"id": "sr", "metric": "fairness.scoring_rate_ratio", "by": "sex", "must": ">= 0"}
        ],
    }
    report = audit(parquet, policy)
    assert "streamed" not in report.inputs["data"]
    assert report.checks[0].status == "pass", report.checks[0].message


def test_a_streamed_audit_cannot_compute_score_counts(files: tuple[Path, Path]) -> None:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.fairness.checks import NO_ROWS_FOR_SCORES, counts_for
    from responsible_ai.fairness.parquet import prepare_streamed
    from responsible_ai.policy.schema import DataRoles, Policy

    parquet, _ = files
    roles = DataRoles(prediction="approved", positive_label="good", sensitive=["age_group"])
    data, _ = prepare_streamed(parquet, roles, [["age_group"]])
    context = AuditContext(data, Policy(name="p"))
    message = NO_ROWS_FOR_SCORES.format(metric="the scoring counts")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        counts_for(context, ["age_group"], "scoring")


def test_rai_check_on_parquet_exit_codes(
    policy_file: str, files: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    parquet, _ = files
    args = ["check", str(parquet), "--policy", policy_file, "--prediction", "approved"]
    assert main(args) == 1  # the lending policy fails on German credit
    assert main([*args[:-1], "no_such_column"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "rai: error: "
        + MISSING_COLUMN.format(role="prediction", column="no_such_column", path=parquet, hint="")
    ]
