"""DP models beside their non-private twins, compared by the fairness engine."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetExceededError, BudgetLedger, compare_dp_models
from responsible_ai.privacy.dp.models import NEEDS_DATA_NORM

RNG = np.random.default_rng(3)
N = 4_000
SEX = pd.Series(RNG.choice(["F", "M"], N), name="sex")
X = RNG.random((N, 3))
Y = (X[:, 0] + 0.3 * (SEX == "M") + 0.2 * RNG.random(N) > 0.8).astype(int)
TRAIN = np.arange(N) < 3_000


def compare(model: str, epsilon: float, **kwargs: object) -> pd.DataFrame:
    return compare_dp_models(
        X[TRAIN],
        Y[TRAIN],
        X[~TRAIN],
        Y[~TRAIN],
        sensitive=SEX[~TRAIN],
        epsilon=epsilon,
        model=model,
        random_state=0,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("logistic_regression", {"data_norm": np.sqrt(3)}),
        ("gaussian_nb", {"bounds": (np.zeros(3), np.ones(3))}),
        ("random_forest", {"bounds": (np.zeros(3), np.ones(3))}),
    ],
)
def test_one_table_with_both_models(model: str, kwargs: dict) -> None:
    table = compare(model, 10.0, **kwargs)
    assert table["model"].tolist() == [f"{model} (non-private)", f"{model} (dp)"]
    assert {"accuracy", "selection_rate_ratio", "equalized_odds_difference"} <= set(table)
    assert table.loc[0, "accuracy"] > 0.7
    assert table.loc[1, "epsilon"] == 10.0


def test_less_epsilon_costs_accuracy() -> None:
    accurate = compare("logistic_regression", 50.0, data_norm=np.sqrt(3)).loc[1, "accuracy"]
    noisy = [compare("logistic_regression", 0.001, data_norm=np.sqrt(3)).loc[1, "accuracy"]]
    assert accurate > max(noisy) + 0.05


def test_bounds_come_from_the_user() -> None:
    with pytest.raises(InputError, match=re.escape(NEEDS_DATA_NORM)):
        compare("logistic_regression", 1.0)
    with pytest.raises(InputError, match="gaussian_nb needs bounds"):
        compare("gaussian_nb", 1.0)
    with pytest.raises(InputError, match="unknown DP model"):
        compare("svm", 1.0)


def test_training_is_charged_to_the_ledger(tmp_path: Path) -> None:
    ledger = BudgetLedger(str(tmp_path / "l.sqlite"))
    ledger.register("d", 1.5)
    kwargs = {"data_norm": np.sqrt(3), "ledger": ledger, "dataset": "d", "budget": 1.5}
    compare("logistic_regression", 1.0, **kwargs)
    with pytest.raises(BudgetExceededError):
        compare("logistic_regression", 1.0, **kwargs)
    assert ledger.entries("d")["status"].tolist() == ["spent", "refused"]
