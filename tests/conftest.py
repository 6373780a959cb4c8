"""Shared fixtures: paths to the shipped policies and sample data, small frames."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def policies_dir() -> Path:
    return ROOT / "policies"


@pytest.fixture(scope="session")
def german_csv() -> Path:
    return ROOT / "sample_data" / "german_credit.csv"


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Restore ``sys.modules["__main__"]`` after each test.

    Streamlit's AppTest runs the app script as ``__main__`` and leaves it there; processes that
    a later test spawns would then re-run the app script on start-up and fail.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main
