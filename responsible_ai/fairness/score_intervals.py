"""Closed-form intervals of ROC AUC and expected calibration error, per group and across groups.

Why not the row bootstrap for these two (measured in ``benchmarks/coverage_scores.py``):

- ROC AUC is not a sum over rows; DeLong's placement values give each group's variance in one
  sort. The interval is built on the logit scale (it stays in [0, 1] and holds better in small
  groups); the difference of two groups is Wald on the difference (groups are independent).
- The binned ECE is biased upward (``|mean gap|`` of a bin overstates ``|true gap|`` when the
  bin's noise is comparable), so its bootstrap is centred on the wrong value and the percentile
  interval misses the truth in small groups. Per group: where every bin's gap has a clear sign
  (beyond a Bonferroni bound over the bins), the ECE is a mean of ``sign_b * (score - outcome)``
  and gets a normal interval; otherwise the interval bounds the ECE bin by bin,
  ``sum p_b * [max(0, |gap_b| - z se_b), |gap_b| + z se_b]``, which is wide but holds.

Across groups (largest minus smallest, smallest, largest, smallest over largest) the interval
follows from group intervals that hold simultaneously (Sidak over the groups compared): the
extreme of the sample's values overstates the population's, and bounds do not inherit that bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# ndtri is norm.ppf without importing scipy.stats (~0.5 s): a counts-only audit needs no more.
from scipy.special import ndtri

from responsible_ai.fairness.groups import GroupIndex
from responsible_ai.fairness.scores import DeLong

__all__ = [
    "AUC_METHOD",
    "ECE_METHOD",
    "GroupBounds",
    "auc_bounds",
    "closed_intervals",
    "disparity_bounds",
    "ece_bounds",
    "ece_bounds_from_sums",
    "ece_intervals_from_sums",
]

AUC_METHOD = (
    "DeLong (logit scale per group; Wald difference of two groups; Sidak-simultaneous group "
    "bounds across more groups)"
)
ECE_METHOD = (
    "sign-split normal interval, or bin-wise bound where a bin's sign is unclear (binned ECE "
    "is biased); Sidak-simultaneous group bounds across groups"
)


# A bin's sign counts as clear only with this many rows (and a gap beyond its bound).
_CLEAR_BIN_ROWS = 10


@dataclass(frozen=True)
class GroupBounds:
    """Each group's interval at a level: ``low``, ``high`` (NaN where undefined)."""

    low: np.ndarray
    high: np.ndarray


def _z(confidence: float) -> float:
    return float(ndtri(1 - (1 - confidence) / 2))


def sidak(confidence: float, tests: int) -> float:
    """The per-test level at which ``tests`` independent intervals hold together."""
    return float(confidence ** (1 / max(tests, 1)))


