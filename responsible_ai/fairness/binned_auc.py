"""ROC AUC from an engine's weighted counts per (group, outcome, fine score bin), no rows back.

The engines (DuckDB, Spark, streamed Parquet) already group their count table by equal-width
score bins for the expected calibration error; ROC AUC adds one more bin key, :data:`AUC_BINS`
bins over [0, 1] (``floor(score * AUC_BINS)``, the top edge in the last bin; scores below 0 or
above 1 fall in the edge bins). From the counts ``w+_b``, ``w-_b`` of each group:

- the AUC is Mann-Whitney's on the binned scores, pairs tied in a bin counted one half:
  ``sum_b w+_b (W-_{<b} + w-_b / 2) / (W+ W-)`` (scikit-learn's weighted ``roc_auc_score`` on
  the binned scores);
- binning only changes the pairs of a positive and a negative inside one bin, each by at most
  one half, so ``|AUC - AUC_binned| <= sum_b w+_b w-_b / (2 W+ W-)``: an exact bound, reported
  in the evidence, and noted when it exceeds :data:`AUC_BIN_TOLERANCE`;
- DeLong's variance (unweighted rows) comes from the placement values of the binned scores,
  one per (bin, outcome): it equals :func:`~responsible_ai.fairness.scores.delong` on rows
  whose scores are the bins' values.

On scores that are bin values (``k / AUC_BINS``), or with at most one class per bin, the
binned AUC is the exact AUC. Cost: the count table has up to ``AUC_BINS`` times more rows per
(group, prediction, target) cell; measured in ``benchmarks/`` notes of docs/scale.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.scores import DeLong

if TYPE_CHECKING:
    from responsible_ai.fairness.score_intervals import GroupBounds

__all__ = [
    "AUC_BINS",
    "AUC_BIN_TOLERANCE",
    "BINNED_AUC_NOTE",
    "BinnedAuc",
    "auc_intervals",
    "binned_auc",
]

#: Equal-width score bins over [0, 1] for ROC AUC on the engines: 2^12, so that scores
#: ``k / 4096`` fall in bin ``k`` exactly (floating point), and the count table stays small.
AUC_BINS = 1 << 12
#: A bound on |AUC - AUC_binned| above this is said in the finding's evidence.
AUC_BIN_TOLERANCE = 1e-3
BINNED_AUC_NOTE = (
    "ROC AUC computed by the engine over {bins} equal-width score bins: it may differ from the "
    "unbinned AUC by up to {bound:.3g} in a group (more than the {tolerance:g} tolerance: many "
    "scores of both classes share a bin); audit the rows in memory (--engine pandas) for the "
    "exact value"
)


@dataclass(frozen=True)
class BinnedAuc:
    """Each group's binned ROC AUC, its DeLong variance and its exact binning bound.

    ``found.variance`` is NaN with sample weights (as in memory: no DeLong interval then).
    """

    found: DeLong
    bound: np.ndarray
    overall_bound: float

    def evidence(self, usable: np.ndarray) -> dict[str, Any]:
        """What the finding says about the binning: the bounds, and a note above tolerance."""
        compared = self.bound[usable & ~np.isnan(self.bound)]
        largest = float(np.max(compared, initial=0.0))
        found: dict[str, Any] = {
            "bins": AUC_BINS,
            "max_group_bound": largest,
            "overall_bound": self.overall_bound,
            # a difference of two AUCs moves at most by the sum of their bounds
            "disparity_bound": 2 * max(largest, self.overall_bound),
            "tolerance": AUC_BIN_TOLERANCE,
        }
        if 2 * max(largest, self.overall_bound) > AUC_BIN_TOLERANCE:
            found["note"] = BINNED_AUC_NOTE.format(
                bins=AUC_BINS, bound=largest, tolerance=AUC_BIN_TOLERANCE
            )
        return found


def _auc_and_bound(positive: np.ndarray, negative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binned Mann-Whitney AUC and the binning bound over the last axis (bins)."""
    below = np.cumsum(negative, axis=-1) - negative
    pairs = positive.sum(axis=-1) * negative.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (positive * (below + 0.5 * negative)).sum(axis=-1) / pairs
        bound = 0.5 * (positive * negative).sum(axis=-1) / pairs
    defined = pairs > 0
    return np.where(defined, auc, np.nan), np.where(defined, bound, np.nan)


def _delong_variance(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """DeLong's variance from placement values per bin (row counts), over the last axis."""
    m, n = positive.sum(axis=-1, keepdims=True), negative.sum(axis=-1, keepdims=True)
    below = np.cumsum(negative, axis=-1) - negative
    above = positive.sum(axis=-1, keepdims=True) - np.cumsum(positive, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (below + 0.5 * negative) / n  # each positive's share of negatives it beats
        v01 = (above + 0.5 * positive) / m  # each negative's share of positives above it
        auc = (positive * v10).sum(axis=-1, keepdims=True) / m
        s10 = (positive * (v10 - auc) ** 2).sum(axis=-1) / np.where(m > 1, m - 1, 1)[..., 0]
        s01 = (negative * (v01 - auc) ** 2).sum(axis=-1) / np.where(n > 1, n - 1, 1)[..., 0]
        variance = s10 / m[..., 0] + s01 / n[..., 0]
    return np.where((m[..., 0] > 0) & (n[..., 0] > 0), variance, np.nan)


def binned_auc(weights: np.ndarray, rows: np.ndarray, weighted: bool) -> BinnedAuc:
    """Each group's ROC AUC from counts of shape ``(groups, bins, 2)`` (last axis the outcome).

    Parameters
    ----------
    weights : ndarray
        Summed weights per (group, bin, outcome) (the row counts without a weight column).
    rows : ndarray
        Rows per (group, bin, outcome), for DeLong's variance.
    weighted : bool
        Whether the rows carry sample weights: then no variance (NaN), as in memory.
    """
    weights = np.asarray(weights, dtype=float)
    rows = np.asarray(rows, dtype=float)
    auc, bound = _auc_and_bound(weights[..., 1], weights[..., 0])
    everyone = weights.sum(axis=0)
    overall_auc, overall_bound = _auc_and_bound(everyone[..., 1], everyone[..., 0])
    if weighted:
        variance = np.full(auc.shape, np.nan)
        overall_variance = np.nan
    else:
        variance = _delong_variance(rows[..., 1], rows[..., 0])
        total = rows.sum(axis=0)
        overall_variance = float(_delong_variance(total[..., 1], total[..., 0]))
    found = DeLong(auc, variance, float(overall_auc), overall_variance)
    return BinnedAuc(found, bound, float(overall_bound))


def auc_intervals(
    found: DeLong, usable: np.ndarray, comparison: str, confidence: float
) -> tuple[GroupBounds, list[float] | None, str]:
    """The in-memory closed-form AUC intervals (``closed_intervals``) of a :class:`DeLong`."""
    from responsible_ai.fairness.score_intervals import (
        AUC_METHOD,
        auc_bounds,
        auc_difference_of_two,
        disparity_bounds,
        sidak,
    )

    level = sidak(confidence, int(usable.sum()))
    groups, together = auc_bounds(found, confidence), auc_bounds(found, level)
    pair = np.flatnonzero(usable)
    if comparison == "difference" and pair.size == 2:
        return groups, auc_difference_of_two(found, pair, confidence), AUC_METHOD
    return groups, disparity_bounds(together, usable, comparison), AUC_METHOD
