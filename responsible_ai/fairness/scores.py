"""Score-based group metrics: ROC AUC, calibration error, mean score; these need the rows.

Calibration statistics are sums per (group, score bin), so they take one ``np.bincount``; ROC AUC
ranks the scores within each group (scikit-learn's ``roc_auc_score``, with sample weights).
"""

from __future__ import annotations

import numpy as np

from responsible_ai.fairness.groups import GroupIndex

__all__ = ["regression_group_values", "score_group_values", "scoring_decision"]


def scoring_decision(score: np.ndarray) -> tuple[np.ndarray, float]:
    """Whether each score is above the sample's median score (NYC LL144 "scoring rate").

    Returns
    -------
    above : ndarray of bool
    median : float
    """
    scores = np.asarray(score, dtype=float)
    median = float(np.median(scores))
    return scores > median, median


def score_group_values(
    metric: str,
    index: GroupIndex,
    score: np.ndarray,
    y_true: np.ndarray,
    weight: np.ndarray | None = None,
    n_bins: int = 10,
) -> np.ndarray:
    """The value of a score-based metric for every group; NaN where undefined.

    Parameters
    ----------
    metric : {"roc_auc", "expected_calibration_error", "mean_score", "calibration_gap"}
    index : GroupIndex
        The group of each row.
    score : ndarray of float
        Predicted probability of the positive label.
    y_true : ndarray of bool
    weight : ndarray of float, optional
    n_bins : int
        Equal-width bins over [0, 1] for the expected calibration error.
    """
    n_groups = len(index.groups)
    scores = np.asarray(score, dtype=float)
    truth = np.asarray(y_true, dtype=float)
    w = np.ones(len(scores)) if weight is None else np.asarray(weight, dtype=float)
    if metric == "roc_auc":
        return _roc_auc(index, scores, truth, w)
    if metric in ("mean_score", "calibration_gap"):
        total = np.bincount(index.codes, weights=w, minlength=n_groups)
        score_sum = np.bincount(index.codes, weights=w * scores, minlength=n_groups)
        positives = np.bincount(index.codes, weights=w * truth, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(total > 0, score_sum / total, np.nan)
            observed = np.where(total > 0, positives / total, np.nan)
        return mean if metric == "mean_score" else mean - observed
    if metric == "expected_calibration_error":
        if scores.min(initial=0.0) < 0 or scores.max(initial=0.0) > 1:
            raise ValueError("expected_calibration_error needs scores between 0 and 1")
        bins = np.minimum((scores * n_bins).astype(np.int64), n_bins - 1)
        key = index.codes * n_bins + bins
        size = n_groups * n_bins
        total = np.bincount(key, weights=w, minlength=size).reshape(n_groups, n_bins)
        score_sum = np.bincount(key, weights=w * scores, minlength=size).reshape(n_groups, n_bins)
        positives = np.bincount(key, weights=w * truth, minlength=size).reshape(n_groups, n_bins)
        group_total = total.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.abs(score_sum - positives)  # = n_b * |mean score_b - observed_b|
            return np.where(group_total > 0, gap.sum(axis=1) / group_total, np.nan)
    raise ValueError(f"unknown score metric {metric!r}")


def _roc_auc(index: GroupIndex, scores: np.ndarray, truth: np.ndarray, w: np.ndarray) -> np.ndarray:
    from sklearn.metrics import roc_auc_score

    values = np.full(len(index.groups), np.nan)
    order = np.argsort(index.codes, kind="stable")
    bounds = np.searchsorted(index.codes[order], np.arange(len(index.groups) + 1))
    for g in range(len(index.groups)):
        rows = order[bounds[g] : bounds[g + 1]]
        labels = truth[rows]
        if labels.min(initial=1) == labels.max(initial=0):
            continue  # one class only: AUC is undefined
        values[g] = roc_auc_score(labels, scores[rows], sample_weight=w[rows])
    return values


def regression_group_values(
    metric: str,
    index: GroupIndex,
    predicted: np.ndarray,
    actual: np.ndarray | None,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Mean prediction, MAE or RMSE of every group, from weighted sums per group.

    Parameters
    ----------
    metric : {"mean_prediction", "mean_absolute_error", "root_mean_squared_error"}
    index : GroupIndex
    predicted, actual : ndarray of float
        ``actual`` is not needed for ``mean_prediction``.
    weight : ndarray of float, optional
    """
    n_groups = len(index.groups)
    w = np.ones(len(predicted)) if weight is None else np.asarray(weight, dtype=float)
    total = np.bincount(index.codes, weights=w, minlength=n_groups)
    if metric == "mean_prediction":
        term = predicted
    elif actual is None:
        raise ValueError(f"{metric} needs the numeric outcomes: set params.target")
    elif metric == "mean_absolute_error":
        term = np.abs(predicted - actual)
    elif metric == "root_mean_squared_error":
        term = (predicted - actual) ** 2
    else:
        raise ValueError(f"unknown regression metric {metric!r}")
    sums = np.bincount(index.codes, weights=w * term, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, sums / np.where(total > 0, total, 1), np.nan)
    return np.sqrt(mean) if metric == "root_mean_squared_error" else mean
