"""Helpers for the app tests: the app's path, its pages, and what a user reads on a page."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
PAGES = [
    "views/overview.py",
    "views/fairness.py",
    "views/explanations.py",
    "views/privacy.py",
    "views/policy.py",
    "views/data_and_model.py",
    "views/review.py",
    "views/history.py",
    "views/download.py",
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
