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
