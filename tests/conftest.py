"""Shared fixtures: paths to the shipped policies and sample data, small frames."""

from __future__ import annotations

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
