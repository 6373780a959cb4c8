"""Overview: the verdict, then the checks that need attention, failing first."""

from __future__ import annotations

import sys
import threading

import streamlit as st
from common import STATUS_ICONS, code, current_run, md, run_id, store

from responsible_ai.report.tables import checks_frame, value_interval
from responsible_ai.report.text import format_value, ordered_findings
from responsible_ai.review import effective_findings, run_review_state

run = current_run()
report = run.report
reviews = store().reviews(run_id())
state = run_review_state(report, reviews)
effective = {item.finding.id: item for item in effective_findings(report, reviews)}
policy = report.policy

st.title("Overview")
st.caption(
    f"Run {run_id()} · {md(run.label)} · policy {md(policy.get('name'))} "
    f"{md(policy.get('version', ''))} (fails on {md(policy.get('fail_on'))} and above) · "
    f"audited {md(report.created_at)}"
)
verdict, after, review = st.columns(3)
verdict.metric("Verdict", report.verdict.upper())
after.metric("Verdict after waivers", state.effective_verdict.upper())
review.metric("Review", state.state)

if state.blocking:
    st.error(
        f"{len(state.blocking)} check(s) fail the verdict: "
        + ", ".join(md(check) for check in state.blocking)
    )
elif report.verdict == "fail":
    st.info("Every failing check is waived; the run can be approved on the Review page.")
else:
    st.success("Every blocking check passes.")

attention = [f for f in ordered_findings(report) if f.status not in ("pass", "skipped")]
st.subheader(f"Checks that need attention ({len(attention)})")
if not attention:
    st.write("None: every check passes.")
for finding in attention:
    item = effective[finding.id]
    with st.container(border=True):
        requirement = (
            f"{finding.operator} {finding.threshold:g}" if finding.threshold is not None else "—"
        )
        st.markdown(
            f"{STATUS_ICONS.get(item.status, item.status)} **{md(finding.id)}** · "
            f"severity **{md(finding.severity)}** · {code(finding.metric)}"
            + (f" by {md(', '.join(finding.by))}" if finding.by else "")
        )
        interval = value_interval(finding)
        spread = f" (95% CI {interval[0]:.4g} – {interval[1]:.4g})" if interval else ""
        st.markdown(
            f"Measured **{format_value(finding.value)}**{spread}; the policy requires "
            f"{md(requirement)}."
        )
        st.caption(md(finding.message))
        if item.note:
            st.markdown(f":violet[{md(item.note)}]")
        if finding.reference:
            st.caption(f"Reference: {md(finding.reference)}")
        if finding.rationale:
            st.caption(f"Why: {md(finding.rationale)}")

st.subheader("All checks")
table = checks_frame(ordered_findings(report))
table.insert(1, "after review", [effective[c].status for c in table["check"]])
st.dataframe(table, hide_index=True, width="stretch")
if report.data_notes:
    st.subheader("Data notes")
    for note in report.data_notes:
        st.markdown(f"- {md(note)}")


def _warm_explanations() -> None:
    """Import what the Explanations page draws with (matplotlib: about a second of CPU here)."""
    import matplotlib.pyplot  # noqa: F401


# While the reviewer reads this page, so that the first switch to Explanations does not wait for
# matplotlib (shap no longer imports it during the audit). Once per server process.
if "matplotlib.pyplot" not in sys.modules:
    threading.Thread(target=_warm_explanations, name="rai-warm-plots", daemon=True).start()
