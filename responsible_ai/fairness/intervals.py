"""Bootstrap intervals of a fairness check: of each group value and of the check's value."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.groups import GroupCounts
from responsible_ai.fairness.rates import compare, group_rate
from responsible_ai.fairness.uncertainty import (
    bootstrap_cells,
    percentile_interval,
    percentile_intervals,
)

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.fairness.catalog import Disparity
    from responsible_ai.fairness.options import Options
    from responsible_ai.policy.schema import Check

__all__ = ["Replicator", "bootstrap_intervals", "check_rng"]

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
    """Intervals of each group value and of the check's value; counts are resampled, or rows
    through ``replicators`` for score and regression metrics."""
    rng = check_rng(context, check, by)
    if replicators is None:
        replicates = bootstrap_cells(counts, options.n_boot, rng)
        overall_cells = {
            name: cells.sum(axis=-1, keepdims=True) for name, cells in replicates.items()
        }

        def draw(name: str) -> tuple[np.ndarray, np.ndarray]:
            return group_rate(replicates, name), group_rate(overall_cells, name)[:, 0]

    else:
        rows = replicators

        def draw(name: str) -> tuple[np.ndarray, np.ndarray]:
            replicate = rows[name]
            assert replicate is not None
            return replicate(options.n_boot, rng)

    per_component = []
    group_intervals: dict[str, dict[str, Any]] = {}
    for name in disparity.group_metrics:
        rates, overall = draw(name)
        usable = usable_of[name]
        anchor = overall if reference is None else rates[:, reference]
        disparity_values = compare(rates[:, usable], disparity.comparison, options.method, anchor)
        # A replicate where a compared group's rate is undefined (e.g. no positives were drawn)
        # would compare fewer groups and look fairer: count it as undefined instead.
        lost = np.isnan(rates[:, usable]).any(axis=-1) | np.isnan(anchor)
        per_component.append(np.where(lost, np.nan, disparity_values))
        low, high, _ = percentile_intervals(rates, options.confidence)
        group_intervals[name] = {
            label: None if np.isnan(lo) else [lo, hi]
            for label, lo, hi in zip(counts.labels, low.tolist(), high.tolist(), strict=True)
        }
    stacked = np.vstack(per_component)
    worst = (
        stacked.max(axis=0)
        if disparity.comparison in ("difference", "group_max")
        else stacked.min(axis=0)
    )  # NaN in any component stays NaN
    found = percentile_interval(worst, options.confidence)
    return {"interval": None if found is None else found.to_dict(), "groups": group_intervals}
