"""Explanations: global importance, attribution by group, proxies, one record's reasons."""

from __future__ import annotations

from typing import Any

import streamlit as st
from common import attempt, current_run, md, run_id, stored_run_notice
from figures import default_row, png
from presentation import readable

from responsible_ai.audit_run import AuditRun
from responsible_ai.report.plain import (
    explainer_details,
    shap_sentence,
    waterfall_caption,
)

st.title("Explanations")
stored_run_notice("the explanations", "explain")  # a run from the store has no model or data
run = current_run()
if run.model is None:
    st.info(
        "This run audited a prediction column, so there is no model to explain. Upload a .skops "
        "model on the Data and model page to see explanations."
    )
    st.stop()

try:
    from responsible_ai.explain import explain
except ImportError:
    st.info(
        "Explanations are not available in this installation of responsible-ai "
        "(responsible_ai.explain.explain is missing)."
    )
    st.stop()


@st.cache_resource(show_spinner="Computing SHAP values…", max_entries=8)
def _explanation(run_number: int, _run: AuditRun) -> Any:
    return explain(
        _run.model,
        _run.frame,
        _run.sensitive,
        features=_run.features,
        rows=min(len(_run.frame), 2000),
        random_state=_run.report.seed,
        positive_label=_run.report.roles.get("positive_label"),
    )


# The audit's own explanation when its policy has explanation checks: the very values of the
# report and of `rai explain` with the policy's settings; computed here only otherwise.
explanation = run.report.explanation or attempt(lambda: _explanation(run_id(), run))
if explanation is None:
    st.stop()


run_key = (run_id(), run.report.created_at)  # the figures of this run's explanation


st.markdown(md(shap_sentence(explanation.output_space, explanation.positive_label)))  # the units
with st.expander("Explainer details"):
    for detail in explainer_details(explanation):
        st.markdown(f"- {md(detail)}")
overall, groups, proxies, record = st.tabs(
    ["Global importance", "Attribution by group", "Proxies", "One record"]
)
with overall:
    st.markdown(
        "How much each feature moves the output on average (mean |SHAP|, in "
        f"{md(explanation.output_space)}), with its 95% bootstrap interval."
    )
    table_side, chart_side = st.columns([1, 1])  # room for the interval columns
    with table_side:
        readable(explanation.global_importance)
    with chart_side:
        st.image(png((*run_key, "bar"), explanation.plot_bar))
with groups:
    st.markdown("Do the features drive decisions differently for each sensitive group?")
    st.image(png((*run_key, "groups"), explanation.plot_group_comparison))
    readable(explanation.group_attribution)
with proxies:
    table = explanation.proxies
    flagged = table[table["is_proxy"]] if "is_proxy" in table else table.iloc[0:0]
    if len(flagged):
        st.warning(
            f"{len(flagged)} feature(s) stand in for a sensitive feature: "
            + ", ".join(md(f"{r.feature} ({r.sensitive})") for r in flagged.itertuples())
        )
    else:
        st.success("No feature is associated strongly enough with a sensitive feature.")
    readable(table)
with record:
    decisions = getattr(explanation, "approved", None)
    if decisions is not None and len(decisions):
        outcome = {row: "favourable" if ok else "unfavourable" for row, ok in decisions.items()}
        rows = list(outcome)
        row_index = st.selectbox(
            "Explained row",
            rows,
            index=rows.index(default_row(explanation)),
            format_func=lambda row: f"row {row} · {outcome[row]} decision",
        )
        favourable = outcome[row_index] == "favourable"
    else:
        position = st.number_input(
            "Row of the data (0-based)", min_value=0, max_value=len(run.frame) - 1, value=0
        )
        row_index = run.frame.index[int(position)]
        favourable = False
    if favourable:
        st.info(
            "This row got the favourable outcome: principal reasons are given for unfavourable "
            "decisions. The waterfall shows what drove this one."
        )
    else:
        reasons = attempt(lambda: explanation.reasons(row_index, top=4))
        if reasons is not None:
            st.markdown("**Principal reasons for this decision**")
            # Values of different features share one column: show them as text.
            shown = reasons.astype({"value": str}) if "value" in reasons else reasons
            readable(shown)
    waterfall = attempt(
        lambda: png(
            (*run_key, "waterfall", row_index), lambda: explanation.plot_waterfall(row_index)
        )
    )
    if waterfall is not None:
        st.image(waterfall)
        st.caption(md(waterfall_caption(explanation.output_space, explanation.positive_label)))