def auc_bounds(found: DeLong, confidence: float) -> GroupBounds:
    """Each group's DeLong interval on the logit scale (a 0 or 1 AUC keeps the plain scale)."""
    z = _z(confidence)
    auc, sd = found.auc, np.sqrt(np.maximum(found.variance, 0.0))
    inside = (auc > 0) & (auc < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(auc / (1 - auc))
        spread = z * sd / (auc * (1 - auc))
        low = np.where(inside, 1 / (1 + np.exp(-(logit - spread))), np.clip(auc - z * sd, 0, 1))
        high = np.where(inside, 1 / (1 + np.exp(-(logit + spread))), np.clip(auc + z * sd, 0, 1))
    return GroupBounds(low, high)


def auc_difference_of_two(found: DeLong, pair: np.ndarray, confidence: float) -> list[float]:
    """Wald interval of ``|AUC_a - AUC_b|``'s signed form, folded: groups are independent."""
    a, b = pair
    difference = abs(found.auc[a] - found.auc[b])
    spread = _z(confidence) * math.sqrt(max(found.variance[a] + found.variance[b], 0.0))
    return [max(0.0, difference - spread), difference + spread]


def ece_bounds(
    index: GroupIndex, score: np.ndarray, truth: np.ndarray, n_bins: int, confidence: float
) -> GroupBounds:
    """Each group's ECE interval (see the module docstring), at ``confidence``."""
    x = np.asarray(score, dtype=float)
    y = np.asarray(truth, dtype=float)
    gap = x - y
    bins = np.minimum((x * n_bins).astype(np.int64), n_bins - 1)
    n_groups = len(index.groups)
    key = index.codes * n_bins + bins
    size = n_groups * n_bins

    def summed(weights: np.ndarray | None) -> np.ndarray:
        found = np.bincount(key, weights=weights, minlength=size).reshape(n_groups, n_bins)
        return np.asarray(found, dtype=float)

    sums = {"n": summed(None), "total": summed(gap), "squares": summed(gap**2)}
    return ece_bounds_from_sums(sums | {"positives": summed(y)}, confidence)


def ece_bounds_from_sums(sums: dict[str, np.ndarray], confidence: float) -> GroupBounds:
    """Each group's ECE interval from per (group, bin) unweighted sums: ``n`` (rows), ``total``
    and ``squares`` (summed gap and squared gap, score minus outcome) and ``positives``.

    The form every engine computes (:func:`responsible_ai.fairness.engine_scores.ece_bin_sums`).
    """
    n, total, squares, positives = (sums[k] for k in ("n", "total", "squares", "positives"))
    rows = n.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), 0.0)
        variance = np.where(n > 1, (squares - n * mean**2) / np.maximum(n - 1, 1), 1.0)
        # A few rows of one outcome show almost no spread: floor the variance at a Bernoulli's,
        # with the outcome rate shrunk as Agresti-Coull do.
        rate = (positives + 2) / (n + 4)
        variance = np.maximum(variance, rate * (1 - rate))
        se = np.sqrt(variance / np.maximum(n, 1))
        share = n / rows[:, None]
    occupied = (n > 0).sum(axis=1)
    # Bonferroni over each group's occupied bins: every bin's bound holds together.
    z_bins = ndtri(1 - (1 - confidence) / (2 * np.maximum(occupied, 1)))[:, None]
    se = np.where(n > 1, se, 1.0)  # a single row says nothing about its bin's spread
    clear = ((np.abs(mean) > z_bins * se) & (n >= _CLEAR_BIN_ROWS)) | (n == 0)
    low = (share * np.maximum(0.0, np.abs(mean) - z_bins * se)).sum(axis=1)
    high = (share * np.minimum(1.0, np.abs(mean) + z_bins * se)).sum(axis=1)
    # Where every bin's sign is clear, the ECE is the mean of sign_b * gap: a normal interval.
    sign = np.sign(mean)
    s1 = (sign * total).sum(axis=1)
    s2 = (sign**2 * squares).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = s1 / rows
        sd = np.sqrt(np.maximum(s2 / rows - value**2, 0.0) * rows / np.maximum(rows - 1, 1))
        spread = _z(confidence) * sd / np.sqrt(rows)
    sure = clear.all(axis=1) & (rows > 1)
    low = np.where(sure, np.maximum(0.0, value - spread), low)
    high = np.where(sure, value + spread, high)
    empty = rows == 0
    return GroupBounds(np.where(empty, np.nan, low), np.where(empty, np.nan, high))


def disparity_bounds(
    bounds: GroupBounds, usable: np.ndarray, comparison: str
) -> list[float] | None:
    """The interval of a between-groups comparison from simultaneous group bounds."""
    low, high = bounds.low[usable], bounds.high[usable]
    if low.size == 0 or np.isnan(low).any() or np.isnan(high).any():
        return None
    if comparison == "difference":
        return [max(0.0, float(low.max() - high.min())), float(high.max() - low.min())]
    if comparison == "group_min":
        return [float(low.min()), float(high.min())]
    if comparison == "group_max":
        return [float(low.max()), float(high.max())]
    top = float(high.max())
    bottom = float(low.max())
    return [
        float(low.min()) / top if top > 0 else 0.0,
        min(1.0, float(high.min()) / bottom) if bottom > 0 else 1.0,
    ]


def closed_intervals(
    metric: str,
    index: GroupIndex,
    score: np.ndarray,
    truth: np.ndarray,
    usable: np.ndarray,
    comparison: str,
    confidence: float,
    n_bins: int = 10,
) -> tuple[GroupBounds, list[float] | None, str]:
    """Group intervals, the between-groups comparison's interval, and the method's name."""
    from responsible_ai.fairness.scores import delong

    level = sidak(confidence, int(usable.sum()))
    if metric == "roc_auc":
        found = delong(index, score, truth)
        groups, together = auc_bounds(found, confidence), auc_bounds(found, level)
        pair = np.flatnonzero(usable)
        if comparison == "difference" and pair.size == 2:
            return groups, auc_difference_of_two(found, pair, confidence), AUC_METHOD
        return groups, disparity_bounds(together, usable, comparison), AUC_METHOD
    groups = ece_bounds(index, score, truth, n_bins, confidence)
    together = ece_bounds(index, score, truth, n_bins, level)
    return groups, disparity_bounds(together, usable, comparison), ECE_METHOD


def ece_intervals_from_sums(
    sums: dict[str, np.ndarray], usable: np.ndarray, comparison: str, confidence: float
) -> tuple[GroupBounds, list[float] | None, str]:
    """:func:`closed_intervals` of the ECE from per (group, bin) sums (an engine's)."""
    level = sidak(confidence, int(usable.sum()))
    groups = ece_bounds_from_sums(sums, confidence)
    together = ece_bounds_from_sums(sums, level)
    return groups, disparity_bounds(together, usable, comparison), ECE_METHOD
