"""Intervals of a fairness check: of each group value and of the check's value.

Count-based metrics get closed forms (Wilson per group; simultaneous max-t over the group
contrasts for the disparity, :mod:`responsible_ai.fairness.simultaneous`); score and regression
metrics, which need the rows, keep the percentile bootstrap of their row replicates (over more
than two groups, the extreme is bounded by Sidak-simultaneous group intervals).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.groups import GroupCounts
from responsible_ai.fairness.rates import compare
from responsible_ai.fairness.score_intervals import GroupBounds, disparity_bounds, sidak
from responsible_ai.fairness.scores import (
    DELONG_METHOD,
    MAE_METHOD,
    RMSE_METHOD,
    ROW_BOOTSTRAP_METHOD,
)
from responsible_ai.fairness.simultaneous import GROUP_METHOD, disparity_interval, wilson_intervals
from responsible_ai.fairness.uncertainty import (
    percentile_interval,
    percentile_intervals,
)

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.fairness.catalog import Disparity
    from responsible_ai.fairness.options import Options
    from responsible_ai.policy.schema import Check

__all__ = [
    "MAE_SIMULTANEOUS_METHOD",
    "RMSE_SIMULTANEOUS_METHOD",
    "SIMULTANEOUS_METHOD",
    "Replicator",
    "bootstrap_intervals",
    "check_rng",
    "count_intervals",
    "row_interval_method",
]

SIMULTANEOUS_METHOD = (
    "Sidak-simultaneous percentile bootstrap of the groups (rows resampled), bounds of the "
    "extreme over more than two groups"
)
MAE_SIMULTANEOUS_METHOD = (
    f"{MAE_METHOD}; Sidak-simultaneous group bounds of the extreme over more than two groups"
)
RMSE_SIMULTANEOUS_METHOD = (
    f"{RMSE_METHOD}; Sidak-simultaneous group bounds of the extreme over more than two groups"
)

Replicator = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def check_rng(context: AuditContext, check: Check, by: list[str]) -> np.random.Generator:
    # Each check gets its own stream, so adding or reordering checks leaves its interval unchanged.
    salt = zlib.crc32(f"{check.id}|{'|'.join(by)}".encode())
    return np.random.default_rng([context.seed, salt])


def bootstrap_intervals(
    context: AuditContext,
    check: Check,
    by: list[str],
    counts: GroupCounts,
    disparity: Disparity,
    options: Options,
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    replicators: dict[str, Replicator | None] | None,
) -> dict[str, Any]:
    """Intervals of each group value and of the check's value: closed forms from the counts
    (:func:`count_intervals`), or a percentile bootstrap of the rows through ``replicators`` for
    score and regression metrics."""
    rng = check_rng(context, check, by)
    if replicators is None:
        return count_intervals(counts, disparity, options, usable_of, reference, rng)
    names = disparity.group_metrics
    rows = replicators

    def blocks() -> Iterator[dict[str, tuple[np.ndarray, np.ndarray]]]:
        drawn = {}
        for name in names:  # one after the other from one stream, as before
            replicate = rows[name]
            assert replicate is not None
            drawn[name] = replicate(options.n_boot, rng)
        yield drawn

    n_groups = len(counts.groups)
    # Stored group-major, so sorting each group's replicates reads contiguous memory.
    rates_of = {name: np.empty((n_groups, options.n_boot)) for name in names}
    components = np.empty((len(names), options.n_boot))
    start = 0
    for block in blocks():
        size = len(block[names[0]][0])
        for i, name in enumerate(names):
            rates, overall = block[name]
            rates_of[name][:, start : start + size] = rates.T
            components[i, start : start + size] = _disparity_replicates(
                rates, overall, usable_of[name], reference, disparity, options
            )
        start += size
    group_intervals: dict[str, dict[str, Any]] = {}
    for name in names:
        low, high, _ = percentile_intervals(rates_of[name], options.confidence, axis=1)
        group_intervals[name] = {
            label: None if np.isnan(lo) else [lo, hi]
            for label, lo, hi in zip(counts.labels, low.tolist(), high.tolist(), strict=True)
        }
    worst = (
        components.max(axis=0)
        if disparity.comparison in ("difference", "group_max")
        else components.min(axis=0)
    )  # NaN in any component stays NaN
    found = percentile_interval(worst, options.confidence)
    out: dict[str, Any] = {
        "interval": None if found is None else found.to_dict(),
        "groups": group_intervals,
    }
    bounds = _simultaneous(rates_of, names, usable_of, reference, disparity, options)
    if bounds is not None and out["interval"] is not None:
        out["interval"]["low"], out["interval"]["high"] = bounds
    out["method"] = row_interval_method(disparity, simultaneous=bounds is not None)
    return out


def row_interval_method(disparity: Disparity, simultaneous: bool) -> str:
    """What ``interval.method`` says for a score or regression check's interval."""
    if "roc_auc" in disparity.group_metrics:
        return DELONG_METHOD
    if "root_mean_squared_error" in disparity.group_metrics:
        return RMSE_SIMULTANEOUS_METHOD if simultaneous else RMSE_METHOD
    if "mean_absolute_error" in disparity.group_metrics:
        return MAE_SIMULTANEOUS_METHOD if simultaneous else MAE_METHOD
    return SIMULTANEOUS_METHOD if simultaneous else ROW_BOOTSTRAP_METHOD


