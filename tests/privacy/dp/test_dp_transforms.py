"""DP column transforms: scikit-learn conventions, calibrated noise, randomized response rates."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from diffprivlib.mechanisms import LaplaceBoundedDomain
from sklearn.utils.estimator_checks import parametrize_with_checks

from responsible_ai.privacy.dp import LaplaceNoise, RandomizedResponse
from responsible_ai.privacy.dp.transforms import BAD_BOUNDS, BAD_EPSILON, UNKNOWN_CATEGORY

# Noise is independent per row, so transforming a subset of rows or one batch at a time cannot
# give the same numbers as transforming everything at once (for a fixed random_state).
_RANDOM_PER_ROW = {
    "check_methods_subset_invariance": "noise is drawn per call: subsets get other draws",
    "check_methods_sample_order_invariance": "noise is drawn per call in row order",
}


@parametrize_with_checks(
    [LaplaceNoise(bounds=(-5.0, 5.0), random_state=0), RandomizedResponse(random_state=0)],
    expected_failed_checks=lambda estimator: _RANDOM_PER_ROW,
)
def test_sklearn_conventions(estimator, check) -> None:
    check(estimator)


def test_bounded_laplace_matches_diffprivlib_moments() -> None:
    # 100,000 draws: the mean's standard error is sqrt(var / n) ~ 0.066; Z=5 gives false
    # failure < 6e-7. diffprivlib's own bias/variance formulas are the reference.
    values = np.full((100_000, 1), 20.0)
    noise = LaplaceNoise(epsilon=0.5, bounds=(17, 90), random_state=0).fit(values)
    out = noise.transform(values)[:, 0]
    reference = LaplaceBoundedDomain(epsilon=0.5, delta=0, sensitivity=73, lower=17, upper=90)
    variance = reference.variance(20.0)
    assert noise.scale_[0] == pytest.approx(reference._find_scale())
    assert abs(out.mean() - (20 + reference.bias(20.0))) < 5 * math.sqrt(variance / len(out))
    assert out.var() == pytest.approx(variance, rel=0.03)
    assert out.min() >= 17 and out.max() <= 90


def test_bounded_laplace_noise_test_catches_a_wrong_scale() -> None:
    values = np.full((100_000, 1), 20.0)
    noise = LaplaceNoise(epsilon=0.5, bounds=(17, 90), random_state=0).fit(values)
    noise.scale_ = noise.scale_ / 2  # deliberately broken: half the noise
    out = noise.transform(values)[:, 0]
    reference = LaplaceBoundedDomain(epsilon=0.5, delta=0, sensitivity=73, lower=17, upper=90)
    assert out.var() != pytest.approx(reference.variance(20.0), rel=0.03)


def test_epsilon_per_column() -> None:
    X = np.tile([[50.0, 50.0]], (50_000, 1))
    out = LaplaceNoise(
        epsilon=[10.0, 0.1], bounds=[(0, 100), (0, 100)], random_state=1
    ).fit_transform(X)
    for column, epsilon in enumerate([10.0, 0.1]):
        reference = LaplaceBoundedDomain(
            epsilon=epsilon, delta=0, sensitivity=100, lower=0, upper=100
        ).variance(50.0)
        assert out[:, column].var() == pytest.approx(reference, rel=0.03)
    assert np.isnan(LaplaceNoise(bounds=(0, 1)).fit_transform([[np.nan]])).all()


@pytest.mark.parametrize("epsilon", [0, -1.0, [1.0, 2.0, 3.0], "a lot"])
def test_bad_epsilon_message(epsilon) -> None:
    message = BAD_EPSILON.format(name="LaplaceNoise", value=epsilon)
    with pytest.raises(ValueError, match=re.escape(message)):
        LaplaceNoise(epsilon=epsilon, bounds=(0, 1)).fit(np.zeros((3, 2)))


@pytest.mark.parametrize("bounds", [(1, 0), (0, np.inf), [(0, 1)] * 3, "wide"])
def test_bad_bounds_message(bounds) -> None:
    with pytest.raises(ValueError, match=re.escape(BAD_BOUNDS.format(value=bounds))):
        LaplaceNoise(bounds=bounds).fit(np.zeros((3, 2)))


def test_randomized_response_keeps_truth_at_its_rate() -> None:
    # k = 3, epsilon = 1: keep with e / (e + 2) = 0.576. 60,000 rows: standard error 0.002; the
    # tolerance 0.01 is 5 standard errors (false failure < 6e-7). Swaps spread evenly.
    n = 60_000
    X = np.array([["a"]] * n, dtype=object)
    rr = RandomizedResponse(epsilon=1.0, categories=[["a", "b", "c"]], random_state=2).fit(X)
    out = rr.transform(X)[:, 0]
    keep = math.e / (math.e + 2)
    assert rr.keep_probability_[0] == pytest.approx(keep)
    assert (out == "a").mean() == pytest.approx(keep, abs=0.01)
    assert (out == "b").mean() == pytest.approx((1 - keep) / 2, abs=0.01)


def test_randomized_response_likelihood_ratio_is_e_to_epsilon() -> None:
    # P[report a | truth a] / P[report a | truth b] must equal e^epsilon (here e^0.5 = 1.65).
    n = 60_000
    rr = RandomizedResponse(epsilon=0.5, categories=[["a", "b"]], random_state=3)
    from_a = rr.fit_transform(np.array([["a"]] * n, dtype=object))[:, 0]
    from_b = rr.fit_transform(np.array([["b"]] * n, dtype=object))[:, 0]
    ratio = (from_a == "a").mean() / (from_b == "a").mean()
    assert ratio == pytest.approx(math.exp(0.5), rel=0.05)


def test_unknown_category() -> None:
    rr = RandomizedResponse(categories=[["a", "b"]]).fit(np.array([["a"]], dtype=object))
    with pytest.raises(ValueError, match=re.escape(UNKNOWN_CATEGORY.format(column=0, value="z"))):
        rr.transform(np.array([["z"]], dtype=object))


def test_ledger_operations(tmp_path) -> None:
    from responsible_ai.privacy.dp import BudgetExceededError, BudgetLedger

    noise = LaplaceNoise(epsilon=[0.5, 0.25], bounds=[(17, 90), (1, 99)]).fit(np.zeros((2, 2)))
    operations = noise.ledger_operations(["age", "hours_per_week"])
    assert [(o.operation, o.epsilon, o.sensitivity) for o in operations] == [
        ("LaplaceNoise(age)", 0.5, 73.0),
        ("LaplaceNoise(hours_per_week)", 0.25, 98.0),
    ]
    rr = RandomizedResponse(epsilon=1.0).fit(np.array([["a"], ["b"]], dtype=object))
    ledger = BudgetLedger(str(tmp_path / "l.sqlite"))
    ledger.register("d", 2.0)
    ledger.charge("d", operations + rr.ledger_operations(["sex"]), budget=2.0)
    assert ledger.spent("d") == pytest.approx(1.75)
    with pytest.raises(BudgetExceededError):
        ledger.charge("d", rr.ledger_operations(), budget=2.0)


def test_unseeded_noise_comes_from_the_os_and_is_calibrated() -> None:
    # random_state=None draws from os.urandom; same distribution (5 standard errors on the mean,
    # false failure < 6e-7), and two releases differ.
    values = np.full((100_000, 1), 20.0)
    noise = LaplaceNoise(epsilon=0.5, bounds=(17, 90)).fit(values)
    first, second = noise.transform(values)[:, 0], noise.transform(values)[:, 0]
    reference = LaplaceBoundedDomain(epsilon=0.5, delta=0, sensitivity=73, lower=17, upper=90)
    variance = reference.variance(20.0)
    assert abs(first.mean() - (20 + reference.bias(20.0))) < 5 * math.sqrt(variance / len(first))
    assert not np.array_equal(first, second)
    rr = RandomizedResponse(epsilon=1.0, categories=[["a", "b", "c"]])
    out = rr.fit_transform(np.array([["a"]] * 60_000, dtype=object))[:, 0]
    assert (out == "a").mean() == pytest.approx(math.e / (math.e + 2), abs=0.01)
    assert (out == "c").mean() == pytest.approx(1 / (math.e + 2), abs=0.01)
