"""The evidence of a fairness check: the group table, the exclusions, the significance tests."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.catalog import GROUP_METRICS
from responsible_ai.fairness.groups import GroupCounts
from responsible_ai.fairness.rates import group_rate
from responsible_ai.fairness.uncertainty import adjust_p_values, two_proportion_tests

if TYPE_CHECKING:
    from responsible_ai.fairness.catalog import Disparity
    from responsible_ai.fairness.options import Options

__all__ = ["excluded_groups", "group_table", "impact_ratio_table", "significance"]


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def group_table(
    counts: GroupCounts,
    extra: dict[str, np.ndarray],
    eligible: np.ndarray,
    decision: str = "prediction",
) -> list[dict[str, Any]]:
    """One row per group: its counts, every count-based metric the data allows, and ``extra``.

    With ``decision`` other than ``prediction`` the counts are not of the model's decisions, so
    only the base rate (and ``extra``) is shown.
    """
    metrics = [
        m
        for m in GROUP_METRICS.values()
        if m.kind in ("rate", "mean_of")
        and (counts.has_target or "target" not in m.needs)
        and (decision == "prediction" or m.name == "base_rate")
    ]
    cells = counts.cells
    rates = {m.name: group_rate(cells, m.name) for m in metrics}
    rates.update({name: values for name, values in extra.items() if name not in rates})
    weighted = counts.weighted
    rows = []
    for index, (group, label) in enumerate(zip(counts.groups, counts.labels, strict=True)):
        row: dict[str, Any] = {
            "group": label,
            "values": dict(zip(counts.by, group, strict=True)),
            "count": int(counts.group_rows[index]),
        }
        if weighted:
            row["weight"] = float(cells["n"][index])
        for name, values in rates.items():
            row[name] = _clean(values[index])
        row["included"] = bool(eligible[index])
        rows.append(row)
    return rows


def excluded_groups(
    counts: GroupCounts, eligible: np.ndarray, options: Options
) -> list[dict[str, Any]]:
    """Each group left out of the comparison for its size, with its count, share and reason."""
    rows = counts.group_rows
    total = rows.sum()
    excluded = []
    for g in np.flatnonzero(~eligible):
        reasons = []
        if rows[g] < options.min_group_size:
            reasons.append(f"{int(rows[g])} rows < min_group_size {options.min_group_size}")
        share = float(rows[g] / total)
        if share < options.min_group_share:
            reasons.append(f"share {share:.2%} < min_group_share {options.min_group_share:.2%}")
        excluded.append(
            {
                "group": counts.labels[g],
                "count": int(rows[g]),
                "share": share,
                "reason": "; ".join(reasons),
            }
        )
    return excluded


def significance(
    counts: GroupCounts,
    disparity: Disparity,
    values: dict[str, np.ndarray],
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    method: str,
    correction: str,
    alpha: float,
) -> dict[str, Any]:
    """Test each group against the comparison group, corrected across groups.

    The comparison group is the reference group (``to_reference``), the rest of the data
    (``to_overall``) or the group with the highest rate (``between_groups``). Tests use row counts
    and are vectorised over the groups, so thousands of groups cost no more than a few arrays.
    """
    row_cells = counts.row_cells
    labels = counts.labels
    parts: list[tuple[str, np.ndarray, list[str], np.ndarray, np.ndarray]] = []
    for name in disparity.group_metrics:
        spec = GROUP_METRICS[name]
        if spec.kind not in ("rate", "scoring"):
            continue
        hits = np.sum([row_cells[c] for c in spec.numerator], axis=0)
        trials = np.sum([row_cells[c] for c in spec.denominator], axis=0)
        usable = np.flatnonzero(usable_of[name])
        if usable.size == 0:
            continue
        anchor = reference
        if anchor is None and method == "between_groups":
            anchor = int(usable[np.argmax(values[name][usable])])
        tested = usable[usable != anchor] if anchor is not None else usable
        x1, n1 = hits[tested], trials[tested]
        if anchor is None:  # to_overall: each group against the rest of the data
            x2, n2 = hits.sum() - x1, trials.sum() - n1
            versus = ["rest of the data"] * tested.size
        else:
            x2 = np.full(tested.size, hits[anchor])
            n2 = np.full(tested.size, trials[anchor])
            versus = [labels[anchor]] * tested.size
        p_values, names = two_proportion_tests(x1, n1, x2, n2)
        parts.append((name, tested, versus, p_values, names))
    all_p = np.concatenate([part[3] for part in parts]) if parts else np.zeros(0)
    adjusted = adjust_p_values(all_p, correction)
    tests: list[dict[str, Any]] = []
    for name, tested, versus, p_values, names in parts:
        for g, other, p_value, test in zip(tested, versus, p_values, names, strict=True):
            tests.append(
                {
                    "metric": name,
                    "group": labels[g],
                    "versus": other,
                    "p_value": float(p_value),
                    "test": test,
                }
            )
    for row, p_adjusted in zip(tests, adjusted, strict=True):
        row["adjusted_p_value"] = p_adjusted
        row["significant"] = bool(p_adjusted < alpha) if not math.isnan(p_adjusted) else None
    return {"correction": correction, "alpha": alpha, "tests": tests}


def impact_ratio_table(
    counts: GroupCounts,
    rates: np.ndarray,
    name: str,
    eligible: np.ndarray,
    reference: int | None,
) -> list[dict[str, Any]]:
    """The NYC LL144 summary: group, count, rate and impact ratio, for every group.

    The impact ratio is the group's rate over the highest rate of the included groups (or over
    the reference group's rate); excluded groups keep their count and rate, with no ratio.
    """
    included = eligible & ~np.isnan(rates)
    if reference is not None:
        base = float(rates[reference])
    else:
        base = float(np.max(rates[included])) if included.any() else math.nan
    table = []
    for g, label in enumerate(counts.labels):
        rate = float(rates[g])
        defined = base > 0 and not math.isnan(rate) and bool(eligible[g])
        table.append(
            {
                "group": label,
                "count": int(counts.group_rows[g]),
                name: _clean(rate),
                "impact_ratio": rate / base if defined else None,
                "included": bool(included[g]),
            }
        )
    return table
