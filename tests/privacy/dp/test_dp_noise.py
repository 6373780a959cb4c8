"""Is the noise right? Moment tests and a neighbouring-datasets test, each shown to catch a
deliberately broken mechanism.

Every test uses a fixed seed, so it is deterministic; the false-failure probabilities stated below
are those of a random seed, i.e. how unlucky the fixed seed would have to be.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from diffprivlib.mechanisms import Geometric, Laplace
from diffprivlib.utils import check_random_state
from scipy.stats import beta

from responsible_ai.privacy.dp import StatisticSpec, dp_statistic

# |deviation| > 5 standard errors: two-sided probability 5.7e-7 (normal approximation)
Z = 5.0


def check_laplace_moments(draws: np.ndarray, scale: float) -> None:
    """Mean 0 and variance 2 b^2, each within Z standard errors.

    For Laplace(0, b): Var(X) = 2b^2 and Var(X^2) = E[X^4] - (E[X^2])^2 = 24b^4 - 4b^4 = 20b^4.
    """
    n = len(draws)
    mean_error = abs(draws.mean()) / math.sqrt(2 * scale**2 / n)
    assert mean_error < Z, f"mean {draws.mean():.4g} is {mean_error:.1f} standard errors from 0"
    variance = float(np.mean(draws**2))
    variance_error = abs(variance - 2 * scale**2) / math.sqrt(20 * scale**4 / n)
    assert variance_error < Z, (
        f"variance {variance:.4g} is {variance_error:.1f} standard errors from 2b^2 = "
        f"{2 * scale**2:.4g}"
    )


class BrokenLaplace(Laplace):
    """A mechanism whose noise scale is 20% too small: it spends more privacy than it says."""

    def randomise(self, value: float) -> float:
        return value + 0.8 * (super().randomise(value) - value)


@pytest.mark.parametrize(("epsilon", "sensitivity"), [(1.0, 1.0), (0.5, 3.0)])
def test_laplace_noise_has_mean_zero_and_variance_two_b_squared(
    epsilon: float, sensitivity: float
) -> None:
    # 20,000 draws: false failure < 1.2e-6 (two moments at 5.7e-7 each).
    mechanism = Laplace(epsilon=epsilon, sensitivity=sensitivity, random_state=1)
    draws = np.array([mechanism.randomise(0.0) for _ in range(20_000)])
    check_laplace_moments(draws, sensitivity / epsilon)


def test_moment_test_catches_a_broken_laplace() -> None:
    # The variance is 0.64 * 2b^2: 0.72 b^2 off, while the standard error is 0.032 b^2.
    mechanism = BrokenLaplace(epsilon=1.0, sensitivity=1.0, random_state=1)
    draws = np.array([mechanism.randomise(0.0) for _ in range(20_000)])
    with pytest.raises(AssertionError, match="standard errors from 2b"):
        check_laplace_moments(draws, 1.0)


@functools.cache
def released_mean_noise(draws: int, seed: int) -> np.ndarray:
    """Noise of `rai release`'s DP mean: 100 values in [0, 100], epsilon 1, so b = 1/1 = 1."""
    frame = pd.DataFrame({"x": np.linspace(40, 60, 100)})  # far from the bounds: no truncation
    spec = StatisticSpec(statistic="mean", column="x", bounds=(0, 100), epsilon=1.0)
    rng = check_random_state(seed)
    truth = frame["x"].mean()
    return np.array([dp_statistic(frame, spec, rng)["value"] - truth for _ in range(draws)])


def test_released_mean_is_calibrated_to_its_bounds() -> None:
    # 2,000 releases: the variance is known to ~7%; Z=5 still separates a factor-2 error in scale.
    check_laplace_moments(released_mean_noise(2_000, seed=3), scale=1.0)


def test_released_mean_moment_test_catches_wrong_bounds() -> None:
    with pytest.raises(AssertionError):
        check_laplace_moments(released_mean_noise(2_000, seed=3), scale=2.0)


