from __future__ import annotations

from pathlib import Path

import pytest

from responsible_ai.auditing import audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.report.model import Report
from responsible_ai.store import ReviewStore

LENDING = Path(__file__).with_name("lending-fairness.yaml")


@pytest.fixture(scope="session")
def failing_report() -> Report:
    """The lending policy on German credit with decisions that fail the age checks."""
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    report = audit(
        german.assign(approved=approved),
        str(LENDING),
        prediction="approved",
    )
    assert report.verdict == "fail"
    return report


@pytest.fixture
def store(store_url) -> ReviewStore:
    """A new store on SQLite and on PostgreSQL (``store_url`` runs each test on both)."""
    store = ReviewStore(store_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def passing_report() -> Report:
    """The lending policy on German credit where the decisions are the true outcomes."""
    german = load_german_credit().data
    return audit(
        german.assign(approved=german["credit"]),
        "policies/eeoc-four-fifths.yaml",
        prediction="approved",
        target="credit",
        sensitive=["sex", "age_group"],
        positive_label="good",
    )


@pytest.fixture(scope="session")
def failing_page(failing_report) -> str:
    from responsible_ai.report.html import render_html

    return render_html(failing_report)
