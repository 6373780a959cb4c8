"""Uncertainty from counts: bootstrap intervals and significance tests of group differences.

The bootstrap resamples rows by Poisson weights (each row drawn ``Poisson(1)`` times). Summed
over the rows of one (group, confusion cell), ``r`` such draws are one ``Poisson(r)`` draw, so a
replicate of the counts is one Poisson draw per cell, vectorized over replicates: the cost
depends on the number of groups, never on the number of rows. With sample weights, a cell's
resampled weight is its resampled row count times the cell's mean weight (exact for equal
weights within a cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from responsible_ai.fairness.groups import GroupCounts, derive_cells

__all__ = [
    "FISHER_BELOW",
    "Interval",
    "adjust_p_values",
    "bootstrap_cells",
    "percentile_interval",
    "two_proportion_test",
]

# Fisher's exact test replaces the normal approximation when an expected cell count is below this.
FISHER_BELOW = 5.0


@dataclass(frozen=True)
class Interval:
    """A two-sided percentile bootstrap interval."""

    low: float
    high: float
    confidence: float
    n_boot: int
    undefined_replicates: int = 0

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "method": "percentile bootstrap (Poisson resampling of per-group counts)",
            "n_boot": self.n_boot,
            "undefined_replicates": self.undefined_replicates,
        }


def bootstrap_cells(
    counts: GroupCounts, n_boot: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of the named counts, each of shape ``(n_boot, groups)``."""
    rows = counts.rows.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_weight = np.where(rows > 0, counts.weights / np.where(rows > 0, rows, 1), 0.0)
    draws = rng.poisson(rows, size=(n_boot, *rows.shape)) * mean_weight
    return derive_cells(draws, counts.has_target)


def percentile_interval(replicates: np.ndarray, confidence: float) -> Interval | None:
    """The percentile interval of replicates (NaN ones left out); None if none is defined."""
    values = np.asarray(replicates, dtype=float)
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [alpha, 1.0 - alpha])
    return Interval(
        float(low), float(high), confidence, values.size, int(values.size - defined.size)
    )


def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> tuple[float, str]:
    """Two-sided p-value that two proportions ``x1/n1`` and ``x2/n2`` are equal.

    A pooled two-proportion z-test, or Fisher's exact test when an expected cell is below
    :data:`FISHER_BELOW` (small groups, rare outcomes).

    Returns
    -------
    p_value : float
    test : {"two-proportion z-test", "Fisher's exact test"}
    """
    total = n1 + n2
    if n1 <= 0 or n2 <= 0:
        return math.nan, "none (empty group)"
    pooled = (x1 + x2) / total
    expected = [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)]
    if min(expected) < FISHER_BELOW:
        from scipy.stats import fisher_exact

        table = [[round(x1), round(n1 - x1)], [round(x2), round(n2 - x2)]]
        return float(fisher_exact(table).pvalue), "Fisher's exact test"
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0, "two-proportion z-test"
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2)), "two-proportion z-test"


def adjust_p_values(p_values: list[float], method: str) -> list[float]:
    """Adjust p-values for multiple comparisons: ``holm`` or ``bh`` (Benjamini-Hochberg).

    NaN p-values are left as they are and do not count as comparisons.
    """
    indexed = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    adjusted = list(p_values)
    m = len(indexed)
    if m == 0:
        return adjusted
    indexed.sort()
    if method == "holm":
        running = 0.0
        for rank, (p, i) in enumerate(indexed):
            running = max(running, min(1.0, (m - rank) * p))
            adjusted[i] = running
    elif method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            p, i = indexed[rank]
            running = min(running, p * m / (rank + 1))
            adjusted[i] = min(1.0, running)
    else:
        raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")
    return adjusted
