"""Explanation checks on DuckDB: a seeded sample, stratified by the sensitive groups and the label,
collected to the driver; every explain.* finding and the report say so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engine_helpers import LENDING, german_model_and_decisions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.engines import choose
from responsible_ai.engines.sample import sample_with_duckdb
from responsible_ai.errors import InputError
from responsible_ai.policy.schema import DataRoles

SAMPLED = "explained on a stratified sample of {n} of 1000 rows (DuckDB; strata: sex and age_group"


def _small_sample_policy(folder: Path, rows: int = 300, prediction: str = "") -> str:
    # rai check takes --model or --prediction: with both, the policy names the prediction column.
    path = folder / f"lending-{rows}.yaml"
    roles = f"data:\n  prediction: {prediction}\n" if prediction else ""
    path.write_text(
        f"name: lending-sampled\nextends: {LENDING}\n{roles}"
        f"explain:\n  engine_sample_size: {rows}\n"
    )
    return str(path)


def _parquet(folder: Path, parts: int = 1) -> str:
    _model, data = german_model_and_decisions()
    data = data.drop(columns=["weight"])
    size = -(-len(data) // parts)
    for i, start in enumerate(range(0, len(data), size)):
        data.iloc[start : start + size].to_parquet(folder / f"part-{i}.parquet")
    return str(folder / "part-*.parquet") if parts > 1 else str(folder / "part-0.parquet")


def _explain_findings(report):
    return [f for f in report.checks if f.metric.startswith("explain.")]


def test_explain_checks_run_on_a_stratified_sample(tmp_path: Path) -> None:
    model, data = german_model_and_decisions()
    policy = _small_sample_policy(tmp_path)
    report = audit(_parquet(tmp_path), policy, model=model, prediction="approved", engine="duckdb")
    explanation = report.explanation
    n = explanation.rows_explained
    assert 300 <= n < 400  # proportional shares, plus the minimum of the small strata
    assert explanation.rows_total == 1000
    findings = _explain_findings(report)
    assert len(findings) == 5
    for finding in findings:
        assert finding.status != "error", finding.message
        assert finding.evidence["explained_on"].startswith(SAMPLED.format(n=n))
        assert finding.evidence["rows_explained"] == n
        assert finding.evidence["rows_total"] == 1000
    faithful = next(f for f in report.checks if f.id == "explanation-faithful")
    assert faithful.value < 1e-9  # additivity holds on the sample
    counterfactual = [f for f in report.checks if f.metric == "fairness.counterfactual_flip_rate"]
    assert counterfactual and all(f.status != "error" for f in counterfactual)  # on the sample too
    assert SAMPLED.format(n=n) in report.to_markdown()
    # Every stratum (sex x age group x credit) is there, with at least its minimum of rows.
    sample = explanation.data.join(explanation.groups.add_suffix("_group"))
    frame = data.assign(sex=data["sex"].fillna("(missing)"))
    strata = frame.groupby(["sex", "age_group", "credit"]).size()
    picked = explanation._frame.groupby(["sex", "age_group", "credit"]).size()
    assert set(picked.index) == set(strata.index)
    assert (picked >= np.minimum(strata, 30)).all()
    assert len(sample) == n


def test_the_sample_does_not_depend_on_how_the_files_are_split(tmp_path: Path) -> None:
    model, _data = german_model_and_decisions()
    roles = DataRoles(target="credit", prediction="approved", sensitive=["sex", "age_group"])
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    whole = sample_with_duckdb(
        _parquet(tmp_path / "one"), model, roles, 200, min_per_group=10, seed=7
    )
    parts = sample_with_duckdb(
        _parquet(tmp_path / "three", parts=3), model, roles, 200, min_per_group=10, seed=7
    )
    pd.testing.assert_frame_equal(whole.frame, parts.frame)
    other = sample_with_duckdb(
        _parquet(tmp_path / "one"), model, roles, 200, min_per_group=10, seed=8
    )
    assert not whole.frame.equals(other.frame)  # the seed decides which rows


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    wanted=st.integers(10, 120),
    minimum=st.integers(1, 20),
)
def test_each_stratum_gets_its_share_and_its_minimum(
    tmp_path: Path, sizes: list[int], wanted: int, minimum: int
) -> None:
    groups = np.repeat([f"g{i}" for i in range(len(sizes))], sizes)
    frame = pd.DataFrame({"g": groups, "x": np.arange(len(groups), dtype=float), "y": 1})
    path = tmp_path / "strata.parquet"
    frame.to_parquet(path)
    roles = DataRoles(prediction="y", sensitive=["g"], features=["x"])
    drawn = sample_with_duckdb(path, object(), roles, wanted, min_per_group=minimum, seed=1)
    got = drawn.frame.groupby("g").size().to_dict()
    total = len(frame)
    for name, rows in zip([f"g{i}" for i in range(len(sizes))], sizes, strict=True):
        share = int(np.round(wanted * rows / total))  # DuckDB rounds half away from zero
        assert abs(got[name] - min(rows, max(share, minimum))) <= 1
    assert drawn.rows_total == total
    assert set(drawn.frame["x"]) <= set(frame["x"])  # rows of the data, each once
    assert drawn.frame["x"].is_unique


def test_explain_checks_without_a_model_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = _parquet(tmp_path)
    message = choose.NEEDS_MODEL.format(
        check="no-direct-reliance", metric="explain.sensitive_attribution_share", engine="duckdb"
    )
    with pytest.raises(InputError, match=r"needs a model: give it \(--model\)"):
        audit(path, LENDING, prediction="approved", engine="duckdb")
    assert "--engine pandas" in message


def test_rai_check_with_a_model_on_duckdb(tmp_path: Path, capsys) -> None:
    from responsible_ai.reference_models import save_reference_model

    model_file = save_reference_model("german_credit", tmp_path)
    policy = _small_sample_policy(tmp_path, prediction="approved")
    args = ["check", _parquet(tmp_path, parts=2), "--policy", policy, "--model", str(model_file)]
    code = main([*args, "--engine", "duckdb", "--format", "md"])
    printed = capsys.readouterr().out
    assert code == 1  # the reference model fails the lending policy's equal-opportunity check
    assert "counted by DuckDB over 2 parquet file(s)" in printed
    assert "Rows: explained on a stratified sample of" in printed


def test_a_stratum_the_filter_starved_is_read_again_in_full(tmp_path: Path, monkeypatch) -> None:
    from responsible_ai.engines import sample

    model, _data = german_model_and_decisions()
    roles = DataRoles(target="credit", prediction="approved", sensitive=["sex", "age_group"])
    path = _parquet(tmp_path)
    usual = sample_with_duckdb(path, model, roles, 200, min_per_group=10, seed=3)
    monkeypatch.setattr(sample, "_SIGMAS", -50.0)  # the key filter keeps (almost) nothing
    starved = sample_with_duckdb(path, model, roles, 200, min_per_group=10, seed=3)
    pd.testing.assert_frame_equal(starved.frame, usual.frame)
    assert starved.rows_total == usual.rows_total == 1000
