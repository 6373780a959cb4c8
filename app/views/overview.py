"""Overview: the verdict, then the checks that need attention, failing first."""

from __future__ import annotations

import streamlit as st
from common import (
    code,
    current_run,
    md,
    run_id,
    sample_differs,
    sample_from_store,
    sample_loaded,
    sample_loading,
    store,
)
from figures import draw_ahead
from presentation import banner, show_checks, status_badge

from responsible_ai.report.plain import check_card, when
from responsible_ai.report.tables import checks_frame
from responsible_ai.report.text import ordered_findings
from responsible_ai.review import effective_findings, run_review_state
from responsible_ai.sample_start import SAMPLE_DIFFERS_NOTE, SAMPLE_LOADING_NOTE, SAMPLE_STORED_NOTE

run = current_run()
report = run.report
reviews = store().reviews(run_id())
state = run_review_state(report, reviews)
effective = {item.finding.id: item for item in effective_findings(report, reviews)}
policy = report.policy

st.title("Overview")
differs = sample_differs()
if differs is not None:
    st.warning(SAMPLE_DIFFERS_NOTE.format(stored=differs, run=run_id()), icon="⚠️")
if sample_loading():
    note = SAMPLE_STORED_NOTE if sample_from_store() is not None else SAMPLE_LOADING_NOTE
    st.info(note, icon=":material/hourglass_top:")

    # Every fragment run costs the server a script run (about 0.1 s of CPU under load): a
    # second and a half between looks keeps that small beside the audit it waits for.
    @st.fragment(run_every=1.5)
    def _switch_when_loaded() -> None:
        """Rerun the page once the server holds the sample's data and model."""
        if sample_loaded():
            st.rerun(scope="app")

    _switch_when_loaded()
st.caption(
    f"Run {run_id()} · {md(run.label)} · policy {md(policy.get('name'))} "
    f"{md(policy.get('version', ''))} (fails on {md(policy.get('fail_on'))} and above) · "
    f"audited {md(when(report.created_at))}"
)
verdict, after, review = st.columns(3)
verdict.metric("Verdict", report.verdict.upper())
after.metric("Verdict after waivers", state.effective_verdict.upper())
review.metric("Review", state.state)

banner(state, report.verdict)

attention = [f for f in ordered_findings(report) if f.status not in ("pass", "skipped")]
st.subheader(f"Checks that need attention ({len(attention)})")
if not attention:
    st.write("None: every check passes.")
for finding in attention:
    item = effective[finding.id]
    with st.container(border=True):
        st.markdown(
            f"{status_badge(item.status)} **{md(finding.id)}** · "
            f"severity **{md(finding.severity)}** · {code(finding.metric)}"
        )
        card = check_card(finding, item.status, str(policy.get("fail_on", "high")), item.note)
        st.markdown(
            f"**Measured:** {md(card.measured)}  \n**Required:** {md(card.required)}  \n"
            f"**For the decision:** {md(card.meaning)}"
        )
        if finding.reference:
            st.caption(f"Reference: {md(finding.reference)}")
        if finding.rationale:
            st.caption(f"Why: {md(finding.rationale)}")

st.subheader("All checks")
table = checks_frame(
    ordered_findings(report), after_review={c: item.status for c, item in effective.items()}
)
show_checks(table)
if report.data_notes:
    st.subheader("Data notes")
    for note in report.data_notes:
        st.markdown(f"- {md(note)}")


# While the reviewer reads this page, draw the Explanations page's figures of this run (seconds of
# CPU: matplotlib), so that the first switch to Explanations does not wait for them.
if run.report.explanation is not None:
    draw_ahead((run_id(), report.created_at), run.report.explanation)
