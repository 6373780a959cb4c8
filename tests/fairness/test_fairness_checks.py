"""How fairness checks compare groups: exclusions, reference groups, intervals, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.checker.evaluate import NO_INTERVAL
from responsible_ai.fairness.checks import (
    NO_REFERENCE,
    NO_ROW_BOOTSTRAP,
    RATIO_UNDEFINED,
    TOO_FEW_GROUPS,
)
from responsible_ai.fairness.score_intervals import AUC_METHOD, ECE_METHOD


def frame(sizes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Groups with (rows, selected rows); the target equals the decision."""
    rows = []
    for group, (count, selected) in sizes.items():
        rows += [{"group": group, "decision": int(i < selected)} for i in range(count)]
    data = pd.DataFrame(rows)
    return data.assign(truth=data["decision"])


def run(data: pd.DataFrame, check: dict, **fairness) -> object:
    policy = {
        "name": "t",
        "data": {"prediction": "decision", "target": "truth", "sensitive": ["group"]},
        "fairness": fairness,
        "checks": [{"id": "c", "must": ">= 0.8", **check}],
    }
    return audit(data, policy).checks[0]


def test_small_groups_are_excluded_and_listed_with_the_reason() -> None:
    data = frame({"a": (100, 50), "b": (100, 45), "tiny": (5, 0)})
    finding = run(data, {"metric": "fairness.selection_rate_ratio"}, min_group_size=10)
    assert finding.value == pytest.approx(0.9)
    assert finding.evidence["excluded_groups"] == ["tiny"]
    (excluded,) = finding.evidence["exclusions"]
    assert excluded["count"] == 5
    assert "5 rows < min_group_size 10" in excluded["reason"]
    tiny = next(row for row in finding.evidence["groups"] if row["group"] == "tiny")
    assert tiny["included"] is False and tiny["selection_rate"] == 0.0


def test_groups_below_the_share_are_excluded_like_nyc_ll144_allows() -> None:
    data = frame({"a": (490, 245), "b": (500, 200), "rare": (10, 0)})
    kept = run(data, {"metric": "fairness.selection_rate_ratio"})
    assert kept.value == 0.0  # the rare group counts without the share rule
    finding = run(data, {"metric": "fairness.selection_rate_ratio"}, min_group_share=0.02)
    assert finding.value == pytest.approx(0.4 / 0.5)
    assert finding.evidence["exclusions"][0]["reason"] == "share 1.00% < min_group_share 2.00%"
    table = {row["group"]: row for row in finding.evidence["impact_ratios"]}
    assert table["b"]["impact_ratio"] == pytest.approx(0.8)
    assert table["rare"]["impact_ratio"] is None and table["rare"]["count"] == 10


def test_to_reference_compares_each_group_with_the_named_group() -> None:
    data = frame({"a": (100, 50), "b": (100, 40), "c": (100, 60)})
    check = {"metric": "fairness.selection_rate_difference", "params": {"method": "to_reference"}}
    finding = run(data, check, reference_group={"group": "a"})
    assert finding.value == pytest.approx(0.1)
    assert finding.evidence["reference_group"] == "a"
    versus = {t["group"]: t["versus"] for t in finding.evidence["significance"]["tests"]}
    assert versus == {"b": "a", "c": "a"}


def test_to_reference_without_a_reference_group_is_an_error_that_says_how() -> None:
    data = frame({"a": (100, 50), "b": (100, 40)})
    check = {"metric": "fairness.selection_rate_ratio", "params": {"method": "to_reference"}}
    finding = run(data, check)
    assert finding.status == "error"
    assert NO_REFERENCE.format(columns="'group'") in finding.message


def test_a_single_group_cannot_be_compared() -> None:
    finding = run(frame({"a": (50, 20)}), {"metric": "fairness.selection_rate_ratio"})
    assert finding.status == "error"
    assert TOO_FEW_GROUPS.format(label="selection rate", found=1, needed=2) in finding.message


def test_constant_predictions() -> None:
    nobody = frame({"a": (50, 0), "b": (50, 0)})
    finding = run(nobody, {"metric": "fairness.selection_rate_ratio"})
    assert finding.status == "error"
    assert RATIO_UNDEFINED.format(label="selection rate") in finding.message
    everybody = frame({"a": (50, 50), "b": (50, 50)})
    assert run(everybody, {"metric": "fairness.selection_rate_ratio"}).value == 1.0


def test_decide_on_interval_on_a_small_sample_is_insufficient_evidence() -> None:
    # ratio 0.8 / 1.0 on 40 rows: the interval straddles 0.8
    data = frame({"a": (20, 16), "b": (20, 20)})
    finding = run(data, {"metric": "fairness.selection_rate_ratio", "decide_on": "interval"})
    assert finding.status == "insufficient_evidence"
    assert finding.interval["low"] < 0.8 < finding.interval["high"]
    assert "straddles >= 0.8" in finding.message


