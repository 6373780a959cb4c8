"""Review flows in the app: approval needs waivers, waivers need justification and expiry,
decisions are stored, shown in History, and an expired waiver no longer counts."""

from __future__ import annotations

from datetime import date, timedelta

from app_testing import open_page, table_text, texts

from responsible_ai.review import NO_EXPIRY, NO_JUSTIFICATION, Review, today_utc
from responsible_ai.store import Identity, ReviewStore, local_identity

LOCAL = local_identity().username
FAILING = ["equal-opportunity-age", "four-fifths-rule[age_group]"]


def _decide(at, decision, comment):
    at.radio(key="decision").set_value(decision)
    at.text_area(key="comment").input(comment)
    at.button(key="record_decision").click().run()
    assert not at.exception
    return at


def _waive(at, check, justification="Retraining with reweighing is scheduled", expires=None):
    at.selectbox(key="waiver_check").set_value(check)
    at.text_area(key="waiver_comment").input("Gap confirmed on the holdout")
    at.text_area(key="waiver_justification").input(justification)
    at.date_input(key="waiver_expires").set_value(expires or today_utc() + timedelta(days=30))
    at.button(key="record_waiver").click().run()
    assert not at.exception
    return at


def test_approve_needs_waivers_then_shows_in_history(app):
    at = open_page(app, "views/review.py")
    _decide(at, "approve", "Looks fine")
    assert "cannot approve: 2 check(s) fail the verdict" in at.error[0].value
    assert ReviewStore().reviews() == []

    for check in FAILING:
        _waive(at, check)
        assert f"{check} waived until" in texts(at)
    _decide(at, "approve", "Age gaps waived until the retrained model ships")
    assert f"Recorded review #3: approve by {LOCAL}" in texts(at)
    assert "unauthenticated local mode" in texts(at)
    assert {m.label: m.value for m in at.metric}["Review"] == "approved"

    at = open_page(at, "views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Verdict": "FAIL", "Verdict after waivers": "PASS", "Review": "approved"}

    at = open_page(at, "views/history.py")
    runs = table_text(at.table[0])  # wrapped: what the reviewer reads without scrolling
    assert runs.loc[0, "review"] == "approved" and runs.loc[0, "decided by"] == LOCAL
    reviews = table_text(at.table[1])
    assert list(reviews["decision"]) == ["approve", "waive", "waive"]
    assert "Review chain intact (3 reviews)" in texts(at)


def test_reject_is_recorded(app):
    at = open_page(app, "views/review.py")
    _decide(at, "reject", "Age gap too large to ship")
    assert ReviewStore().reviews()[0].decision == "reject"
    at = open_page(at, "views/overview.py")
    assert {m.label: m.value for m in at.metric}["Review"] == "rejected"


def test_waiver_without_justification_is_refused(app):
    at = open_page(app, "views/review.py")
    _waive(at, FAILING[0], justification="")
    assert at.error[0].value == NO_JUSTIFICATION
    assert ReviewStore().reviews() == []
    assert NO_EXPIRY  # the date widget always sends a date; the store refuses a missing one


def test_expired_waiver_no_longer_counts_in_the_app(app):
    store = ReviewStore()
    long_ago = date(2020, 1, 1)
    for check in FAILING:
        store.add_review(
            Review(
                1,
                "waive",
                "",
                "old waiver",
                check_id=check,
                justification="legacy",
                expires_on=long_ago + timedelta(days=30),
            ),
            Identity("local:Ada", "admin", "local"),
            today=long_ago,
        )
    at = open_page(app, "views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Verdict after waivers"] == "FAIL"
    assert "waiver by local:Ada expired on 2020" in texts(at)
    at = open_page(at, "views/review.py")
    assert "Expired waivers no longer count" in texts(at)


def test_once_a_user_exists_reviews_need_a_sign_in(app, monkeypatch):
    from argon2 import PasswordHasher

    from responsible_ai.store import identity
    from responsible_ai.store.people import add_user

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(identity, "_hasher", lambda: cheap)
    add_user(ReviewStore(), "root", "admin", "correct horse battery")
    add_user(ReviewStore(), "alice", "reviewer", "correct horse battery")
    at = open_page(app, "views/review.py")
    assert "unauthenticated local mode" not in texts(at)
    assert not [b for b in at.button if b.key == "record_decision"]  # no form before sign-in
    at.text_input(key="sign_in_name").input("alice")
    at.text_input(key="sign_in_password").input("wrong password!")
    at.button(key="sign_in").click().run()
    assert at.error[0].value == "wrong user name or password"
    at.text_input(key="sign_in_password").input("correct horse battery")
    at.button(key="sign_in").click().run()
    _decide(at, "reject", "Age gap too large to ship")
    assert "Recorded review #1: reject by alice" in texts(at)
    assert ReviewStore().reviews()[0].reviewer == "alice"
