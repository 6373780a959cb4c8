"""What blocks a run is counted by why; a second waiver of a check replaces the first, visibly."""

from __future__ import annotations

from datetime import date

import pytest

from responsible_ai.checker.findings import Finding
from responsible_ai.errors import InputError
from responsible_ai.report.model import Report
from responsible_ai.review import Review, run_review_state, waiver_standing

TODAY = date(2026, 11, 29)


def _report(*statuses: str) -> Report:
    checks = [
        Finding(
            id=f"check-{i}-{status}",
            metric="fairness.selection_rate_ratio",
            status=status,
            severity="high",
            value=0.5,
            operator=">=",
            threshold=0.8,
        )
        for i, status in enumerate(statuses)
    ]
    return Report(
        verdict="fail",
        checks=checks,
        policy={"name": "p", "version": "1", "fail_on": "high"},
        inputs={"data": {"path": None, "sha256": "0" * 64}},
    )


def _waiver(run: int, check: str, why: str, until: date, seq: int = 0) -> Review:
    return Review(
        run, "waive", "Ada", "seen", check_id=check, justification=why, expires_on=until, seq=seq
    )


def test_blocking_checks_are_counted_by_why() -> None:
    report = _report("fail", "insufficient_evidence", "pass", "warn")
    state = run_review_state(report, [], today=TODAY)
    assert state.failing == ["check-0-fail"]
    assert state.undecided == ["check-1-insufficient_evidence"]
    assert state.blocking_text == "1 fails, 1 lacks evidence"
    both = run_review_state(
        _report("fail", "fail", "error", "insufficient_evidence", "insufficient_evidence"),
        [],
        today=TODAY,
    )
    assert both.blocking_text == "2 fail, 1 could not be computed, 2 lack evidence"
    waived = run_review_state(
        report, [_waiver(1, "check-0-fail", "known", date(2027, 1, 1), 1)], today=TODAY
    )
    assert waived.blocking_text == "1 lacks evidence"
    assert run_review_state(_report("pass"), [], today=TODAY).blocking_text == "nothing blocks"


def test_the_sample_audit_counts_one_failure_and_one_undecided(failing_report) -> None:
    state = run_review_state(failing_report, [], today=TODAY)
    assert len(state.blocking) == len(state.failing) + len(state.errors) + len(state.undecided)
    assert "fail" in state.blocking_text


def test_a_later_waiver_replaces_the_earlier_and_says_so() -> None:
    reviews = [
        _waiver(1, "a", "first reason", date(2027, 1, 1), seq=1),
        _waiver(1, "a", "second reason", date(2027, 3, 1), seq=2),
        _waiver(1, "b", "old", date(2026, 11, 1), seq=3),
    ]
    assert waiver_standing(reviews, TODAY) == {
        1: "replaced by #2",
        2: "active until 2027-03-01",
        3: "expired on 2026-11-01",
    }


def test_an_identical_second_waiver_is_refused_a_different_one_replaces(
    store, failing_report
) -> None:
    run = store.save_run(failing_report)
    check = next(f.id for f in failing_report.checks if f.status == "fail")
    first = store.add_review(_waiver(run, check, "retraining due", date(2027, 1, 31)), today=TODAY)
    with pytest.raises(
        InputError, match=r"already has this waiver \(review #1 by .*until 2027-01-31\)"
    ):
        store.add_review(_waiver(run, check, "retraining due", date(2027, 1, 31)), today=TODAY)
    second = store.add_review(_waiver(run, check, "retraining due", date(2027, 2, 28)), today=TODAY)
    standing = waiver_standing(store.reviews(run), TODAY)
    assert standing == {
        first.seq: f"replaced by #{second.seq}",
        second.seq: "active until 2027-02-28",
    }


def test_rai_store_runs_counts_what_blocks_in_the_apps_words(store, failing_report, capsys) -> None:
    from responsible_ai.cli import main

    run = store.save_run(failing_report, label="sample")
    expected = run_review_state(failing_report, [], today=TODAY).blocking_text
    assert main(["store", "runs", "--store", store.url]) == 0
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if line.strip().startswith(str(run)))
    assert expected in " ".join(printed.split())
    assert "pending" in line
