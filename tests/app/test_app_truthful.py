"""What the app says about a run's review is true: counts by why, approved or rejected, waivers.

The German credit sample has one failing check (equal-opportunity-age) and one that lacks
evidence (four-fifths-rule[age_group]); both block the verdict, for different reasons.
"""

from __future__ import annotations

from datetime import date, timedelta

from app_testing import open_page, table_text, texts

from responsible_ai.report.plain import when
from responsible_ai.review import SAME_WAIVER, Review, today_utc
from responsible_ai.store import Identity, ReviewStore

ADA = Identity("local:Ada", "admin", "local")
FAILS, LACKS = "equal-opportunity-age", "four-fifths-rule[age_group]"


def _waive(check, justification="Retraining is scheduled", until=None, today=None):
    until = until or today_utc() + timedelta(days=30)
    return ReviewStore().add_review(
        Review(
            1,
            "waive",
            "",
            "Gap confirmed on the holdout",
            check_id=check,
            justification=justification,
            expires_on=until,
        ),
        ADA,
        today=today,
    )


def _decide(decision, today=None):
    return ReviewStore().add_review(Review(1, decision, "", "Read the evidence"), ADA, today=today)


def test_overview_and_history_count_what_blocks_by_why(app):
    page = texts(app)
    assert "Not approvable yet: 1 fails, 1 lacks evidence." in page
    assert f"{FAILS} fails; {LACKS} lacks evidence" in page
    assert "2 check(s) fail the verdict" not in page  # one of them lacks evidence, not fails

    at = open_page(app, "views/history.py")
    runs = at.dataframe[0].value  # every column exact, folded away
    assert runs.loc[0, "what blocks"] == "1 fails, 1 lacks evidence"
    assert table_text(at.table[0]).loc[0, "what blocks"] == "1 fails, 1 lacks evidence"  # wrapped
    assert "failing_checks" not in runs  # it counted fail and error only: 1, not what blocks
    assert "verdict FAIL · 1 fails, 1 lacks evidence · review **pending**" in texts(at)


def test_overview_says_who_approved_and_when(app):
    for check in (FAILS, LACKS):
        _waive(check)
    approval = _decide("approve")
    at = open_page(app, "views/overview.py")
    assert f"Approved by local:Ada on {when(approval.created_at)}, with 2 check(s) waived." in [
        s.value.replace("\\", "") for s in at.success
    ]
    assert "can be approved" not in texts(at)
    at = open_page(at, "views/history.py")
    assert at.dataframe[0].value.loc[0, "what blocks"] == "nothing blocks"


def test_overview_says_rejected(app):
    rejection = _decide("reject")
    at = open_page(app, "views/overview.py")
    assert texts(at).count(f"Rejected by local:Ada on {rejection.created_at[:10]}") == 1
    assert "Not approvable yet" not in texts(at)


def test_overview_explains_a_lapsed_approval(app):
    long_ago = date(2020, 1, 1)
    for check in (FAILS, LACKS):
        _waive(check, until=long_ago + timedelta(days=30), today=long_ago)
    _decide("approve", today=long_ago)
    at = open_page(app, "views/overview.py")
    assert {m.label: m.value for m in at.metric}["Review"] == "approval lapsed"
    warning = texts(at)
    assert "Approval lapsed: local:Ada approved this run on" in warning
    assert "a waiver the approval relied on has expired" in warning
    assert "so the run no longer passes: 1 fails, 1 lacks evidence." in warning


def test_review_page_says_a_new_waiver_replaces_the_active_one(app):
    first = _waive(FAILS)
    at = open_page(app, "views/review.py")
    at.selectbox(key="waiver_check").set_value(LACKS).run()
    assert "already waived" not in texts(at)
    at.selectbox(key="waiver_check").set_value(FAILS).run()
    assert (
        f"{FAILS} is already waived by local:Ada until {first.expires_on.isoformat()} "
        f"(review #{first.seq}); recording this waiver replaces it."
    ) in texts(at)

    second = _waive(FAILS, justification="Retrained model ships in March")
    at = open_page(at, "views/review.py")
    reviews = table_text(at.table[0]).set_index("#")
    assert reviews.loc[first.seq, "standing"] == f"replaced by #{second.seq}"
    assert reviews.loc[second.seq, "standing"] == f"active until {second.expires_on.isoformat()}"
    assert reviews.loc[second.seq, "justification"] == "Retrained model ships in March"

    at = open_page(at, "views/history.py")
    history = table_text(at.table[1]).set_index("#")
    assert history.loc[first.seq, "standing"] == f"replaced by #{second.seq}"
    assert history.loc[second.seq, "justification"] == "Retrained model ships in March"


def test_an_identical_waiver_is_refused_visibly(app):
    first = _waive(FAILS)
    at = open_page(app, "views/review.py")
    at.selectbox(key="waiver_check").set_value(FAILS)
    at.text_area(key="waiver_comment").input("Again")
    at.text_area(key="waiver_justification").input("Retraining is scheduled")
    at.date_input(key="waiver_expires").set_value(first.expires_on)
    at.button(key="record_waiver").click().run()
    refused = SAME_WAIVER.format(
        check=FAILS, seq=first.seq, reviewer="local:Ada", until=first.expires_on.isoformat()
    )
    assert refused in [e.value for e in at.error]
    assert len(ReviewStore().reviews()) == 1


def test_expired_waiver_is_marked_expired_in_the_reviews_table(app):
    long_ago = date(2020, 1, 1)
    old = _waive(FAILS, until=long_ago + timedelta(days=30), today=long_ago)
    at = open_page(app, "views/review.py")
    reviews = table_text(at.table[0]).set_index("#")
    assert reviews.loc[old.seq, "standing"] == "expired on 2020-01-31"
    assert reviews.loc[old.seq, "expires on"] == "2020-01-31"
