"""Per-group counts of one window, and performance per group: realised, and estimated from scores.

Estimated performance follows NannyML's confidence-based performance estimation (CBPE): with
calibrated scores ``p`` (the chance that a row's outcome is positive), a row predicted positive is
a true positive with chance ``p``, so the expected confusion counts of a group are sums of ``p``
and ``1 - p`` over its predicted-positive and predicted-negative rows. NannyML does this for the
whole data; here it is per group, from the window's score-bin counts (so it merges), with the
scores calibrated on the reference by histogram binning. Its interval is the normal interval of
the realised metric around the estimate: each row's outcome is Bernoulli(``p``), so the counts'
variances are sums of ``p (1 - p)`` (delta method for ratios). It assumes the calibration still
holds: when the relation between features and outcome changes (concept drift), only realised
labels show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from responsible_ai.fairness.groups import GroupCounts, group_index
from responsible_ai.fairness.simultaneous import normal_quantile
from responsible_ai.monitor.windows import NO_LABEL

__all__ = ["ESTIMABLE", "Estimate", "estimate_performance", "window_counts"]

#: Group metrics that can be estimated from calibrated scores.
ESTIMABLE: tuple[str, ...] = (
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "negative_predictive_value",
    "base_rate",
)
NOT_ESTIMABLE = (
    "monitoring.estimated_performance: {metric!r} cannot be estimated from scores; "
    "choose from {choices}"
)


def window_counts(table: pd.DataFrame, by: list[str], labelled: bool) -> GroupCounts | None:
    """Counts per group of the groups-table rows of one window.

    ``labelled`` True: only rows whose label has arrived, with the four confusion cells; False:
    every row, predicted positive / negative only. None when there are no such rows.
    """
    if labelled:
        table = table[table["actual"] != NO_LABEL]
    if len(table) == 0 or table["rows"].sum() == 0:
        return None
    index = group_index(table, by)
    cell = table["predicted"].to_numpy(dtype=np.int64)
    cells = 2
    if labelled:
        cell = 2 * cell + table["actual"].to_numpy(dtype=np.int64)
        cells = 4
    key = index.codes * cells + cell
    rows = np.bincount(
        key, weights=table["rows"].to_numpy(dtype=float), minlength=len(index.groups) * cells
    )
    rows = rows.round().astype(np.int64).reshape(-1, cells)
    return GroupCounts(tuple(by), index.groups, rows, rows.astype(float), has_target=labelled)


@dataclass(frozen=True)
class Estimate:
    """An estimated group metric: value and interval per group label."""

    metric: str
    groups: list[str]
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    rows: np.ndarray


def estimate_performance(
    scores: pd.DataFrame,
    by: list[str],
    metric: str,
    calibration: list[float] | None,
    confidence: float = 0.95,
) -> Estimate | None:
    """CBPE per group from one window's score-bin counts; None without scored rows."""
    if metric not in ESTIMABLE:
        raise ValueError(NOT_ESTIMABLE.format(metric=metric, choices=", ".join(ESTIMABLE)))
    if len(scores) == 0:
        return None
    rows = scores["rows"].to_numpy(dtype=float)
    if calibration is not None:
        p = np.asarray(calibration)[scores["bin"].to_numpy(dtype=np.int64)]
    else:  # no labelled reference: the scores are taken as calibrated
        p = scores["score_sum"].to_numpy(dtype=float) / np.maximum(rows, 1)
    index = group_index(scores, by)
    size = len(index.groups)
    positive = scores["predicted"].to_numpy(dtype=bool)

    def total(values: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.bincount(index.codes, weights=np.where(where, values, 0.0), minlength=size)

    n1, n0 = total(rows, positive), total(rows, ~positive)
    tp, fn = total(rows * p, positive), total(rows * p, ~positive)
    v1, v0 = total(rows * p * (1 - p), positive), total(rows * p * (1 - p), ~positive)
    fp, tn = n1 - tp, n0 - fn
    n = n1 + n0
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "accuracy":
            value, var = (tp + tn) / n, (v1 + v0) / n**2
        elif metric == "base_rate":
            value, var = (tp + fn) / n, (v1 + v0) / n**2
        elif metric == "precision":
            value, var = tp / n1, v1 / n1**2
        elif metric == "negative_predictive_value":
            value, var = tn / n0, v0 / n0**2
        else:
            a, b = (tp, fn) if metric == "true_positive_rate" else (fp, tn)
            value = a / (a + b)
            var = (b**2 * v1 + a**2 * v0) / (a + b) ** 4
    z = normal_quantile(0.5 + confidence / 2)
    spread = z * np.sqrt(np.maximum(var, 0))
    labels = [" / ".join(str(v) for v in group) for group in index.groups]
    return Estimate(
        metric,
        labels,
        value,
        np.clip(value - spread, 0, 1),
        np.clip(value + spread, 0, 1),
        n.round().astype(np.int64),
    )
