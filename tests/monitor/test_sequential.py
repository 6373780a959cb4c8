"""The sequential test: anytime-valid under the null (measured), and quick once the gap opens."""

from __future__ import annotations

import pytest

from responsible_ai.monitor.sequential import run_sequential, simulate_false_alarms


@pytest.mark.parametrize("gap", [0.0, 0.1])
def test_false_alarms_stay_below_alpha_over_a_year_of_windows(gap) -> None:
    # The worst case of the null is a gap equal to the tolerance (0.1): 365 looks, alpha 0.05.
    rate = simulate_false_alarms(gap, 0.1, 0.05, runs=300, random_state=3)
    assert rate <= 0.05 + 0.03  # 0.05 plus three binomial standard errors of 300 runs


def test_a_gap_above_tolerance_alarms_soon_after_it_starts() -> None:
    windows = [f"{i:03d}" for i in range(120)]
    hits, sizes = [], []
    for i in range(120):
        young = 0.6 if i < 60 else 0.3
        hits.append({"old": 0.7 * 250, "young": young * 50})
        sizes.append({"old": 250.0, "young": 50.0})
    result = run_sequential(windows, hits, sizes, tolerance=0.2, alpha=0.05, lookback=7)
    alarm = result.alarm
    assert alarm is not None
    assert (alarm.high, alarm.low) == ("old", "young")
    assert 60 <= int(str(alarm.alarm_window)) <= 70


def test_groups_too_small_sit_the_window_out() -> None:
    result = run_sequential(
        ["a"],
        [{"x": 1.0, "y": 0.0}],
        [{"x": 1.0, "y": 1.0}],
        tolerance=0.0,
        alpha=0.05,
        lookback=3,
        min_rows=5,
    )
    assert all(gap is None for pair in result.pairs for gap in pair.gaps)
    assert result.alarm is None
