"""A small fairness-only policy for the mitigation tests (few bootstrap replicates, no
explanations), so that each candidate's audit takes a fraction of a second."""

from __future__ import annotations

from typing import Any


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
