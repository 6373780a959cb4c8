"""Policy: the YAML of the current run, editable, validated as you type, and re-run."""

from __future__ import annotations

import streamlit as st
from common import announce, attempt, current_run, md, run_id, set_current_run

from responsible_ai.audit_run import check_policy_text, rerun_with_policy

run = current_run(with_data=True)  # the sample's data and model, once loaded
st.title("Policy")
if run.stored:
    st.info(
        f"Run {run_id()} came from the review store: this is the policy text it ran, read only "
        "(re-running it needs the data and model, which the store does not keep)."
    )
    for path, text in (run.policy_texts or {"(not recorded)": ""}).items():
        st.caption(md(path))
        st.code(text, language="yaml")
    st.stop()
files = run.report.policy.get("files") or []
st.caption(
    f"{md(run.policy_name)}"
    + (
        " · extends "
        + ", ".join(md(str(item.get("path", "")).split("/")[-1]) for item in files[1:])
        if len(files) > 1
        else ""
    )
    + " · `rai policy schema` prints every field this file may use."
)

text = st.text_area(
    "Policy (YAML)",
    value=run.policy_text,
    height=520,
    key=f"policy_text_{run_id()}",
    help="Edits are validated on every change (Ctrl+Enter applies them).",
)
issues = check_policy_text(text, run.policy_dir, run.policy_name)
if issues:
    st.error(
        f"{len(issues)} problem(s) in the policy:\n\n"
        + "\n".join(
            f"- line {issue.line if issue.line is not None else '?'}"
            f"{' · ' + md(issue.field) if issue.field else ''}: {md(issue.message)}"
            for issue in issues
        )
    )
else:
    st.success("The policy is valid.")

changed = text != run.policy_text
if st.button(
    "Re-run the audit with this policy",
    type="primary",
    disabled=bool(issues) or not changed,
    key="rerun",
    help="Audits the same data and model against the edited policy; the result is a new run.",
):
    rerun = attempt(lambda: rerun_with_policy(run, text))
    if rerun is not None:
        number = set_current_run(rerun)
        announce(
            f"Run {number}: verdict {rerun.report.verdict.upper()}. The Overview, Fairness and "
            f"Review pages now show this run."
        )
elif not changed:
    st.caption("Edit the policy to re-run the audit with your changes.")
