"""Fairness: per-group rates with intervals, bar charts, the intersectional heat map."""

from __future__ import annotations

import streamlit as st
from common import code, current_run, md
from presentation import show_groups, status_badge

from responsible_ai.report.charts import finding_rate_bars_svg, intersection_heatmap_svg
from responsible_ai.report.plain import heatmap_caption, status_label
from responsible_ai.report.tables import (
    exclusion_notes,
    group_table,
    metric_of_finding,
    rate_label,
    value_interval,
)
from responsible_ai.report.text import format_value, ordered_findings

run = current_run()
st.title("Fairness")
findings = [f for f in ordered_findings(run.report) if group_table(f) is not None]
if not findings:
    st.info("This run has no group fairness checks with group evidence.")
    st.stop()

labels = {f"{f.id} ({status_label(f.status)})": f for f in findings}
chosen = st.selectbox("Check", list(labels), help="Checks that need attention come first.")
finding = labels[chosen]
table = group_table(finding)
assert table is not None

requirement = f"{finding.operator} {finding.threshold:g}" if finding.threshold is not None else ""
st.markdown(
    f"{status_badge(finding.status)} **{md(finding.id)}**: "
    f"{code(finding.metric)} by {md(' × '.join(table.by))} = **{format_value(finding.value)}** "
    f"(required {md(requirement)})"
)
interval = value_interval(finding)
if interval:
    st.caption(f"95% confidence interval of the value: {interval[0]:.4g} – {interval[1]:.4g}")

st.subheader("Groups")
show_groups(table.to_frame(table.key_rates(finding)))
if len(table.rates) > len(table.key_rates(finding)):
    with st.expander(f"All {len(table.rates)} group rates"):
        show_groups(table.to_frame())
if table.excluded:
    st.warning(
        "Excluded from the comparison (too small to compare reliably): "
        + "; ".join(md(note) for note in exclusion_notes(finding))
    )
if not table.has_intervals:
    st.caption("No confidence intervals in this run's evidence.")

rate = metric_of_finding(finding)
options = table.rates
default = options.index(rate) if rate in options else 0
shown = st.selectbox("Rate to chart", options, index=default, format_func=rate_label)
st.image(finding_rate_bars_svg(finding, table, shown))
heatmap = intersection_heatmap_svg(table, shown)
if heatmap:
    st.subheader("Intersectional heat map")
    st.image(heatmap)
    st.caption(md(heatmap_caption(table, shown)))
elif len(table.by) == 1:
    others = [f.id for f in findings if len(f.by or []) == 2]
    if others:
        st.caption(f"The intersectional heat map is on: {md(', '.join(others))}")
