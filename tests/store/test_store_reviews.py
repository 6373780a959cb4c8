"""Review rules: signatures, waivers with expiry, approval only without unwaived failures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from responsible_ai.errors import InputError
from responsible_ai.review import (
    NO_COMMENT,
    NO_EXPIRY,
    NO_JUSTIFICATION,
    Review,
    compare_runs,
    effective_findings,
    effective_verdict,
    run_review_state,
)
from responsible_ai.store import Identity

TODAY = date(2026, 11, 29)
FAILING = ("equal-opportunity-age", "four-fifths-rule[age_group]", "four-fifths-rule[sex]")


def _waive(store, run_id, check, until=date(2027, 1, 31)):
    return store.add_review(
        Review(
            run_id,
            "waive",
            "Ada Reviewer",
            "known gap",
            check_id=check,
            justification="retraining with reweighing due in January",
            expires_on=until,
        ),
        today=TODAY,
    )


def test_approval_refused_while_a_blocking_check_fails(store, failing_report):
    run = store.save_run(failing_report)
    with pytest.raises(InputError, match=r"cannot approve: 3 check\(s\) fail the verdict"):
        store.add_review(Review(run, "approve", "Ada", "looks fine"), today=TODAY)
    assert store.reviews(run) == []


def test_waiving_every_failure_allows_approval(store, failing_report):
    run = store.save_run(failing_report)
    for check in FAILING:
        _waive(store, run, check)
    approved = store.add_review(Review(run, "approve", "Ada", "waivers recorded"), today=TODAY)
    assert approved.seq == 4
    state = run_review_state(failing_report, store.reviews(run), today=TODAY)
    assert state.state == "approved"
    assert state.effective_verdict == "pass"
    assert sorted(state.waived) == sorted(FAILING)


def test_expired_waiver_no_longer_counts(store, failing_report):
    run = store.save_run(failing_report)
    for check in FAILING:
        _waive(store, run, check, until=TODAY + timedelta(days=10))
    store.add_review(Review(run, "approve", "Ada", "ok"), today=TODAY)
    reviews = store.reviews(run)
    on_last_day = TODAY + timedelta(days=10)
    assert effective_verdict(failing_report, reviews, today=on_last_day) == "pass"
    later = on_last_day + timedelta(days=1)
    assert effective_verdict(failing_report, reviews, today=later) == "fail"
    statuses = {e.finding.id: e for e in effective_findings(failing_report, reviews, later)}
    assert statuses["equal-opportunity-age"].status == "fail"
    assert "expired on" in statuses["equal-opportunity-age"].note
    assert statuses["four-fifths-rule[sex]"].status == "insufficient_evidence"
    state = run_review_state(failing_report, reviews, today=later)
    assert state.state == "approval lapsed"
    assert sorted(state.expired) == sorted(FAILING)


@pytest.mark.parametrize(
    ("review", "message"),
    [
        (Review(1, "reject", "Ada", ""), NO_COMMENT),
        (
            Review(
                1,
                "waive",
                "Ada",
                "c",
                check_id="four-fifths-rule[sex]",
                expires_on=date(2027, 1, 1),
            ),
            NO_JUSTIFICATION,
        ),
        (
            Review(1, "waive", "Ada", "c", check_id="four-fifths-rule[sex]", justification="j"),
            NO_EXPIRY,
        ),
        (
            Review(
                1,
                "waive",
                "Ada",
                "c",
                check_id="four-fifths-rule[sex]",
                justification="j",
                expires_on=TODAY,
            ),
            "is not in the future",
        ),
        (
            Review(
                1,
                "waive",
                "Ada",
                "c",
                check_id="no-such-check",
                justification="j",
                expires_on=date(2027, 1, 1),
            ),
            "is not in this run",
        ),
        (
            Review(1, "waive", "Ada", "c", justification="j", expires_on=date(2027, 1, 1)),
            "choose the check to waive",
        ),
        (
            Review(1, "approve", "Ada", "c", check_id="four-fifths-rule[sex]"),
            "applies to the whole run",
        ),
        (Review(1, "bless", "Ada", "c"), "unknown decision"),
    ],
)
def test_incomplete_reviews_are_refused_with_the_fix(store, failing_report, review, message):
    run = store.save_run(failing_report)
    assert run == 1
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("?", r"\?")):
        store.add_review(review, today=TODAY)
    assert store.reviews() == []


def test_passing_check_cannot_be_waived(store, passing_report):
    run = store.save_run(passing_report)
    check = passing_report.checks[0].id
    with pytest.raises(InputError, match="only a check that does not pass can be waived"):
        _waive(store, run, check)


def test_rejection_is_recorded_and_latest_decision_wins(store, failing_report):
    run = store.save_run(failing_report)
    store.add_review(Review(run, "reject", "Ada", "age gap too large"), today=TODAY)
    assert run_review_state(failing_report, store.reviews(run), TODAY).state == "rejected"
    for check in FAILING:
        _waive(store, run, check)
    store.add_review(
        Review(run, "approve", "", "after waivers"),
        Identity("local:Bo", "admin", "local"),
        today=TODAY,
    )
    state = run_review_state(failing_report, store.reviews(run), TODAY)
    assert (state.state, state.decided_by) == ("approved", "local:Bo")


def test_compare_runs_check_by_check(failing_report, passing_report):
    table = compare_runs(failing_report, passing_report).set_index("check")
    assert table.loc["four-fifths-rule[sex]", "change"] == "better"
    assert table.loc["four-fifths-rule[sex]", "status_before"] == "insufficient_evidence"
    assert table.loc["four-fifths-rule[sex]", "status_after"] == "pass"
    back = compare_runs(passing_report, failing_report).set_index("check")
    assert back.loc["four-fifths-rule[sex]", "change"] == "worse"
    same = compare_runs(failing_report, failing_report)
    assert set(same["change"]) == {"same"}


def test_compare_runs_lists_new_and_removed_checks(failing_report):
    from dataclasses import replace

    fewer = replace(failing_report, checks=failing_report.checks[1:])
    table = compare_runs(fewer, failing_report).set_index("check")
    assert table.loc[failing_report.checks[0].id, "change"] == "new"
    assert (
        compare_runs(failing_report, fewer)
        .set_index("check")
        .loc[failing_report.checks[0].id, "change"]
        == "removed"
    )
