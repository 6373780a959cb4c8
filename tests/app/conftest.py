from __future__ import annotations

from pathlib import Path

import pytest
from app_testing import APP
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app_env(tmp_path, monkeypatch) -> Path:
    """A fresh review store (and RAI_HOME) per test."""
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAI_STORE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("RAI_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.delenv("RAI_TRUST_UPLOADED_MODELS", raising=False)
    return tmp_path


@pytest.fixture
def app(app_env) -> AppTest:
    """The review app, run once: it opens on the audited German credit sample."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Real argon2id, with the cheapest parameters (the app runs in this process)."""
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="session")
def ci_report():
    from app_testing import failing_ci_report

    return failing_ci_report()


@pytest.fixture
def stored_app(app_env, ci_report) -> AppTest:
    """The app opened at ``?run=1``: a failing run that CI submitted (no users)."""
    from app_testing import submit_ci_run

    assert submit_ci_run(ci_report) == 1
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["run"] = "1"
    at.run()
    assert not at.exception, at.exception
    return at
