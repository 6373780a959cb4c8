"""Review: approve or reject the run, or waive a check that does not pass; signed and stored."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st
from common import attempt, current_run, identity, md, run_id, store
from presentation import banner, show_reviews

from responsible_ai.report.plain import reviews_frame
from responsible_ai.report.text import ordered_findings
from responsible_ai.review import WAIVABLE, Review, active_waiver, run_review_state, today_utc

run = current_run()
number = run_id()
report = run.report
st.title("Review")
reviews = store().reviews(number)
state = run_review_state(report, reviews)
st.caption(f"Run {number} · {md(run.label)} · verdict {report.verdict.upper()}")
recorded = st.session_state.pop("review_recorded", None)
if recorded:
    st.success(recorded)
left, middle, right = st.columns(3)
left.metric("Review", state.state)
middle.metric("Verdict after waivers", state.effective_verdict.upper())
right.metric(
    "Checks blocking approval",
    len(state.blocking),
    help="Checks that fail the verdict and are not waived: failing, not computed, or lacking "
    "evidence at a blocking severity.",
)
banner(state, report.verdict, errors_as="warning")
if state.expired:
    st.warning("Expired waivers no longer count: " + ", ".join(md(c) for c in state.expired))

signer = identity()
# Keyed and tracked: choosing a check (a rerun) or recording a review keeps the tab open.
decide, waive = st.tabs(
    ["Approve or reject the run", "Waive a check"], key="review_tab", on_change="rerun"
)
with decide, st.form("decision", clear_on_submit=False):
    decision = st.radio("Decision", ["approve", "reject"], horizontal=True, key="decision")
    comment = st.text_area(
        "Comment", placeholder="What you checked and why you decided so", key="comment"
    )
    if st.form_submit_button("Record decision", type="primary", key="record_decision"):
        stored = attempt(lambda: store().add_review(Review(number, decision, "", comment), signer))
        if stored is not None:
            st.session_state["review_recorded"] = (
                f"Recorded review #{stored.seq}: {stored.decision} by {md(stored.reviewer)}."
            )
            st.rerun()

waivable = [f.id for f in ordered_findings(report) if f.status in WAIVABLE]
with waive:
    if not waivable:
        st.write("Every check passes: there is nothing to waive.")
    else:
        # Outside the form, so that choosing a check says at once whether it is already waived.
        check = st.selectbox("Check", waivable, key="waiver_check")
        current = active_waiver(reviews, check) if check else None
        if current is not None:
            until = current.expires_on.isoformat() if current.expires_on else "?"
            st.info(
                md(
                    f"{check} is already waived by {current.reviewer} until {until} (review "
                    f"#{current.seq}); recording this waiver replaces it."
                )
            )
        with st.form("waiver", clear_on_submit=False):
            waiver_comment = st.text_area(
                "Comment", placeholder="What you reviewed", key="waiver_comment"
            )
            justification = st.text_area(
                "Justification",
                placeholder="Why this check may fail for now, and the remedy",
                key="waiver_justification",
            )
            expires = st.date_input(
                "Expires on",
                value=today_utc() + timedelta(days=90),
                min_value=today_utc() + timedelta(days=1),
                help="After this day the waiver no longer counts.",
                key="waiver_expires",
            )
            if st.form_submit_button("Record waiver", type="primary", key="record_waiver"):
                stored = attempt(
                    lambda: store().add_review(
                        Review(
                            number,
                            "waive",
                            "",
                            waiver_comment,
                            check_id=check,
                            justification=justification,
                            expires_on=expires if not isinstance(expires, tuple) else None,
                        ),
                        signer,
                    )
                )
                if stored is not None:
                    st.session_state["review_recorded"] = (
                        f"Recorded review #{stored.seq}: {md(check)} waived until "
                        f"{stored.expires_on}."
                    )
                    st.rerun()

st.subheader("Reviews of this run")
reviews = store().reviews(number)
if reviews:
    show_reviews(reviews_frame(reviews), wrap=True)
else:
    st.caption("No review yet.")
