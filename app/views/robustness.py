"""Robustness: flip rates by group, attack success against the budget, the membership ROC.

Everything shown comes from the report's robustness findings (their evidence), through
``robustness_summary``: the same tables as the HTML report's Robustness section.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from common import current_run, md
from presentation import readable, status_badge

from responsible_ai.report.text import format_value
from responsible_ai.robustness.summary import robustness_summary

run = current_run()
st.title("Robustness")
summary = robustness_summary(run.report.checks)
if summary.empty:
    st.info(
        "This run's policy has no robustness checks. Audit with the model-security pack "
        "(policies/model-security.yaml) to see stability, evasion, membership inference and "
        "the counterfactual flip test."
    )
    st.stop()

st.caption(
    "Attacks and perturbations ran within the budgets below: a pass means no attack was found "
    "within this budget, never that the model is secure."
)
for finding in summary.findings:
    st.markdown(
        f"{status_badge(finding.status)} **{md(finding.id)}**: {md(finding.metric)} = "
        f"**{md(format_value(finding.value))}**: {md(finding.message)}"
    )
if summary.budgets:
    st.subheader("Budgets")
    for row in summary.budgets:
        st.markdown(f"**{md(row['check'])}**: {md(row['budget'])}")

if summary.flip_rates:
    st.subheader("Flip rates by group")
    flips = pd.DataFrame(summary.flip_rates)
    tests = list(dict.fromkeys(zip(flips["check"], flips["test"], flips["attribute"], strict=True)))
    labels = [f"{check}: {test}, by {attribute}" for check, test, attribute in tests]
    chosen = st.selectbox("Flip rates of", labels, key="robustness_flips")
    check, test, attribute = tests[labels.index(chosen)]
    shown = flips[
        (flips["check"] == check) & (flips["test"] == test) & (flips["attribute"] == attribute)
    ]
    # A fixed floor on the scale, so that rates of 0 read as 0 rather than as an empty chart.
    top = max(0.1, float(shown[["flip_rate", "ci_high"]].max().max()))
    scale = alt.Scale(domain=[0, top])
    base = alt.Chart(shown).encode(x=alt.X("group:N", title=attribute))
    bars = base.mark_bar().encode(
        y=alt.Y("flip_rate:Q", title="decisions flipped", scale=scale, axis=alt.Axis(format="%")),
        tooltip=["group", "rows", "flip_rate", "ci_low", "ci_high"],
    )
    whiskers = base.mark_rule().encode(y="ci_low:Q", y2="ci_high:Q")
    st.altair_chart(bars + whiskers, width="stretch")
    st.caption("Bars: the share of decisions that flipped; lines: the 95% interval.")
    headers = {"flip_rate": "flip rate", "ci_low": "95% CI low", "ci_high": "95% CI high"}
    readable(shown, headers)

if summary.attack_curve:
    st.subheader("Evasion: attack success against the perturbation budget")
    curve = pd.DataFrame(summary.attack_curve).set_index("max_perturbation")
    st.line_chart(curve, x_label="max perturbation (L2, standard deviations)", y_label="success")

if summary.roc:
    st.subheader("Membership inference: ROC of the attack")
    roc = pd.DataFrame(summary.roc)
    roc["chance"] = roc["false_positive_rate"]
    st.line_chart(
        roc.set_index("false_positive_rate"),
        x_label="false positive rate",
        y_label="true positive rate",
    )

if summary.suspects:
    st.subheader("Poisoning screen: most suspicious training records")
    st.dataframe(pd.DataFrame(summary.suspects), hide_index=True)
