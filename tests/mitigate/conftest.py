"""Shared inputs of the mitigation tests: the German credit sample, its reference pipeline and a
policy helper in mitigation_helpers.py."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from responsible_ai.datasets import load_german_credit
from responsible_ai.reference_models import build_reference_model


@pytest.fixture(scope="session")
def german() -> Any:
    return load_german_credit()


@pytest.fixture(scope="session")
def german_frame(german: Any) -> pd.DataFrame:
    return german.data


@pytest.fixture(scope="session")
def german_model(german: Any) -> Any:
    """The reference pipeline, fitted (search only reads its parameters and columns)."""
    model = build_reference_model(german)
    return model.fit(german.data[german.features], german.data[german.target])
