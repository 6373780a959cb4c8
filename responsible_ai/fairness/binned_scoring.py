"""The NYC LL144 scoring rate from an engine's counts per (group, outcome, fine score bin).

The scoring decision is "score above the sample's median score". From the rows per bin of the
whole sample the median's order statistics ``(N - 1) // 2`` and ``N // 2`` fall in known bins:

- in two bins ``b1 < b2``: every row of ``b1`` and below is at most the lower order statistic,
  below the median; every row of ``b2`` and above is above it. The decisions are exact.
- in one bin ``b``: rows of bins above ``b`` are above the median, rows below are not; rows of
  ``b`` itself are counted as not above (exact when they share one score, e.g. scores that are
  bin values), and each group's rate may be short by at most its share of weight in ``b``:
  the bound reported in the evidence with the range of the impact ratio it allows (noted above
  :data:`~responsible_ai.fairness.binned_auc.AUC_BIN_TOLERANCE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from responsible_ai.fairness.binned_auc import AUC_BIN_TOLERANCE, AUC_BINS
from responsible_ai.fairness.groups import GroupCounts

__all__ = ["BINNED_SCORING_NOTE", "BinnedScoring", "binned_scoring"]

BINNED_SCORING_NOTE = (
    "scoring rate computed by the engine over {bins} equal-width score bins: the median score "
    "falls inside a bin, whose rows are counted as not above it; a group's rate, or the impact "
    "ratio (evidence ratio_between), may differ by up to {bound:.3g} (more than the "
    "{tolerance:g} tolerance); audit the rows in memory (--engine pandas) for the exact value"
)


@dataclass(frozen=True)
class BinnedScoring:
    """The scoring decision's counts per group and cell, and each group's bound."""

    counts: GroupCounts
    bound: np.ndarray
    median_bin: tuple[float, float]

    def evidence(self, usable: np.ndarray) -> dict[str, Any]:
        """What the finding says about the binned median: the bounds, and a note above tolerance."""
        largest = float(np.max(self.bound[usable], initial=0.0))
        found: dict[str, Any] = {
            "bins": AUC_BINS,
            "median_between": list(self.median_bin),
            "max_group_bound": largest,
            "tolerance": AUC_BIN_TOLERANCE,
        }
        weights = self.counts.weights[usable]
        total = weights.sum(axis=1)
        chosen = weights[:, weights.shape[1] // 2 :].sum(axis=1)  # the "above" cells
        if total.size and (total > 0).all():
            rate = chosen / total
            top = rate + self.bound[usable]
            with np.errstate(divide="ignore", invalid="ignore"):
                # where min(rate) / max(rate) can be, each rate in [rate, rate + bound]
                ratio = [float(rate.min() / top.max()), float(top.min() / rate.max())]
            found["ratio_between"] = [None if np.isnan(r) else r for r in ratio]
            largest = max(largest, 0.0 if np.isnan(ratio).any() else ratio[1] - ratio[0])
        if largest > AUC_BIN_TOLERANCE:
            found["note"] = BINNED_SCORING_NOTE.format(
                bins=AUC_BINS, bound=largest, tolerance=AUC_BIN_TOLERANCE
            )
        return found


def binned_scoring(
    by: tuple[str, ...],
    groups: list[tuple[object, ...]],
    rows: np.ndarray,
    weights: np.ndarray,
    has_target: bool,
) -> BinnedScoring:
    """The scoring decision's :class:`GroupCounts` from counts of shape ``(groups, bins, 2)``.

    The last axis is the outcome (target the positive label or not; 0 without a target).
    """
    per_bin = rows.sum(axis=(0, 2))
    total = round(float(per_bin.sum()))
    ends = np.cumsum(per_bin)
    low, high = (
        int(np.searchsorted(ends, k, side="right")) for k in ((total - 1) // 2, total // 2)
    )
    first_above = high if high > low else low + 1
    above = np.arange(rows.shape[1]) >= first_above
    inside = np.zeros(rows.shape[1], dtype=bool)
    if high == low:
        inside[low] = True
    n_bins = rows.shape[1]
    median_bin = (low / n_bins, (high + 1) / n_bins)

    def cells(values: np.ndarray) -> np.ndarray:
        chosen, rest = values[:, above, :].sum(axis=1), values[:, ~above, :].sum(axis=1)
        if has_target:  # cell = 2 * decision + outcome
            return np.concatenate([rest, chosen], axis=1)
        return np.stack([rest.sum(axis=-1), chosen.sum(axis=-1)], axis=1)

    group_weight = weights.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(
            group_weight > 0, weights[:, inside, :].sum(axis=(1, 2)) / group_weight, 0.0
        )
    counts = GroupCounts(
        by, groups, cells(rows).round().astype(np.int64), cells(weights), has_target=has_target
    )
    return BinnedScoring(counts, bound, median_bin)