def test_decide_on_interval_passes_and_fails_when_the_interval_is_clear() -> None:
    fair = frame({"a": (2000, 1000), "b": (2000, 980)})
    check = {"metric": "fairness.selection_rate_ratio", "decide_on": "interval"}
    assert run(fair, check).status == "pass"
    unfair = frame({"a": (2000, 1000), "b": (2000, 500)})
    assert run(unfair, check).status == "fail"


def test_decide_on_interval_without_an_interval_is_an_error() -> None:
    data = frame({"a": (20, 16), "b": (20, 20)})
    finding = run(
        data, {"metric": "fairness.selection_rate_ratio", "decide_on": "interval"}, n_boot=0
    )
    assert finding.status == "error"
    assert finding.message == NO_INTERVAL.format(metric="fairness.selection_rate_ratio")


def test_intervals_are_seeded_and_contain_the_value() -> None:
    data = frame({"a": (300, 120), "b": (300, 150)})
    check = {"metric": "fairness.demographic_parity_difference"}
    first, second = run(data, check), run(data, check)
    assert first.interval == second.interval
    assert first.interval["low"] < first.value < first.interval["high"]
    lows = first.evidence["group_intervals"]["selection_rate"]["a"]
    assert lows[0] < 0.4 < lows[1]


def test_intersectional_groups_are_labelled_by_both_values() -> None:
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], 400),
            "race": rng.choice(["x", "y"], 400),
            "decision": rng.integers(0, 2, 400),
        }
    )
    data["truth"] = data["decision"]
    data["group"] = "all"
    finding = run(data, {"metric": "fairness.selection_rate_ratio", "by": ["sex", "race"]})
    labels = [row["group"] for row in finding.evidence["groups"]]
    assert labels == ["f / x", "f / y", "m / x", "m / y"]
    assert finding.evidence["groups"][0]["values"] == {"sex": "f", "race": "x"}


def test_every_fairness_metric_is_listed_by_rai_metrics(capsys: pytest.CaptureFixture) -> None:
    from responsible_ai.cli import main
    from responsible_ai.fairness.catalog import DISPARITIES

    assert main(["metrics"]) == 0
    listed = capsys.readouterr().out
    for metric_id in DISPARITIES:
        assert f"{metric_id} " in listed


def test_regression_without_a_target_column_says_which_param_to_set() -> None:
    from responsible_ai.fairness.checks import NO_REGRESSION_COLUMN

    data = pd.DataFrame({"group": ["a", "b"] * 10, "amount": np.arange(20.0)})
    policy = {
        "name": "r",
        "data": {"sensitive": ["group"]},
        "checks": [
            {
                "id": "mae",
                "metric": "fairness.mean_absolute_error_difference",
                "must": "<= 1",
                "params": {"target": "amount"},
            }
        ],
    }
    (finding,) = audit(data, policy).checks
    assert finding.status == "error"
    assert NO_REGRESSION_COLUMN.format(role="prediction") in finding.message


def test_score_metrics_get_row_bootstrap_intervals_and_auc_gets_delong() -> None:
    rng = np.random.default_rng(3)
    truth = rng.random(600) < 0.5
    data = pd.DataFrame(
        {
            "group": np.repeat(["a", "b"], 300),
            "truth": truth.astype(int),
            "p": np.clip(0.5 + 0.3 * (truth - 0.5) + rng.normal(0, 0.15, 600), 0, 1),
        }
    )
    policy = {
        "name": "scores",
        "data": {"target": "truth", "score": "p", "sensitive": ["group"]},
        "checks": [
            {
                "id": "ece",
                "metric": "fairness.expected_calibration_error_difference",
                "must": "<= 0.5",
                "decide_on": "interval",
            },
            {"id": "auc", "metric": "fairness.roc_auc_difference", "must": "<= 0.5"},
        ],
    }
    first, auc = audit(data, policy).checks
    again = audit(data, policy).checks[0]
    assert first.status == "pass", first.message
    assert first.interval == again.interval  # seeded
    assert first.interval["low"] <= first.value <= first.interval["high"]
    assert set(first.evidence["group_intervals"]["expected_calibration_error"]) == {"a", "b"}
    assert first.interval["method"] == ECE_METHOD
    assert auc.interval["method"] == AUC_METHOD
    assert auc.interval["low"] <= auc.value <= auc.interval["high"]
    assert set(auc.evidence["group_intervals"]["roc_auc"]) == {"a", "b"}
    weighted = audit(data.assign(w=1.0), policy | {"data": policy["data"] | {"weight": "w"}})
    assert weighted.checks[1].evidence["interval_note"] == NO_ROW_BOOTSTRAP
