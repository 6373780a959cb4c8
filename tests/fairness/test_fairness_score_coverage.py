"""A fast, seeded coverage check of every score, regression and attribution-gap interval.

The populations of ``benchmarks/coverage_scores.py`` (true values known in closed form), two
per statistic, a few hundred samples each: a regression in an interval method fails here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import benchmarks.coverage_scores as harness
from responsible_ai.auditing import audit
from responsible_ai.fairness.intervals import SIMULTANEOUS_METHOD
from responsible_ai.fairness.score_intervals import AUC_METHOD, ECE_METHOD
from responsible_ai.fairness.scores import MAE_METHOD, RMSE_METHOD

SAMPLES = 150
POPULATIONS = ((300, 2, "balanced"), (600, 3, "imbalanced"))
# MAE and RMSE with heavy-tailed errors (t with 5 degrees of freedom), RMSE with normal ones.
METRICS = (
    "roc_auc",
    "calibration_gap",
    "expected_calibration_error",
    "mean_absolute_error_t5",
    "root_mean_squared_error",
    "root_mean_squared_error_t5",
)


def floor(samples: int) -> float:
    """The lowest coverage a 95% interval may show in ``samples`` draws (3 binomial sd)."""
    return 0.95 - 3 * math.sqrt(0.95 * 0.05 / samples)


@pytest.fixture
def small_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "GRID", POPULATIONS)
    monkeypatch.setattr(harness, "_n_boot", lambda rows: 100)


@pytest.mark.usefixtures("small_grid")
@pytest.mark.parametrize("metric", METRICS)
def test_score_and_regression_intervals_cover_the_truth(metric: str) -> None:
    for case in harness.score_cases(metric, SAMPLES, seed=11):
        assert case["coverage"] >= floor(case["samples"]), case


@pytest.mark.usefixtures("small_grid")
def test_attribution_gap_interval_covers_the_truth() -> None:
    cases = harness.attribution_cases(SAMPLES, seed=11, resamples=100)
    assert len(cases) == len(POPULATIONS)
    for case in cases:
        assert case["coverage"] >= floor(case["samples"]), case


@pytest.mark.usefixtures("small_grid")
def test_the_old_ece_interval_misses_the_truth() -> None:
    # Why ECE has its own interval: the row bootstrap centres on the biased binned estimate.
    before = harness.score_cases("expected_calibration_error", SAMPLES, seed=11, before=True)
    assert min(case["coverage"] for case in before) < floor(SAMPLES)


def test_audit_reports_the_method_of_auc_and_ece_intervals() -> None:
    rng = np.random.default_rng(5)
    truth = rng.random(1200) < 0.4
    group = rng.choice(["a", "b", "c"], 1200)
    data = pd.DataFrame(
        {"group": group, "y": truth.astype(int), "p": 1 / (1 + np.exp(-rng.normal(truth, 1)))}
    )
    policy = {
        "name": "scores",
        "data": {"target": "y", "score": "p", "sensitive": ["group"]},
        "checks": [
            {"id": "auc", "metric": "fairness.roc_auc_difference", "must": "<= 0.5"},
            {
                "id": "ece",
                "metric": "fairness.expected_calibration_error_group_max",
                "must": "<= 0.5",
            },
        ],
    }
    auc, ece = audit(data, policy).checks
    assert auc.interval["method"] == AUC_METHOD
    assert ece.interval["method"] == ECE_METHOD
    for check in (auc, ece):
        assert check.interval["low"] <= check.value <= check.interval["high"]
        assert set(check.evidence["group_intervals"][check.evidence["group_metrics"][0]]) == {
            "a",
            "b",
            "c",
        }


def test_largest_calibration_gap_difference_over_many_groups_covers_the_truth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The percentile bootstrap of the extreme covered 78% here; Sidak group bounds hold.
    monkeypatch.setattr(harness, "GRID", ((2_000, 10, "balanced"),))
    monkeypatch.setattr(harness, "_n_boot", lambda rows: 100)
    difference, _ = harness.score_cases("calibration_gap", SAMPLES, seed=11)
    assert difference["statistic"] == "calibration_gap_difference"
    assert difference["coverage"] >= floor(difference["samples"]), difference


def test_attribution_gap_over_ten_groups_covers_the_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    # The percentile bootstrap of the extreme covered 91% here; Sidak group bounds hold.
    monkeypatch.setattr(harness, "GRID", ((2_000, 10, "balanced"),))
    (case,) = harness.attribution_cases(SAMPLES, seed=11, resamples=100)
    assert case["coverage"] >= floor(case["samples"]), case
    assert case["coverage"] >= 0.97, case  # bounds over-cover; the old interval did not


def test_audit_reports_the_simultaneous_method_over_more_than_two_groups() -> None:
    rng = np.random.default_rng(6)
    score = rng.uniform(0.1, 0.9, 900)
    data = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c"], 900),
            "y": (rng.random(900) < score).astype(int),
            "p": score,
        }
    )
    policy = {
        "name": "gaps",
        "data": {"target": "y", "score": "p", "sensitive": ["group"]},
        "checks": [
            {"id": "gap", "metric": "fairness.calibration_gap_difference", "must": "<= 0.5"}
        ],
    }
    (check,) = audit(data, policy).checks
    assert check.interval["method"] == SIMULTANEOUS_METHOD
    assert check.interval["low"] <= check.value <= check.interval["high"]


def test_rmse_with_heavy_tailed_errors_holds_in_groups_of_100_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The percentile row bootstrap covered 89% here and the studentized one 90%: a group of 100
    # rows rarely shows the tail of t(5) errors. The log-scale t interval borrows the kurtosis
    # of all groups and holds.
    monkeypatch.setattr(harness, "GRID", ((200, 2, "balanced"), (2_000, 10, "balanced")))
    cases = harness.score_cases("root_mean_squared_error_t5", 400, seed=13)
    for case in cases:
        assert case["method"].startswith(RMSE_METHOD), case
        assert case["coverage"] >= floor(case["samples"]), case


def test_mae_with_heavy_tailed_errors_holds_in_groups_of_27_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Absolute errors are skewed: the percentile row bootstrap covered 92.5% in the three
    # groups of 27 rows here; the log-scale t interval holds.
    monkeypatch.setattr(harness, "GRID", ((200, 4, "imbalanced"),))
    for case in harness.score_cases("mean_absolute_error_t5", 400, seed=13):
        assert case["method"].startswith(MAE_METHOD), case
        assert case["coverage"] >= floor(case["samples"]), case


def test_a_group_without_a_visible_tail_borrows_the_others_kurtosis() -> None:
    # Group "a" shows light-tailed errors; with heavy-tailed errors in group "b" its interval
    # widens, because its own rows understate how its squared errors can spread.
    from responsible_ai.fairness.groups import GroupIndex
    from responsible_ai.fairness.scores import row_sums

    rng = np.random.default_rng(3)
    light = rng.uniform(-1.7, 1.7, 100)

    def width_of_a(errors_b: np.ndarray) -> float:
        errors = np.concatenate([light, errors_b])
        index = GroupIndex(("g",), [("a",), ("b",)], np.repeat([0, 1], [100, len(errors_b)]))
        sums = row_sums("root_mean_squared_error", index, errors, np.zeros(len(errors)))
        assert sums is not None
        draws, _ = sums.replicates(np.ones(len(errors)), 2000, np.random.default_rng(0))
        low, high = np.percentile(draws[:, 0], [2.5, 97.5])
        return float(high - low)

    assert width_of_a(rng.standard_t(3, 1000)) > 1.3 * width_of_a(rng.uniform(-1.7, 1.7, 1000))


def test_audit_names_the_rmse_method() -> None:
    rng = np.random.default_rng(8)
    predicted = rng.normal(size=600)
    data = pd.DataFrame(
        {
            "group": rng.choice(["a", "b"], 600),
            "y": predicted + rng.standard_t(5, 600),
            "p": predicted,
        }
    )
    policy = {
        "name": "errors",
        "data": {"sensitive": ["group"]},
        "checks": [
            {
                "id": "rmse",
                "metric": "fairness.root_mean_squared_error_difference",
                "by": "group",
                "must": "<= 5",
                "params": {"prediction": "p", "target": "y"},
            }
        ],
    }
    (check,) = audit(data, policy).checks
    assert check.interval["method"] == RMSE_METHOD
    assert check.interval["low"] <= check.value <= check.interval["high"]
