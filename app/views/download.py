"""Download: the report as JSON, Markdown, JUnit XML and a self-contained HTML file."""

from __future__ import annotations

import re

import streamlit as st
from common import current_run, run_id, store

from responsible_ai.report.html import render_html
from responsible_ai.review import run_review_state

run = current_run()
number = run_id()
report = run.report
st.title("Download")
reviews = store().reviews(number)
stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(report.policy.get("name", "report"))) + f"-run{number}"
st.caption(
    "The HTML report opens offline, includes this run's reviews, and prints to PDF from the "
    "browser (File → Print)."
)
formats = [
    (
        "HTML report",
        "html",
        "text/html",
        lambda: render_html(report, reviews, run_review_state(report, reviews)),
    ),
    ("JSON report", "json", "application/json", report.to_json),
    ("Markdown report", "md", "text/markdown", report.to_markdown),
    ("JUnit XML", "xml", "application/xml", report.to_junit),
]
for label, suffix, mime, render in formats:
    st.download_button(
        f"{label} (.{suffix})",
        data=render(),
        file_name=f"{stem}.{suffix}",
        mime=mime,
        icon=":material/download:",
    )