def test_geometric_count_noise_moments() -> None:
    # Two-sided geometric with p = e^-eps: Var = 2p / (1 - p)^2. 20,000 draws; Z=5 on the mean,
    # and the variance within 10% (its relative standard error is ~1.5% here).
    epsilon = 0.7
    mechanism = Geometric(epsilon=epsilon, sensitivity=1, random_state=5)
    draws = np.array([mechanism.randomise(0) for _ in range(20_000)], dtype=float)
    p = math.exp(-epsilon)
    variance = 2 * p / (1 - p) ** 2
    assert abs(draws.mean()) < Z * math.sqrt(variance / len(draws))
    assert draws.var() == pytest.approx(variance, rel=0.10)


# --- neighbouring datasets -------------------------------------------------------------------

ALPHA = 1e-6  # each Clopper-Pearson interval misses with probability <= 1e-6
DRAWS = 10_000


def clopper_pearson(successes: int, trials: int, alpha: float = ALPHA) -> tuple[float, float]:
    low = 0.0 if successes == 0 else beta.ppf(alpha / 2, successes, trials - successes + 1)
    high = (
        1.0 if successes == trials else beta.ppf(1 - alpha / 2, successes + 1, trials - successes)
    )
    return float(low), float(high)


def released_counts(rows: int, draws: int, seed: int) -> np.ndarray:
    frame = pd.DataFrame({"x": np.zeros(rows)})
    spec = StatisticSpec(statistic="count", epsilon=1.0)
    rng = check_random_state(seed)
    return np.array([dp_statistic(frame, spec, rng)["value"] for _ in range(draws)])


def check_epsilon_dp(
    on_d: np.ndarray, on_d_prime: np.ndarray, events: dict, epsilon: float
) -> None:
    """For each event: P[D] <= e^eps P[D'] and back, unless the intervals prove otherwise.

    If all four intervals hold their true probability (probability >= 1 - 4e-6 per event), a
    mechanism that is epsilon-DP passes; so the false-failure probability is <= 4e-6 per event.
    """
    bound = math.exp(epsilon)
    for name, event in events.items():
        low_d, high_d = clopper_pearson(int(event(on_d).sum()), len(on_d))
        low_p, high_p = clopper_pearson(int(event(on_d_prime).sum()), len(on_d_prime))
        assert low_d <= bound * high_p, f"{name}: P[D] >= {low_d:.3f} > e^eps * {high_p:.3f}"
        assert low_p <= bound * high_d, f"{name}: P[D'] >= {low_p:.3f} > e^eps * {high_d:.3f}"


# The events where the ratio of a geometric mechanism is largest: exactly e^eps, so the test is
# tight (a mechanism using 2*eps gives a ratio e^2 = 7.4, detected with 10,000 draws).
EVENTS = {"count >= 11": lambda c: c >= 11, "count <= 10": lambda c: c <= 10}


def test_count_release_is_epsilon_dp_on_neighbouring_datasets() -> None:
    check_epsilon_dp(released_counts(10, DRAWS, 1), released_counts(11, DRAWS, 2), EVENTS, 1.0)


class BrokenGeometric(Geometric):
    """Calibrated to twice the stated epsilon: too little noise."""

    def __init__(self, *, epsilon: float, sensitivity: float = 1, random_state=None) -> None:
        super().__init__(epsilon=2 * epsilon, sensitivity=sensitivity, random_state=random_state)


def test_neighbouring_test_catches_a_broken_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("diffprivlib.mechanisms.Geometric", BrokenGeometric)
    on_d, on_d_prime = released_counts(10, DRAWS, 1), released_counts(11, DRAWS, 2)
    with pytest.raises(AssertionError, match="e\\^eps"):
        check_epsilon_dp(on_d, on_d_prime, EVENTS, 1.0)
