"""DP fairness table: noisy rates near the exact ones, error bars that cover, disparities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import count_groups, group_rate
from responsible_ai.privacy.dp import dp_fairness_report
from responsible_ai.privacy.dp.fairness import fairness_operation

RNG = np.random.default_rng(7)
N = 20_000
FRAME = pd.DataFrame({"sex": RNG.choice(["Female", "Male"], N, p=[0.35, 0.65])})
TRUTH = RNG.random(N) < np.where(FRAME["sex"] == "Male", 0.3, 0.12)
PRED = np.where(RNG.random(N) < 0.8, TRUTH, ~TRUTH)


def exact(metric: str) -> np.ndarray:
    counts = count_groups(FRAME, ["sex"], PRED, TRUTH)
    return group_rate(counts.cells, metric)


def test_table_matches_the_fairness_engine_within_the_error_bars() -> None:
    table = dp_fairness_report(
        FRAME, by="sex", y_pred=PRED, y_true=TRUTH, epsilon=1.0, random_state=0
    )
    groups = table.groups
    assert groups["group"].tolist() == ["Female", "Male"]
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        truth = exact(metric)
        assert np.allclose(groups[metric], truth, atol=0.01)
        assert (groups[f"{metric}_low"] <= groups[metric]).all()
        assert (groups[metric] <= groups[f"{metric}_high"]).all()
        assert ((groups[f"{metric}_low"] <= truth) & (truth <= groups[f"{metric}_high"])).all()
    disparities = table.disparities.set_index("metric")
    selection = exact("selection_rate")
    assert disparities.loc["selection_rate", "difference"] == pytest.approx(
        selection.max() - selection.min(), abs=0.01
    )
    assert disparities.loc["selection_rate", "ratio"] == pytest.approx(
        selection.min() / selection.max(), abs=0.02
    )


def test_error_bars_widen_as_epsilon_shrinks() -> None:
    def width(epsilon: float) -> float:
        table = dp_fairness_report(
            FRAME, by="sex", y_pred=PRED, y_true=TRUTH, epsilon=epsilon, random_state=1
        )
        row = table.groups.iloc[0]
        return float(row["true_positive_rate_high"] - row["true_positive_rate_low"])

    assert width(0.01) > 2 * width(10.0)


def test_error_bars_cover_the_truth_at_their_level() -> None:
    # 60 releases of a small group at epsilon 0.2 (noise dominates): a 90% interval should miss
    # ~6 times. Missing 20 or more has probability 7.8e-7 (binomial(60, 0.1)).
    small = FRAME.iloc[:300]
    truth = float(PRED[:300][small["sex"] == "Female"].mean())
    misses = 0
    for seed in range(60):
        table = dp_fairness_report(
            small,
            by="sex",
            y_pred=PRED[:300],
            epsilon=0.2,
            confidence=0.9,
            draws=500,
            random_state=seed,
        )
        row = table.groups.iloc[0]
        misses += not row["selection_rate_low"] <= truth <= row["selection_rate_high"]
    assert misses < 20


def test_without_target_only_selection_rate() -> None:
    labels = np.where(PRED, "yes", "no")
    table = dp_fairness_report(
        FRAME, by=["sex"], y_pred=labels, positive_label="yes", epsilon=1.0, random_state=0
    )
    assert "true_positive_rate" not in table.groups
    assert table.disparities["metric"].tolist() == ["selection_rate"]
    assert table.to_dict()["groups"][0]["group"] == "Female"


@pytest.mark.parametrize("epsilon", [0, -1, float("inf")])
def test_bad_epsilon(epsilon: float) -> None:
    with pytest.raises(InputError, match="'epsilon' parameter of dp_fairness_report"):
        dp_fairness_report(FRAME, by="sex", y_pred=PRED, epsilon=epsilon)


def test_mismatched_lengths_and_columns() -> None:
    with pytest.raises(InputError, match="y_pred has 3 values"):
        dp_fairness_report(FRAME, by="sex", y_pred=[True, False, True], epsilon=1.0)
    with pytest.raises(InputError, match="not in the data"):
        dp_fairness_report(FRAME, by="gender", y_pred=PRED, epsilon=1.0)


def test_operation_for_the_ledger() -> None:
    operation = fairness_operation(["sex"], 0.5)
    assert (operation.operation, operation.mechanism, operation.epsilon) == (
        "fairness table by sex",
        "Geometric",
        0.5,
    )
