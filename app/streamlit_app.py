"""The review app: a router over one thin page per task. Start it with ``rai app``."""

from __future__ import annotations

import streamlit as st
from common import (
    attempt,
    current_run,
    md,
    run_id,
    sample_loading,
    show_announcement,
    sign_in,
    sign_out,
    store,
)
from figures import page_script
from streamlit.navigation.page import StreamlitPage

from responsible_ai.audit_run import run_source
from responsible_ai.sample_start import SAMPLE_LOADING_CAPTION, first_page_drawn

st.set_page_config(page_title="responsible-ai review", page_icon="⚖️", layout="wide")

PAGES = {
    "Audit": [
        st.Page("views/overview.py", title="Overview", icon=":material/fact_check:", default=True),
        st.Page("views/fairness.py", title="Fairness", icon=":material/balance:"),
        st.Page("views/explanations.py", title="Explanations", icon=":material/insights:"),
        st.Page("views/privacy.py", title="Privacy", icon=":material/shield_person:"),
        st.Page("views/robustness.py", title="Robustness", icon=":material/security:"),
        st.Page("views/mitigation.py", title="Mitigation", icon=":material/tune:"),
    ],
    "Inputs": [
        st.Page("views/policy.py", title="Policy", icon=":material/policy:"),
        st.Page("views/data_and_model.py", title="Data and model", icon=":material/upload_file:"),
    ],
    "Sign-off": [
        st.Page("views/review.py", title="Review", icon=":material/gavel:"),
        st.Page("views/history.py", title="History", icon=":material/history:"),
        st.Page("views/monitoring.py", title="Monitoring", icon=":material/monitor_heart:"),
        st.Page("views/download.py", title="Download", icon=":material/download:"),
    ],
}


def _run(navigation: StreamlitPage) -> None:
    """Sign-in, the sidebar, then the page chosen."""
    signer = sign_in()  # stops here until someone has signed in (once the store has users)
    run = current_run()
    with st.sidebar:
        if signer.is_local:
            st.caption(f"{md(signer.username)}: unauthenticated local mode (no users)")
        else:
            st.markdown(f"Signed in as **{md(signer.username)}** ({md(signer.role)})")
            if st.button("Sign out", key="sign_out", icon=":material/logout:"):
                sign_out()
        report = run.report
        st.markdown(f"**Run {run_id()}**: {md(run.label)}")
        st.markdown(
            f"Policy {md(report.policy.get('name'))} {md(report.policy.get('version', ''))}  \n"
            f"Verdict: **{report.verdict.upper()}**"
        )
        record = attempt(lambda: store().run_record(run_id()))
        for what, value in run_source(record or {}):
            st.caption(f"{what[:1].upper() + what[1:]}: {md(value)}")
        if sample_loading():
            st.caption(SAMPLE_LOADING_CAPTION)
        elif run.stored:
            st.caption("Opened from the store: its report only (no data or model).")
        st.caption(f"Store: {md(store().display_url)}")
    show_announcement()  # after the sidebar, which already names the new run
    try:
        navigation.run()
    finally:
        first_page_drawn()  # the server audits the sample for its data and model after this page


with page_script():  # the Explanations figures drawn ahead wait for it (figures.py)
    _run(st.navigation(PAGES))
