"""Shared inputs of the mitigation tests: the German credit sample, its reference pipeline and a
small fairness-only policy (few bootstrap replicates) so each audit takes a fraction of a second."""

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


def small_policy(**mitigation: Any) -> dict[str, Any]:
    return {
        "name": "mitigation-test",
        "data": {"target": "credit", "positive_label": "good", "sensitive": ["sex", "age_group"]},
        "seed": 7,
        "fairness": {"n_boot": 50, "min_group_size": 30},
        "mitigation": mitigation,
        "checks": [
            {
                "id": "equal-opportunity-age",
                "metric": "fairness.equal_opportunity_difference",
                "by": "age_group",
                "must": "<= 0.15",
                "severity": "high",
            },
            {
                "id": "parity-sex",
                "metric": "fairness.demographic_parity_difference",
                "by": "sex",
                "must": "<= 0.2",
                "severity": "medium",
            },
        ],
    }
