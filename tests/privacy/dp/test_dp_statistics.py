"""DP statistics: each kind lands near the truth, per group too, and bounds never come from data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import StatisticSpec, dp_statistic
from responsible_ai.privacy.dp.statistics import (
    PRIVACY_LEAK,
    group_frames,
    no_privacy_leaks,
    plan_statistic,
)

RNG = np.random.default_rng(0)
FRAME = pd.DataFrame(
    {
        "age": RNG.integers(18, 80, 20_000).astype(float),
        "sex": RNG.choice(["Female", "Male"], 20_000),
        "race": RNG.choice(["A", "B", "C"], 20_000, p=[0.6, 0.3, 0.1]),
    }
)
# epsilon 5 on 20,000 rows: the noise is far below the tolerances used here.
BIG = 5.0


@pytest.mark.parametrize(
    ("spec", "truth", "tolerance"),
    [
        (dict(statistic="count"), len(FRAME), 10),
        (dict(statistic="sum", column="age", bounds=(0, 100)), FRAME["age"].sum(), 500),
        (dict(statistic="mean", column="age", bounds=(0, 100)), FRAME["age"].mean(), 0.1),
        (
            dict(statistic="mean", column="age", bounds=(0, 100), mechanism="snapping"),
            FRAME["age"].mean(),
            0.1,
        ),
        (
            dict(statistic="sum", column="age", bounds=(0, 100), mechanism="snapping"),
            FRAME["age"].sum(),
            500,
        ),
        (dict(statistic="variance", column="age", bounds=(0, 100)), FRAME["age"].var(), 5),
        (dict(statistic="quantile", column="age", bounds=(0, 100), q=0.5), 49, 2),
    ],
    ids=["count", "sum", "mean", "mean-snapping", "sum-snapping", "variance", "median"],
)
def test_statistic_is_close_to_the_truth(spec: dict, truth: float, tolerance: float) -> None:
    out = dp_statistic(FRAME, StatisticSpec(epsilon=BIG, **spec), random_state=1)
    assert out["value"] == pytest.approx(truth, abs=tolerance)
    assert out["epsilon"] == BIG


def test_statistic_is_noisy() -> None:
    spec = StatisticSpec(statistic="mean", column="age", bounds=(0, 100), epsilon=0.01)
    values = {dp_statistic(FRAME, spec, random_state=seed)["value"] for seed in range(3)}
    assert len(values) == 3


def test_per_group_values() -> None:
    spec = StatisticSpec(statistic="count", by="sex", epsilon=BIG)
    out = dp_statistic(FRAME, spec, random_state=2)
    truth = FRAME["sex"].value_counts()
    assert [g["group"] for g in out["groups"]] == ["Female", "Male"]
    for group in out["groups"]:
        assert group["value"] == pytest.approx(truth[group["values"]["sex"]], abs=10)


def test_histograms() -> None:
    numeric = StatisticSpec(
        statistic="histogram", column="age", bins=4, bounds=(0, 100), epsilon=BIG
    )
    out = dp_statistic(FRAME, numeric, random_state=3)["value"]
    truth, _ = np.histogram(FRAME["age"], bins=4, range=(0, 100))
    assert out["edges"] == [0, 25, 50, 75, 100]
    assert np.allclose(out["counts"], truth, atol=10)
    categorical = StatisticSpec(
        statistic="histogram", column="race", categories=["A", "B", "C", "D"], epsilon=BIG
    )
    out = dp_statistic(FRAME, categorical, random_state=3)["value"]
    truth = FRAME["race"].value_counts()
    assert np.allclose(out["counts"], [truth["A"], truth["B"], truth["C"], 0], atol=10)


def test_plan_names_mechanism_and_sensitivity() -> None:
    spec = StatisticSpec(statistic="mean", column="age", bounds=(0, 100), by="sex", epsilon=0.5)
    plan = plan_statistic(FRAME, spec)
    smallest = FRAME["sex"].value_counts().min()
    assert plan.operation == "mean(age) by sex"
    # add/remove one person: the centred sum moves by at most half the bounds' width, whatever n
    assert plan.mechanism == "Geometric count + Laplace centred sum"
    assert plan.sensitivity == pytest.approx(50)
    snapping = spec.model_copy(update={"mechanism": "snapping"})
    assert plan_statistic(FRAME, snapping).mechanism == "Snapping"
    assert plan_statistic(FRAME, snapping).sensitivity == pytest.approx(100 / smallest)


def test_privacy_leak_warning_becomes_an_error() -> None:
    from diffprivlib.tools import mean

    with (
        pytest.raises(InputError, match=re.escape(PRIVACY_LEAK.split("(")[0])),
        no_privacy_leaks(),
    ):
        mean(FRAME["age"].to_numpy(), epsilon=1.0)  # no bounds: diffprivlib reads the data


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (dict(statistic="mean", column="age"), "a mean needs bounds"),
        (dict(statistic="mean"), "a mean needs a column"),
        (dict(statistic="quantile", column="age", bounds=(0, 1)), "needs q"),
        (dict(statistic="mean", column="age", bounds=(5, 1)), "lower < upper"),
        (dict(statistic="histogram", column="age"), "either bins"),
        (
            dict(statistic="variance", column="age", bounds=(0, 1), mechanism="snapping"),
            "sum and mean",
        ),
        (dict(statistic="count", epsilon=0), "greater than 0"),
    ],
)
def test_bad_specs_are_rejected(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StatisticSpec(**({"epsilon": 1.0} | spec))


def test_missing_and_non_numeric_columns() -> None:
    with pytest.raises(InputError, match="column 'salary' is not in the data"):
        dp_statistic(
            FRAME, StatisticSpec(statistic="mean", column="salary", bounds=(0, 1), epsilon=1)
        )
    with pytest.raises(InputError, match="must be numeric"):
        dp_statistic(FRAME, StatisticSpec(statistic="mean", column="sex", bounds=(0, 1), epsilon=1))


def test_group_frames_overall_and_grouped() -> None:
    assert [values for values, _ in group_frames(FRAME, None)] == [{}]
    groups = group_frames(FRAME, ["sex", "race"])
    assert len(groups) == 6
    assert groups[0][0] == {"sex": "Female", "race": "A"}


def test_unseeded_release_draws_from_the_os_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    from diffprivlib.mechanisms import Geometric

    seen: list[str] = []

    class Spy(Geometric):
        def randomise(self, value: int) -> int:
            seen.append(type(self._rng).__name__)
            return super().randomise(value)

    monkeypatch.setattr("diffprivlib.mechanisms.Geometric", Spy)
    dp_statistic(FRAME, StatisticSpec(statistic="count", epsilon=1.0))
    dp_statistic(FRAME, StatisticSpec(statistic="count", epsilon=1.0), random_state=3)
    assert seen == ["SystemRandom", "RandomState"]
