"""On the shipped log the planted alerts fire, soon after they start; on a clean log none does."""

from __future__ import annotations

from datetime import date

import pytest

from responsible_ai.monitor.run import monitor

from .conftest import POLICY, REFERENCE

PLANTED = date(2025, 7, 1)


def _finding(run, rule):
    return next(f for f in run.report.checks if f.id == rule)


def _days_after_start(window: str) -> int:
    return (date.fromisoformat(window) - PLANTED).days


def test_the_fairness_degradation_is_caught_within_days(shipped_run) -> None:
    sequential = _finding(shipped_run, "approval-gap-age-sequential")
    assert sequential.status == "fail"
    assert 0 <= _days_after_start(sequential.evidence["alert_window"]) <= 10
    assert sequential.evidence["pair"] == ["25 and over", "under 25"]
    week = _finding(shipped_run, "approval-gap-age-week")
    assert week.status == "fail"
    assert 0 <= _days_after_start(week.evidence["alert_window"]) <= 10


def test_the_drift_alert_names_the_planted_feature_only(shipped_run) -> None:
    found = _finding(shipped_run, "input-drift")
    assert found.status == "fail"
    assert found.evidence["alerted"] == ["credit_amount"]
    when = found.evidence["features"]["credit_amount"]["alert_window"]
    assert 0 <= _days_after_start(when) <= 5


def test_the_verdict_fails_and_every_window_is_there(shipped_run) -> None:
    assert shipped_run.report.verdict == "fail"
    assert len(shipped_run.windows) == 365
    assert shipped_run.report.inputs["data"]["rows"] == 110186


def test_labels_that_have_not_arrived_are_estimated_per_group(shipped_run) -> None:
    last = shipped_run.windows[-1]
    assert last["labelled"] == 0
    young = last["performance"]["age_group"]["accuracy"]["under 25"]
    assert young["realised"] is None
    assert young["low"] <= young["estimated"] <= young["high"]
    # Where labels exist, the estimate's interval holds the realised accuracy most of the time.
    early = [
        w["performance"]["age_group"]["accuracy"]["25 and over"] for w in shipped_run.windows[:150]
    ]
    covered = sum(g["low"] <= g["realised"] <= g["high"] for g in early)
    assert covered / len(early) >= 0.85


@pytest.fixture(scope="module")
def clean_logs(tmp_path_factory):
    from responsible_ai.monitor.sample import make_german_credit_logs, write_monthly_logs

    folder = tmp_path_factory.mktemp("clean")
    logs = make_german_credit_logs(
        rows_per_day=200, drift_from=None, unfair_from=None, random_state=11
    )
    write_monthly_logs(logs, folder)
    return folder


def test_a_clean_log_raises_no_alert(clean_logs) -> None:
    run = monitor(clean_logs, POLICY, reference=REFERENCE)
    statuses = {f.id: f.status for f in run.report.checks}
    assert statuses == {
        "approval-gap-age-week": "pass",
        "input-drift": "pass",
        "approval-gap-age-sequential": "pass",
    }
    assert run.report.verdict == "pass"
