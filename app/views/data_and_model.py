"""Data and model: upload a table and a model (or name a prediction column), roles, policy."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from common import announce, attempt, current_run, md, run_id, set_current_run

from responsible_ai.audit_run import run_audit, sample_run, shipped_policies
from responsible_ai.data_files import text_code_notes
from responsible_ai.uploads import (
    TABLE_SUFFIXES,
    TRUST_MODELS_ENV,
    load_uploaded_model,
    max_upload_bytes,
    read_uploaded_table,
    trust_uploaded_models,
)

run = current_run(with_data=True)  # the sample's data and model, once loaded
st.title("Data and model")
if run.stored:
    st.info(
        f"Run {run_id()} came from the review store, which keeps its report but not its data "
        "or model: upload them here to audit them again (the result is a new run)."
    )
limit_mb = attempt(max_upload_bytes)
if limit_mb is None:
    st.stop()
st.caption(
    f"Uploads up to {limit_mb // (1024 * 1024)} MB. Models: .skops files"
    + (
        "; pickle and joblib files are allowed on this server."
        if trust_uploaded_models()
        else f"; pickle and joblib files are refused (they run code when loaded; the server's "
        f"operator can allow them with {TRUST_MODELS_ENV}=1)."
    )
)

if st.button(
    "Back to the German credit sample",
    help="Audit the sample again with its policy",
    key="back_to_sample",
):
    sample = attempt(sample_run)
    if sample is not None:
        set_current_run(sample)
        announce("The German credit sample is the current run again.")

data_file = st.file_uploader(
    "Data (CSV, TSV or Parquet)", type=[s.lstrip(".") for s in TABLE_SUFFIXES], key="data_file"
)
if data_file is None:
    st.info("Upload the evaluation data to audit it: one row per person or decision.")
    st.stop()
frame = attempt(lambda: read_uploaded_table(data_file.name, data_file.getvalue()))
if frame is None:
    st.stop()
assert frame is not None
st.markdown(f"**{md(data_file.name)}**: {len(frame):,} rows, {len(frame.columns)} columns")
for note in text_code_notes(frame):  # ZIP codes and ids kept as the user wrote them
    st.caption(md(note))
st.dataframe(frame.head(8), hide_index=True, width="stretch")

columns = [str(c) for c in frame.columns]
source = st.radio(
    "Where do the decisions come from?",
    ["A model file", "A column of the data"],
    horizontal=True,
    key="source",
)
model = None
prediction = None
if source == "A model file":
    model_file = st.file_uploader(
        "Model (.skops)", type=["skops", "pkl", "pickle", "joblib"], key="model_file"
    )
    if model_file is not None:
        model = attempt(lambda: load_uploaded_model(model_file.name, model_file.getvalue()))
        if model is None:
            st.stop()
        st.success(f"Loaded {md(type(model).__name__)} from {md(model_file.name)}.")
else:
    prediction = st.selectbox(
        "Prediction column", columns, index=None, placeholder="Choose", key="prediction"
    )

target = st.selectbox(
    "Target column (the true outcome, optional)",
    columns,
    index=None,
    placeholder="None",
    key="target",
)
outcome = target or prediction
positive = None
if outcome is not None:
    values = sorted(frame[outcome].dropna().unique().tolist(), key=str)[:50]
    positive = st.selectbox(
        f"Favourable value of {outcome}", values, format_func=str, key="positive"
    )
sensitive = st.multiselect(
    "Sensitive columns",
    [c for c in columns if c not in (target, prediction)],
    help="The groups the fairness checks compare.",
    key="sensitive",
)

policies = {path.name: path for path in shipped_policies()}
policy_choice = st.selectbox(
    "Policy",
    [*policies, f"The current run's policy ({run.policy_name})"],
    index=0,
    key="policy_choice",
)

ready = bool(sensitive) and (model is not None or prediction is not None)
if not ready:
    st.caption("Choose a model or a prediction column, and at least one sensitive column.")
if st.button("Audit", type="primary", disabled=not ready, key="audit"):
    if policy_choice in policies:
        path: Path = policies[policy_choice]
        text, name, directory = path.read_text(encoding="utf-8"), path.name, path.parent
    else:
        text, name, directory = run.policy_text, run.policy_name, run.policy_dir
    label = data_file.name + (f" + {model_file.name}" if model is not None else "")
    audited = attempt(
        lambda: run_audit(
            frame,
            text,
            policy_name=name,
            policy_dir=directory,
            model=model,
            label=label,
            data_name=data_file.name,
            prediction=prediction,
            target=target,
            sensitive=sensitive,
            positive_label=positive,
        )
    )
    if audited is not None:
        number = set_current_run(audited)
        announce(
            f"Run {number}: verdict {audited.report.verdict.upper()}. The Overview, Fairness and "
            "Review pages now show this run."
        )
