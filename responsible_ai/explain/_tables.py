"""Summaries of SHAP values: global importance, attribution by group, proxies; with intervals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai._resampling import resample_count_chunks
from responsible_ai.explain._association import association

__all__ = [
    "global_importance",
    "group_attribution",
    "group_gaps",
    "plain",
    "proxy_table",
    "records",
]


def _bootstrap_means(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``values`` (rows x features) over bootstrap resamples of its rows.

    Each resample draws ``n`` row indices with replacement; how often each row was drawn (its
    weight) comes from :func:`~responsible_ai._resampling.resample_count_chunks`, a chunk of
    resamples at a time.
    """
    n = len(values)
    if n == 0:
        return np.full((resamples, values.shape[1]), np.nan)
    means = [counts @ values / n for counts in resample_count_chunks(n, resamples, rng)]
    return np.concatenate(means) if means else np.empty((0, values.shape[1]))


def global_importance(
    values: pd.DataFrame, *, resamples: int, confidence: float, random_state: int
) -> pd.DataFrame:
    """Mean |SHAP| per feature with a percentile bootstrap interval, most important first."""
    rng = np.random.default_rng(random_state)
    absolute = np.abs(values.to_numpy())
    means = _bootstrap_means(absolute, resamples, rng)
    alpha = (1 - confidence) / 2
    table = pd.DataFrame(
        {
            "feature": list(values.columns),
            "mean_abs_shap": absolute.mean(axis=0),
            "ci_low": np.quantile(means, alpha, axis=0),
            "ci_high": np.quantile(means, 1 - alpha, axis=0),
        }
    )
    table = table.sort_values(["mean_abs_shap", "feature"], ascending=[False, True])
    return table.reset_index(drop=True)


def group_attribution(values: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Mean SHAP value of every feature within every group of every sensitive column."""
    rows = []
    for column in groups.columns:
        labels = groups[column].astype(str).to_numpy()
        for label in sorted(set(labels)):
            members = labels == label
            means = values.to_numpy()[members].mean(axis=0)
            for feature, mean in zip(values.columns, means, strict=True):
                rows.append(
                    {
                        "sensitive": column,
                        "group": label,
                        "feature": feature,
                        "mean_shap": float(mean),
                        "rows": int(members.sum()),
                    }
                )
    return pd.DataFrame(rows, columns=["sensitive", "group", "feature", "mean_shap", "rows"])


def group_gaps(
    values: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    resamples: int,
    confidence: float,
    random_state: int,
) -> pd.DataFrame:
    """Per sensitive column and feature: highest minus lowest group mean SHAP, with interval.

    The interval resamples rows within each group (a stratified bootstrap), so group sizes stay
    as observed.
    """
    rng = np.random.default_rng(random_state)
    alpha = (1 - confidence) / 2
    matrix = values.to_numpy()
    rows = []
    for column in groups.columns:
        labels = groups[column].astype(str).to_numpy()
        names = sorted(set(labels))
        if len(names) < 2:
            continue
        point = np.stack([matrix[labels == name].mean(axis=0) for name in names])
        boot = np.stack(
            [_bootstrap_means(matrix[labels == name], resamples, rng) for name in names]
        )
        low, high = _gap_interval(boot, alpha)
        for position, feature in enumerate(values.columns):
            rows.append(
                {
                    "sensitive": column,
                    "feature": feature,
                    "gap": float(point[:, position].max() - point[:, position].min()),
                    "gap_ci_low": float(low[position]),
                    "gap_ci_high": float(high[position]),
                    "highest_group": names[int(point[:, position].argmax())],
                    "lowest_group": names[int(point[:, position].argmin())],
                }
            )
    columns = [
        "sensitive",
        "feature",
        "gap",
        "gap_ci_low",
        "gap_ci_high",
        "highest_group",
        "lowest_group",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["sensitive", "gap"], ascending=[True, False]).reset_index(drop=True)


GAP_METHOD = "stratified percentile bootstrap of rows"
SIDAK_GAP_METHOD = (
    "Sidak-simultaneous stratified percentile bootstrap of each group's mean, bounds of highest "
    "minus lowest (more than two groups)"
)


def gap_method(n_groups: int) -> str:
    """The name of :func:`group_gaps`' interval method for ``n_groups`` groups."""
    return SIDAK_GAP_METHOD if n_groups > 2 else GAP_METHOD


def _gap_interval(boot: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval of highest minus lowest group mean from ``boot`` (groups, resamples, features).

    Over more than two groups the percentile bootstrap of the sample's extreme is biased (it
    covered 91% at 10 groups in ``benchmarks/coverage_scores.py``): bound it with per-group
    intervals that hold together (Sidak), as the fairness checks do.
    """
    if len(boot) <= 2:
        gap = boot.max(axis=0) - boot.min(axis=0)
        return np.quantile(gap, alpha, axis=0), np.quantile(gap, 1 - alpha, axis=0)
    tail = (1 - (1 - 2 * alpha) ** (1 / len(boot))) / 2
    lows = np.quantile(boot, tail, axis=1)
    highs = np.quantile(boot, 1 - tail, axis=1)
    return np.maximum(0.0, lows.max(axis=0) - highs.min(axis=0)), highs.max(axis=0) - lows.min(
        axis=0
    )


def proxy_table(
    frame: pd.DataFrame,
    features: list[str],
    sensitive: list[str],
    importance: pd.DataFrame,
    threshold: float,
) -> pd.DataFrame:
    """Association of every non-sensitive model feature with every sensitive column."""
    weight = dict(zip(importance["feature"], importance["mean_abs_shap"], strict=True))
    rows = []
    for column in sensitive:
        for feature in features:
            if feature in sensitive:
                continue
            value, measure = association(frame[feature], frame[column])
            rows.append(
                {
                    "feature": feature,
                    "sensitive": column,
                    "association": value,
                    "measure": measure,
                    "importance": float(weight.get(feature, 0.0)),
                    "is_proxy": bool(value >= threshold),
                }
            )
    columns = ["feature", "sensitive", "association", "measure", "importance", "is_proxy"]
    table = pd.DataFrame(rows, columns=columns)
    order = ["association", "importance", "feature"]
    return table.sort_values(order, ascending=[False, False, True]).reset_index(drop=True)


def plain(value: Any) -> Any:
    """JSON-ready Python values: numpy scalars unwrapped, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as JSON-ready dicts."""
    return [plain(row) for row in table.to_dict("records")]
