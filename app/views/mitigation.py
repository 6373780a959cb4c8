"""Mitigation: refit the current run's model with bias mitigation methods, compare every candidate
with the original on held-out rows, and submit the chosen one as a new run for review."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from common import announce, attempt, current_run, md, run_id, set_current_run

from responsible_ai.mitigate.methods import METHODS
from responsible_ai.mitigate.plot import pareto_png
from responsible_ai.mitigate.runs import NEEDS_MODEL, mitigate_run
from responsible_ai.report.mitigation import check_cell, comparison_rows

run = current_run()
st.title("Mitigation")
st.caption(
    "Each method refits the run's model pipeline on a training split; every candidate is "
    "audited with the run's policy on the same held-out rows. The chosen one passes the policy "
    "(or the checks below) and loses the least of the policy's performance metric."
)
if run.stored or run.model is None:
    st.info(NEEDS_MODEL)
    st.stop()

policy_checks = [str(f.id).split("[", 1)[0] for f in run.report.checks]
methods = st.multiselect(
    "Methods",
    list(METHODS),
    default=["reweighing", "exponentiated_gradient"],
    help="Group thresholds, the threshold optimizer and the correlation remover read the "
    "sensitive attribute when deciding; a policy that forbids it never chooses them.",
    key="mitigation_methods",
)
checks = st.multiselect(
    "Checks a candidate must pass (none chosen: the whole policy)",
    list(dict.fromkeys(policy_checks)),
    key="mitigation_checks",
)
key = f"mitigation:{run_id()}"
if st.button("Run mitigation", type="primary", disabled=not methods, key="run_mitigation"):
    bar = st.progress(0.0, text="fitting and auditing candidates")

    def _progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{done} of {total} candidates audited")

    outcome = attempt(
        lambda: mitigate_run(run, methods=methods, checks=checks or None, on_progress=_progress)
    )
    if outcome is not None:
        st.session_state[key] = outcome
outcome = st.session_state.get(key)
if outcome is None:
    st.stop()
section = outcome.section
if section["chosen"]:
    st.success(f"Chosen: {md(section['chosen'])}. {md(section['reason'])}")
else:
    st.error(f"No candidate chosen: {md(section['reason'])}")
reference = section.get("disparate_treatment_reference")
if any(row["uses_sensitive_at_decision"] for row in section["candidates"]):
    st.warning(
        "Candidates marked in the table read the sensitive attribute when deciding"
        + (f": disparate treatment under {md(reference.strip())}." if reference else ".")
    )
st.subheader("Pareto front")
st.image(pareto_png(section), caption="Fairness against performance on the held-out rows")
st.subheader("Before and after")
st.dataframe(pd.DataFrame(comparison_rows(section)), hide_index=True, width="stretch")
models = [section["original"], *section["candidates"]]
ids = list(dict.fromkeys(c["id"] for m in models for c in m["checks"]))
every = pd.DataFrame(
    {
        "check": ids,
        **{
            m["name"]: [
                check_cell(next((c for c in m["checks"] if c["id"] == i), None)) for i in ids
            ]
            for m in models
        },
    }
)
st.subheader("Every check, every model")
st.dataframe(every, hide_index=True, width="stretch")
chosen_run = outcome.chosen_run
if chosen_run is not None and st.button(
    "Submit the chosen candidate for review", key="submit_mitigated"
):
    number = attempt(lambda: set_current_run(chosen_run))
    if number is not None:
        st.session_state.pop(key, None)
        announce(
            f"Run {number}: the mitigated model ({chosen_run.label}), verdict "
            f"{chosen_run.report.verdict.upper()} on the held-out rows. Review it on the "
            "Review page."
        )
