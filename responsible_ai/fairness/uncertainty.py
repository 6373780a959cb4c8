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
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from responsible_ai.fairness.groups import GroupCounts, derive_cells

__all__ = [
    "BOOTSTRAP_BLOCK_CELLS",
    "FISHER_BELOW",
    "Interval",
    "adjust_p_values",
    "bootstrap_blocks",
    "bootstrap_cells",
    "fisher_exact_two_sided",
    "percentile_interval",
    "percentile_intervals",
    "two_proportion_test",
    "two_proportion_tests",
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


# Cells drawn at a time: a block of replicates stays in cache instead of one array of
# replicates x groups x cells, which for thousands of groups is hundreds of megabytes per step.
BOOTSTRAP_BLOCK_CELLS = 1 << 19


def bootstrap_blocks(
    counts: GroupCounts,
    n_boot: int,
    rng: np.random.Generator,
    block_cells: int = BOOTSTRAP_BLOCK_CELLS,
) -> Iterator[dict[str, np.ndarray]]:
    """:func:`bootstrap_cells` in consecutive blocks of replicates, each ``(block, groups)``.

    The blocks stacked equal :func:`bootstrap_cells` with the same generator: numpy draws the
    Poisson variates one after the other, so splitting the replicates changes nothing.
    """
    rows = counts.rows.astype(float)
    # An empty cell always draws 0 and numpy's Poisson sampler consumes no randomness for it, so
    # drawing only the non-empty cells gives the very same replicates at a fraction of the cost
    # when most cells are empty (thousands of small groups).
    filled = rows > 0
    lam = rows[filled]
    mean_weight = None
    if counts.weighted:  # unweighted, the mean weight is exactly 1 and multiplying is a no-op
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_weight = np.where(filled, counts.weights / np.where(filled, rows, 1), 0.0)
    per_block = max(1, block_cells // max(rows.size, 1))
    for start in range(0, n_boot, per_block):
        size = min(per_block, n_boot - start)
        draws = np.zeros((size, *rows.shape))
        draws[:, filled] = rng.poisson(lam, size=(size, lam.size))
        if mean_weight is not None:
            draws *= mean_weight
        yield derive_cells(draws, counts.has_target)


def bootstrap_cells(
    counts: GroupCounts, n_boot: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of the named counts, each of shape ``(n_boot, groups)``."""
    blocks = list(
        bootstrap_blocks(counts, n_boot, rng, block_cells=max(1, n_boot) * counts.rows.size)
    )
    if not blocks:
        return derive_cells(np.zeros((0, *counts.rows.shape)), counts.has_target)
    return blocks[0]


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


def percentile_intervals(
    replicates: np.ndarray, confidence: float, axis: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`percentile_interval` of each column of ``replicates`` (``(n_boot, k)``) at once.

    ``axis`` is the axis of the replicates (1 for ``(k, n_boot)``, which sorts faster: each
    group's replicates are contiguous). Returns ``low``, ``high`` (NaN where a column has no
    defined replicate) and the number of undefined replicates of each column. Same
    interpolation as ``np.quantile``'s linear method.
    """
    values = np.moveaxis(np.asarray(replicates, dtype=float), axis, -1)
    ordered = np.sort(values, axis=-1)  # NaN sorts last
    defined = (~np.isnan(values)).sum(axis=-1)
    alpha = (1.0 - confidence) / 2.0
    columns = np.arange(values.shape[0])
    last = np.maximum(defined, 1) - 1
    bounds = []
    for q in (alpha, 1.0 - alpha):
        position = q * last
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, last)
        a, b = ordered[columns, below], ordered[columns, above]
        t = position - below
        # numpy's _lerp: interpolate from the nearer end, for the same rounding as np.quantile.
        diff = b - a
        value = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        value = np.where(a == b, a, value)
        bounds.append(np.where(defined > 0, value, np.nan))
    return bounds[0], bounds[1], values.shape[-1] - defined


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


def two_proportion_tests(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`two_proportion_test` of many pairs at once: p-values and the name of each test.

    Vectorised over the pairs, so testing every group of a feature with thousands of values is
    linear in the groups; Fisher's exact test sums the hypergeometric probabilities of each
    table's support (bounded by the small expected cell that called for it).
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    p_values = np.full(x1.shape, np.nan)
    tests = np.full(x1.shape, "none (empty group)", dtype=object)
    valid = (n1 > 0) & (n2 > 0)
    total = np.where(valid, n1 + n2, 1.0)
    pooled = (x1 + x2) / total
    expected = np.minimum(np.minimum(n1, n2) * pooled, np.minimum(n1, n2) * (1 - pooled))
    exact = valid & (expected < FISHER_BELOW)
    normal = valid & ~exact
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    # math.erfc element by element: the very values of the scalar test (scipy's erfc differs in
    # the last bit), at a cost that is still a fraction of a second for 100k groups.
    erfc = np.frompyfunc(math.erfc, 1, 1)
    tails = np.asarray(
        erfc(np.abs(np.where(se[normal] == 0, 0.0, z[normal])) / math.sqrt(2)), dtype=float
    )
    p_values[normal] = np.where(se[normal] == 0, 1.0, tails)
    tests[normal] = "two-proportion z-test"
    if exact.any():
        tables = np.column_stack(
            [x1[exact], n1[exact] - x1[exact], x2[exact], n2[exact] - x2[exact]]
        )
        p_values[exact] = fisher_exact_two_sided(np.rint(tables).astype(np.int64))
        tests[exact] = "Fisher's exact test"
    return p_values, tests


# Support points of Fisher tables evaluated at a time: bounds the memory of a large batch.
_FISHER_CHUNK = 1 << 22


def fisher_exact_two_sided(tables: np.ndarray) -> np.ndarray:
    """Two-sided p-values of Fisher's exact test of 2x2 tables ``[[a, b], [c, d]]`` (rows of 4).

    scipy's definition: the probability of every table with the same margins that is no more
    likely than the observed one (relative tolerance 1e-14); 1 when a margin is 0. Equal tables
    are computed once.
    """
    from scipy.stats import hypergeom

    unique, inverse = np.unique(tables.reshape(-1, 4), axis=0, return_inverse=True)
    a, b, c, d = unique.T
    row1, row2, column1 = a + b, c + d, a + c
    total = row1 + row2
    low = np.maximum(0, column1 - row2)
    high = np.minimum(column1, row1)
    p_values = np.ones(len(unique))
    informative = (row1 > 0) & (row2 > 0) & (column1 > 0) & (column1 < total)
    todo = np.flatnonzero(informative)
    sizes = high[todo] - low[todo] + 1
    start = 0
    while start < len(todo):
        stop = start + max(1, int(np.searchsorted(np.cumsum(sizes[start:]), _FISHER_CHUNK)))
        chunk, size = todo[start:stop], sizes[start:stop]
        owner = np.repeat(np.arange(len(chunk)), size)
        first = np.repeat(np.cumsum(size) - size, size)
        k = low[chunk][owner] + np.arange(owner.size) - first
        args = (total[chunk][owner], row1[chunk][owner], column1[chunk][owner])
        pmf = hypergeom.pmf(k, *args)
        observed = hypergeom.pmf(a[chunk], total[chunk], row1[chunk], column1[chunk])
        extreme = pmf <= observed[owner] * (1 + 1e-14)
        p_values[chunk] = np.minimum(1.0, np.bincount(owner, pmf * extreme, minlength=len(chunk)))
        start = stop
    return p_values[inverse.reshape(-1)]


def adjust_p_values(p_values: list[float] | np.ndarray, method: str) -> list[float]:
    """Adjust p-values for multiple comparisons: ``holm`` or ``bh`` (Benjamini-Hochberg).

    NaN p-values are left as they are and do not count as comparisons. Vectorised (a sort and a
    running maximum or minimum), so it is linear in the comparisons up to the sort.
    """
    if method not in ("holm", "bh"):
        raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")
    values = np.asarray(p_values, dtype=float).reshape(-1)
    adjusted = values.copy()
    present = np.flatnonzero(~np.isnan(values))
    m = present.size
    if m == 0:
        return adjusted.tolist()
    # Ties in p keep their input order, as sorting (p, index) pairs does.
    order = present[np.argsort(values[present], kind="stable")]
    ordered = values[order]
    rank = np.arange(m)
    if method == "holm":
        adjusted[order] = np.maximum.accumulate(np.minimum(1.0, (m - rank) * ordered))
    else:
        running = np.minimum.accumulate((ordered * m / (rank + 1))[::-1])[::-1]
        adjusted[order] = np.minimum(1.0, running)
    return adjusted.tolist()
