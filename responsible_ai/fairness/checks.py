"""Fairness checks: turn per-group counts into a disparity value and its evidence."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.checker.findings import Measurement
from responsible_ai.fairness.catalog import DISPARITIES, GROUP_METRICS, DisparityParams
from responsible_ai.fairness.groups import GroupCounts, count_groups, group_rate

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = ["counts_for", "group_table", "measure_disparity"]


def counts_for(context: AuditContext, by: list[str]) -> GroupCounts:
    """Per-group counts for ``by``, computed once per run and shared by every fairness check."""
    data = context.data

    def compute() -> GroupCounts:
        if data.y_pred is None:
            raise ValueError("no predictions: give a model or a prediction column")
        return count_groups(data.frame, by, data.y_pred, data.y_true, data.weight)

    return context.cached(("fairness.counts", tuple(by)), compute)


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def group_table(counts: GroupCounts) -> list[dict[str, Any]]:
    """One row per group: its counts and every group metric the data allows (None if undefined)."""
    metrics = [m for m in GROUP_METRICS.values() if counts.has_target or not m.needs_target]
    rates = {m.name: group_rate(counts.cells, m.name) for m in metrics}
    weighted = not np.array_equal(counts.cells["n"], counts.rows)
    rows = []
    for index, (group, label) in enumerate(zip(counts.groups, counts.labels, strict=True)):
        row: dict[str, Any] = {
            "group": label,
            "values": dict(zip(counts.by, group, strict=True)),
            "count": int(counts.rows[index]),
        }
        if weighted:
            row["weight"] = float(counts.cells["n"][index])
        if counts.has_target:
            positives = counts.cells["tp"][index] + counts.cells["fn"][index]
            row["base_rate"] = _clean(positives / counts.cells["n"][index])
        for name, values in rates.items():
            row[name] = _clean(values[index])
        rows.append(row)
    return rows


def _compare(values: np.ndarray, comparison: str) -> float:
    high, low = float(values.max()), float(values.min())
    if comparison == "difference":
        return high - low
    return low / high if high > 0 else math.nan


def measure_disparity(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """Compare groups on the check's metric; groups below the minimum size are listed, not used."""
    disparity = DISPARITIES[check.metric]
    params = DisparityParams.model_validate(check.params)
    min_size = params.min_group_size or context.policy.fairness.min_group_size
    counts = counts_for(context, by)
    table = group_table(counts)
    eligible = counts.rows >= min_size
    excluded = [row["group"] for row, ok in zip(table, eligible, strict=True) if not ok]

    components: dict[str, Any] = {}
    undefined: list[str] = []
    values: list[float] = []
    reasons: list[str] = []
    for name in disparity.group_metrics:
        label = GROUP_METRICS[name].label
        rates = group_rate(counts.cells, name)
        usable = eligible & ~np.isnan(rates)
        undefined += [
            f"{label} of {group}"
            for group, ok, rate in zip(counts.labels, eligible, rates, strict=True)
            if ok and math.isnan(rate)
        ]
        if usable.sum() < 2:
            components[name] = {"value": None, "groups_compared": int(usable.sum())}
            reasons.append(f"{label}: {int(usable.sum())} group(s) with a defined value")
            values.append(math.nan)
            continue
        groups = np.asarray(counts.labels, dtype=object)[usable]
        used = rates[usable]
        value = _compare(used, disparity.comparison)
        if math.isnan(value):
            reasons.append(f"{label}: the highest group rate is 0, so the ratio is undefined")
        components[name] = {
            "value": _clean(value),
            "highest": {"group": groups[int(used.argmax())], "value": float(used.max())},
            "lowest": {"group": groups[int(used.argmin())], "value": float(used.min())},
            "groups_compared": int(usable.sum()),
        }
        values.append(value)

    evidence: dict[str, Any] = {
        "by": by,
        "comparison": disparity.comparison,
        "groups": table,
        "overall": group_table(_as_one_group(counts))[0] | {"group": "overall"},
        "components": components,
        "min_group_size": min_size,
        "excluded_groups": excluded,
        "undefined": undefined,
    }
    if reasons:
        reason = "; ".join(reasons)
        if excluded:
            reason += f" (excluded below min_group_size={min_size}: {', '.join(excluded)})"
        return Measurement(None, evidence, undefined_reason=f"cannot compare groups: {reason}")
    combined = max(values) if disparity.comparison == "difference" else min(values)
    return Measurement(combined, evidence)


def _as_one_group(counts: GroupCounts) -> GroupCounts:
    total = {name: np.asarray([values.sum()]) for name, values in counts.cells.items()}
    return GroupCounts(
        counts.by[:0], [()], np.asarray([counts.rows.sum()]), total, counts.has_target
    )
