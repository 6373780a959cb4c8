"""What the engine tests share: the German sample with decisions, and report equality."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from responsible_ai.reference_models import train_reference_model

LENDING = Path(__file__).resolve().parents[2] / "policies" / "german-credit-lending.yaml"
# The lending policy's explanation and counterfactual checks need each row: the engines audit its
# fairness checks.
EXPLANATION_CHECKS = (
    "no-direct-reliance",
    "proxy-for-sex",
    "proxy-for-age-group",
    "attribution-gap-age",
    "explanation-faithful",
    "counterfactual-decision",
)


@cache
def german_model_and_decisions() -> tuple[Any, pd.DataFrame]:
    """The reference model and German credit with its decisions, two missing sexes, weights."""
    model, dataset = train_reference_model("german_credit")
    data = dataset.data.assign(approved=model.predict(dataset.data[dataset.features]))
    data.loc[[3, 500], "sex"] = None  # missing sensitive values form their own group
    data["weight"] = np.linspace(0.5, 2.0, len(data))
    return model, data


def fairness_only_policy(folder: Path) -> str:
    disabled = "".join(f"  - id: {check}\n    enabled: false\n" for check in EXPLANATION_CHECKS)
    path = folder / "fairness-only.yaml"
    path.write_text(f"name: fairness-only\nextends: {LENDING}\nchecks:\n{disabled}")
    return str(path)


def same_findings(ours: Any, theirs: Any) -> None:
    """Same checks, statuses, values (1e-12), intervals and group evidence."""
    assert [f.id for f in ours.checks] == [f.id for f in theirs.checks]
    assert [f.status for f in ours.checks] == [f.status for f in theirs.checks]
    for a, b in zip(ours.checks, theirs.checks, strict=True):
        if a.status == "skipped":
            continue
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert a.interval == pytest.approx(b.interval) if a.interval else b.interval is None
        assert rounded(a.evidence["groups"]) == rounded(b.evidence["groups"])


def rounded(value: Any) -> Any:
    """Numbers to 12 significant digits: weighted sums add in another order on each engine."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


# A weighted policy of decision-count checks over the German sample (engines must agree on it).
WEIGHTED = {
    "name": "weighted",
    "data": {
        "target": "credit",
        "positive_label": "good",
        "weight": "weight",
        "sensitive": ["sex", "age_group"],
    },
    "checks": [
        {"id": "dp", "metric": "fairness.demographic_parity_difference", "must": "<= 0.1"},
        {
            "id": "eo",
            "metric": "fairness.equalized_odds_difference",
            "must": "<= 0.1",
            "by": ["sex", "age_group"],
        },
        {"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"},
    ],
}
