"""Helpers for the app tests: the app's path, its pages, and what a user reads on a page."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
PAGES = [
    "views/overview.py",
    "views/fairness.py",
    "views/explanations.py",
    "views/privacy.py",
    "views/mitigation.py",
    "views/robustness.py",
    "views/policy.py",
    "views/data_and_model.py",
    "views/review.py",
    "views/history.py",
    "views/download.py",
    "views/monitoring.py",
]


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def raw_texts(at: AppTest) -> str:
    """Every piece of text on the page as sent to the browser (Markdown source)."""
    parts = []
    for kind in (
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "title",
        "subheader",
    ):
        parts += [str(element.value) for element in getattr(at, kind)]
    return "\n".join(parts)


def texts(at: AppTest) -> str:
    """Every piece of text on the page as a user reads it (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", raw_texts(at))


LENDING = Path(__file__).resolve().parents[1] / "store" / "lending-fairness.yaml"
PASSWORD = "correct horse battery"
PROVENANCE = {
    "commit": "9f1c2ab34de5f60718",
    "branch": "release/2.3",
    "ci_job_url": "https://ci.example.org/acme/credit/jobs/42",
}


def failing_ci_report():
    """The lending policy on German credit, refusing everyone under 25: a failing report, as a
    CI job would submit it (a prediction column: no model, and the data stay with CI)."""
    from responsible_ai.auditing import audit
    from responsible_ai.datasets import load_german_credit

    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    report = audit(german.assign(approved=approved), str(LENDING), prediction="approved")
    assert report.verdict == "fail"
    return report


def submit_ci_run(report, label: str = "CI build 42", provenance=None) -> int:
    """Store ``report`` as the submitter ``ci`` would (``rai check --submit``); its run id."""
    from responsible_ai.store import Identity, ReviewStore

    with ReviewStore() as store:
        return store.save_run(
            report,
            label=label,
            submitter=Identity("ci", "submitter", "token:0123456789ab"),
            policy_text={str(LENDING): LENDING.read_text(encoding="utf-8")},
            provenance=PROVENANCE if provenance is None else provenance,
        )


def add_team(*people: tuple[str, str]) -> None:
    """Store users (the first an admin), all with :data:`PASSWORD`."""
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.people import add_user

    with ReviewStore() as store:
        for name, role in people:
            add_user(store, name, role, PASSWORD, actor="test")


def sidebar_texts(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption") for e in getattr(at.sidebar, kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts).replace("**", ""))


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="sign_in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_text(table) -> pd.DataFrame:
    """An ``st.table``'s cells as the reader sees them: the Markdown escapes the app puts on
    text cells (``st.table`` renders Markdown) taken off."""
    frame = table.value.copy()
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype) in ("str", "string"):
            frame[name] = [
                re.sub(r"\\(.)", r"\1", v) if isinstance(v, str) else v for v in frame[name]
            ]
    return frame
