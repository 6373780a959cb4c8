"""Thousands of groups: the vectorised significance tests, intervals and bootstrap give the very
numbers of fairlearn and of the one-group-at-a-time reference they replaced."""

from __future__ import annotations

import math
from functools import cache

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.fairness.groups import count_groups
from responsible_ai.fairness.uncertainty import (
    adjust_p_values,
    bootstrap_blocks,
    bootstrap_cells,
    two_proportion_test,
    two_proportion_tests,
)

GROUPS = 500
TOLERANCE = 1e-12


@cache
def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = 12 * GROUPS
    # Every group present; a skewed share gives small groups (Fisher) and large ones (z-test).
    share = 1.0 / np.arange(1, GROUPS + 1)
    drawn = rng.choice(GROUPS, rows - GROUPS, p=share / share.sum())
    group = np.concatenate([np.arange(GROUPS), drawn])
    return pd.DataFrame(
        {
            "g": group.astype(str),
            "y": rng.integers(0, 2, rows),
            "p": (rng.random(rows) < 0.4).astype(int),
        }
    )


def _report(metric: str, method: str = "between_groups", n_boot: int = 200):  # type: ignore[no-untyped-def]
    policy = {
        "name": "many-groups",
        "version": "1",
        "data": {"target": "y", "prediction": "p", "positive_label": 1, "sensitive": ["g"]},
        "fairness": {"n_boot": n_boot},
        "checks": [{"id": "c", "metric": metric, "must": ">= 0", "params": {"method": method}}],
    }
    return audit(_frame(), policy, seed=3)


def test_values_equal_fairlearn_on_many_groups() -> None:
    frame = _frame()
    y, p, g = frame["y"].to_numpy(), frame["p"].to_numpy(), frame["g"]
    report = _report("fairness.demographic_parity_difference")
    expected = flm.demographic_parity_difference(y, p, sensitive_features=g)
    assert report.checks[0].value == pytest.approx(expected, abs=TOLERANCE)
    frame_metrics = flm.MetricFrame(
        metrics=flm.selection_rate, y_true=y, y_pred=p, sensitive_features=g
    ).by_group
    rates = {row["group"]: row["selection_rate"] for row in report.checks[0].evidence["groups"]}
    assert len(rates) == GROUPS
    for label, rate in frame_metrics.items():
        assert rates[str(label)] == pytest.approx(rate, abs=TOLERANCE)
    odds = _report("fairness.equalized_odds_difference", n_boot=0)
    expected = flm.equalized_odds_difference(y, p, sensitive_features=g)
    assert odds.checks[0].value == pytest.approx(expected, abs=TOLERANCE)


def _reference_tests(frame: pd.DataFrame, method: str) -> list[tuple[str, str, float]]:
    """The significance step as it was: one test per group, each against its comparison."""
    counts = count_groups(frame, ["g"], frame["p"].to_numpy() == 1, frame["y"].to_numpy() == 1)
    hits, trials = counts.row_cells["pp"], counts.row_cells["n"]
    rates = hits / trials
    anchor = None if method == "to_overall" else int(np.argmax(rates))
    found = []
    for g in range(len(counts.groups)):
        if g == anchor:
            continue
        if anchor is None:
            x2, n2 = hits.sum() - hits[g], trials.sum() - trials[g]
        else:
            x2, n2 = hits[anchor], trials[anchor]
        p_value, test = two_proportion_test(float(hits[g]), float(trials[g]), x2, n2)
        found.append((counts.labels[g], test, p_value))
    return found


@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
def test_significance_equals_the_per_group_reference(method: str) -> None:
    report = _report("fairness.selection_rate_ratio", method=method, n_boot=0)
    tests = report.checks[0].evidence["significance"]["tests"]
    reference = _reference_tests(_frame(), method)
    assert len(tests) == len(reference) == GROUPS - (method == "between_groups")
    if method == "to_overall":  # against the rest of the data, large groups get the z-test
        assert {t["test"] for t in tests} == {"Fisher's exact test", "two-proportion z-test"}
    for row, (label, test, p_value) in zip(tests, reference, strict=True):
        assert (row["group"], row["test"]) == (label, test)
        assert row["p_value"] == pytest.approx(p_value, rel=TOLERANCE, abs=1e-300)
    adjusted = adjust_p_values([p for _, _, p in reference], "holm")
    assert [t["adjusted_p_value"] for t in tests] == pytest.approx(adjusted, rel=1e-9)


def test_group_intervals_are_scipys_wilson_interval_of_each_group() -> None:
    from scipy.stats import binomtest

    report = _report("fairness.selection_rate_ratio")
    evidence = report.checks[0].evidence
    intervals = evidence["group_intervals"]["selection_rate"]
    assert evidence["group_interval_method"] == "wilson"
    frame = _frame()
    counts = count_groups(frame, ["g"], frame["p"].to_numpy() == 1, frame["y"].to_numpy() == 1)
    assert len(intervals) == GROUPS
    hits, trials = counts.row_cells["pp"], counts.row_cells["n"]
    for g, label in enumerate(counts.labels):
        found = binomtest(int(hits[g]), int(trials[g])).proportion_ci(0.95, method="wilson")
        assert intervals[label] == pytest.approx([found.low, found.high], abs=1e-12)


def test_blocks_of_replicates_equal_one_draw() -> None:
    frame = _frame()
    counts = count_groups(frame, ["g"], frame["p"].to_numpy() == 1, frame["y"].to_numpy() == 1)
    whole = bootstrap_cells(counts, 300, np.random.default_rng(5))
    blocks = list(bootstrap_blocks(counts, 300, np.random.default_rng(5), block_cells=7 * 2000))
    assert len(blocks) > 1
    for name, values in whole.items():
        assert np.array_equal(np.vstack([block[name] for block in blocks]), values)


def test_vectorised_tests_equal_scalar_tests_on_edge_cases() -> None:
    x1 = np.array([0, 3, 10, 0, 50, 2, 0])
    n1 = np.array([0, 3, 20, 5, 100, 9, 4])
    x2 = np.array([4, 0, 10, 0, 50, 300, 0])
    n2 = np.array([9, 7, 0, 5, 100, 1000, 6])
    p_values, names = two_proportion_tests(x1, n1, x2, n2)
    for i in range(len(x1)):
        p_value, test = two_proportion_test(*(float(a[i]) for a in (x1, n1, x2, n2)))
        assert names[i] == test
        assert (math.isnan(p_value) and math.isnan(p_values[i])) or p_values[i] == pytest.approx(
            p_value, rel=TOLERANCE
        )