def _simultaneous(
    rates_of: dict[str, np.ndarray],
    names: tuple[str, ...] | list[str],
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    disparity: Disparity,
    options: Options,
) -> list[float] | None:
    """The extreme over more than two groups from Sidak-simultaneous per-group percentile
    intervals, or None where the plain percentile interval of the extreme stays.

    The bootstrap of a largest (or smallest) group value over many groups is centred on the
    sample's extreme, which overstates the population's: bounds do not inherit that bias
    (measured in ``benchmarks/coverage_scores.py``; the same choice as ``disparity_bounds``).
    """
    usable = usable_of[names[0]]
    if len(names) != 1 or reference is not None or options.method != "between_groups":
        return None
    if int(usable.sum()) <= 2:
        return None
    level = sidak(options.confidence, int(usable.sum()))
    low, high, _ = percentile_intervals(rates_of[names[0]], level, axis=1)
    if disparity.comparison == "ratio" and np.nanmin(low[usable]) < 0:
        return None  # a ratio of signed values has no bound from the groups' bounds
    return disparity_bounds(GroupBounds(low, high), usable, disparity.comparison)


def count_intervals(
    counts: GroupCounts,
    disparity: Disparity,
    options: Options,
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Intervals of a count-based check: Wilson per group, max-t simultaneous for its value."""
    group_intervals: dict[str, dict[str, Any]] = {}
    for name in disparity.group_metrics:
        low, high = wilson_intervals(counts, name, options.confidence)
        group_intervals[name] = {
            label: None if np.isnan(lo) else [lo, hi]
            for label, lo, hi in zip(counts.labels, low.tolist(), high.tolist(), strict=True)
        }
    interval = disparity_interval(
        counts,
        disparity.group_metrics,
        disparity.comparison,
        options.method,
        usable_of,
        reference,
        options.confidence,
        options.n_boot,
        rng,
    )
    return {"interval": interval, "groups": group_intervals, "group_method": GROUP_METHOD}


def _disparity_replicates(
    rates: np.ndarray,
    overall: np.ndarray,
    usable: np.ndarray,
    reference: int | None,
    disparity: Disparity,
    options: Options,
) -> np.ndarray:
    """The disparity of each replicate (rows of ``rates``); NaN where it is not defined."""
    anchor = overall if reference is None else rates[:, reference]
    compared = rates[:, usable]
    values = compare(compared, disparity.comparison, options.method, anchor)
    # A replicate where a compared group's rate is undefined (e.g. no positives were drawn)
    # would compare fewer groups and look fairer: count it as undefined instead.
    lost = np.isnan(compared).any(axis=-1) | np.isnan(anchor)
    return np.where(lost, np.nan, values)
