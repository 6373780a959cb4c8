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


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Real argon2id, with the cheapest parameters: the tests hash many passwords."""
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


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


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No CI, token or store variables of the machine running the tests leak in."""
    from service_helpers import CI_VARIABLES

    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    return monkeypatch
