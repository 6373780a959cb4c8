"""Score-based and regression group metrics, from the rows (in memory).

An engine that keeps the rows computes the same sums itself; :mod:`.score_sums` finishes them
with the ``finish`` of :class:`RowSums` below.

All but ROC AUC are functions of weighted sums per (group, score bin): mean score, calibration gap,
expected calibration error, mean prediction, MAE, RMSE. :class:`RowSums` holds what to sum and how
to finish, so the value of each group and its bootstrap replicates (rows drawn ``Poisson(1)``
times, one ``np.bincount`` per replicate and term) come from the same code. ROC AUC ranks the
scores within each group (scikit-learn's ``roc_auc_score``, with sample weights); its interval
is DeLong's: the variance of each group's AUC from its placement values (midranks, one sort per
group, O(n log n)), and replicates drawn from the normal law of each group's AUC, independent
across groups (their rows are disjoint), so differences and extremes over groups come out of
the same percentile machinery as the other metrics.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from responsible_ai.fairness.groups import GroupIndex

__all__ = [
    "DELONG_METHOD",
    "MAE_METHOD",
    "RMSE_METHOD",
    "ROW_BOOTSTRAP_LIMIT",
    "ROW_BOOTSTRAP_METHOD",
    "DeLong",
    "RowSums",
    "delong",
    "regression_group_values",
    "row_sums",
    "score_group_values",
    "scoring_decision",
]

# Above this many (rows x replicates) the row bootstrap of score metrics is skipped (noted).
ROW_BOOTSTRAP_LIMIT = 200_000_000

Sums = dict[str, np.ndarray]
Draws = tuple[np.ndarray, np.ndarray]
# Fewer effective rows than this: no RMSE interval (the t interval needs n > its quantile).
_MIN_RMSE_ROWS = 3

# What ``interval.method`` says for score and regression metrics.
ROW_BOOTSTRAP_METHOD = "percentile bootstrap (Poisson resampling of rows)"
DELONG_METHOD = "DeLong (normal, placement-value variance per group; groups independent)"
MAE_METHOD = "log-scale t interval of the mean absolute error"
RMSE_METHOD = (
    "log-scale t interval of the mean squared error (Bonett; kurtosis at least the groups' "
    "pooled one)"
)


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


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


@dataclass(frozen=True)
class RowSums:
    """A group metric computed from weighted sums of per-row ``terms`` per (group, bin).

    ``finish`` maps sums of shape ``(..., groups, bins)`` to values of shape ``(..., groups)``.
    """

    key: np.ndarray
    n_groups: int
    n_bins: int
    terms: dict[str, np.ndarray]
    finish: Callable[[Sums], np.ndarray]
    # Draws each group's value (and the overall one) from a closed-form interval, given the
    # sample's sums and each group's effective rows; None keeps the percentile row bootstrap.
    draws: Callable[[Sums, np.ndarray, int, np.random.Generator], Draws] | None = None

    def _sum(self, weight: np.ndarray) -> Sums:
        size = self.n_groups * self.n_bins
        return {
            name: np.bincount(self.key, weights=weight * term, minlength=size).reshape(
                self.n_groups, self.n_bins
            )
            for name, term in self.terms.items()
        }

    def values(self, weight: np.ndarray) -> tuple[np.ndarray, float]:
        """The value of each group, and of all rows together."""
        sums = self._sum(weight)
        overall = {name: s.sum(axis=0, keepdims=True) for name, s in sums.items()}
        return self.finish(sums), float(self.finish(overall)[0])

    def _effective_rows(self, weight: np.ndarray) -> np.ndarray:
        """Kish's effective rows of each group: ``(sum w)^2 / sum w^2``."""
        size = self.n_groups * self.n_bins
        total = np.bincount(self.key, weights=weight, minlength=size)
        squares = np.bincount(self.key, weights=weight**2, minlength=size)
        total = total.reshape(self.n_groups, self.n_bins).sum(axis=1)
        squares = squares.reshape(self.n_groups, self.n_bins).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(squares > 0, total**2 / squares, 0.0)

    def replicates(
        self, weight: np.ndarray, n_boot: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap replicates: values of shape ``(n_boot, groups)`` and overall ``(n_boot,)``."""
        if self.draws is not None:
            return self.draws(self._sum(weight), self._effective_rows(weight), n_boot, rng)
        draws = [self._sum(weight * rng.poisson(1.0, len(self.key))) for _ in range(n_boot)]
        sums = {name: np.stack([d[name] for d in draws]) for name in self.terms}
        overall = {name: s.sum(axis=1, keepdims=True) for name, s in sums.items()}
        return self.finish(sums), self.finish(overall)[:, 0]


def _rmse_draws(
    point: Sums, size: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of each group's RMSE (and the overall one) from a log-scale t interval of its mean
    squared error, so their percentiles at any level are that interval.

    Bonett's (2006) small-sample form, ``log(c mse) +- t c sqrt((kurt - (n - 3) / n) / (n - 1))``
    with ``c = n / (n - t)``; the kurtosis of a group is the larger of its own and the pooled
    standardized kurtosis of every group. Why: with heavy-tailed errors a group of 100 rows
    rarely shows its tail, so its own fourth moment (and any bootstrap of its rows) understates
    the spread of its mean squared error; the error law's shape is shared across groups far more
    often than its scale (measured in ``benchmarks/coverage_scores.py``).
    """
    from scipy.stats import t as student

    n = point["n"].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mse = point["e"].sum(axis=-1) / n
        kurtosis = point["q"].sum(axis=-1) / n / mse**2
        pooled = float(np.nansum(np.where(n > 0, n * kurtosis, 0.0)) / np.nansum(n))
    everyone = float(point["n"].sum())
    mse_all = float(point["e"].sum()) / everyone if everyone > 0 else math.nan
    kurtosis_all = float(point["q"].sum()) / everyone / mse_all**2 if mse_all > 0 else math.nan
    rows = np.append(size, float(size.sum()))
    mse = np.append(mse, mse_all)
    kurtosis = np.append(np.fmax(kurtosis, pooled), kurtosis_all)
    sized = rows > _MIN_RMSE_ROWS
    df = np.where(sized, rows - 1, 1.0)
    quantile = student.ppf(0.975, df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.where(sized, rows / (rows - quantile), np.nan)
        spread = c * np.sqrt(np.maximum(kurtosis - (rows - 3) / rows, 0.0) / np.maximum(df, 1))
        t = rng.standard_t(df, size=(n_boot, rows.size))
        drawn = np.sqrt(c * mse * np.exp(spread * t))
    drawn = np.where(sized, drawn, np.nan)
    return drawn[:, :-1], drawn[:, -1]


def _mae_draws(
    point: Sums, size: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of each group's MAE (and the overall one) from a log-scale t interval,
    ``log(mae) +- t sd / (sqrt(n) mae)``: absolute errors are skewed, so the percentile row
    bootstrap (and a plain t interval) is short in groups of a few dozen rows."""
    n = np.append(point["n"].sum(axis=-1), float(point["n"].sum()))
    e = np.append(point["e"].sum(axis=-1), float(point["e"].sum()))
    q = np.append(point["q"].sum(axis=-1), float(point["q"].sum()))
    rows = np.append(size, float(size.sum()))
    sized = rows > _MIN_RMSE_ROWS
    df = np.where(sized, rows - 1, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mae = e / n
        spread = np.sqrt(np.maximum(q / n - mae**2, 0.0) * rows / np.maximum(df, 1)) / mae
        t = rng.standard_t(df, size=(n_boot, rows.size))
        drawn = mae * np.exp(spread / np.sqrt(rows) * t)
    drawn = np.where(sized, drawn, np.nan)
    return drawn[:, :-1], drawn[:, -1]


def row_sums(
    metric: str,
    index: GroupIndex,
    values: np.ndarray,
    truth: np.ndarray | None,
    n_bins: int = 10,
) -> RowSums | None:
    """The :class:`RowSums` form of a metric; None for ROC AUC (not a sum).

    ``values`` are the scores (score metrics) or the numeric predictions (regression); ``truth``
    the outcome (boolean for scores, numeric for regression).
    """
    n_groups = len(index.groups)
    x = np.asarray(values, dtype=float)
    ones = np.ones(len(x))
    y = None if truth is None else np.asarray(truth, dtype=float)
    if metric in ("mean_score", "mean_prediction"):
        return RowSums(
            index.codes, n_groups, 1, {"n": ones, "x": x}, lambda s: _ratio(s["x"], s["n"])[..., 0]
        )
    if y is None:
        raise ValueError(f"{metric} needs the outcomes: set params.target")
    if metric == "calibration_gap":
        terms = {"n": ones, "x": x, "y": y}
        return RowSums(
            index.codes, n_groups, 1, terms, lambda s: _ratio(s["x"] - s["y"], s["n"])[..., 0]
        )
    if metric == "mean_absolute_error":
        terms = {"n": ones, "e": np.abs(x - y), "q": (x - y) ** 2}
        return RowSums(
            index.codes,
            n_groups,
            1,
            terms,
            lambda s: _ratio(s["e"], s["n"])[..., 0],
            _mae_draws,
        )
    if metric == "root_mean_squared_error":
        terms = {"n": ones, "e": (x - y) ** 2, "q": (x - y) ** 4}
        return RowSums(
            index.codes,
            n_groups,
            1,
            terms,
            lambda s: np.sqrt(_ratio(s["e"], s["n"])[..., 0]),
            _rmse_draws,
        )
    if metric == "expected_calibration_error":
        if x.min(initial=0.0) < 0 or x.max(initial=0.0) > 1:
            raise ValueError("expected_calibration_error needs scores between 0 and 1")
        bins = np.minimum((x * n_bins).astype(np.int64), n_bins - 1)
        terms = {"n": ones, "x": x, "y": y}

        def finish(s: Sums) -> np.ndarray:
            # sum over bins of n_b * |mean score_b - observed_b|, over the group's n
            return _ratio(np.abs(s["x"] - s["y"]).sum(axis=-1), s["n"].sum(axis=-1))

        return RowSums(index.codes * n_bins + bins, n_groups, n_bins, terms, finish)
    if metric == "roc_auc":
        return None
    raise ValueError(f"unknown score or regression metric {metric!r}")


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
    scores = np.asarray(score, dtype=float)
    w = np.ones(len(scores)) if weight is None else np.asarray(weight, dtype=float)
    sums = row_sums(metric, index, scores, y_true, n_bins)
    if sums is None:
        return _roc_auc(index, scores, np.asarray(y_true, dtype=float), w)
    return sums.values(w)[0]


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
    w = np.ones(len(predicted)) if weight is None else np.asarray(weight, dtype=float)
    sums = row_sums(metric, index, predicted, actual)
    assert sums is not None
    return sums.values(w)[0]


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


def _midranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.asarray(rankdata(values, method="average"), dtype=float)


@dataclass(frozen=True)
class DeLong:
    """Each group's ROC AUC and its DeLong variance (NaN where a group lacks a class)."""

    auc: np.ndarray
    variance: np.ndarray
    overall_auc: float
    overall_variance: float

    def replicates(self, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the AUCs from their normal laws, clipped to [0, 1]: ``(n_boot, groups)``."""
        sd = np.sqrt(np.maximum(self.variance, 0.0))
        groups = self.auc + sd * rng.standard_normal((n_boot, self.auc.size))
        overall = self.overall_auc + math.sqrt(max(self.overall_variance, 0.0)) * (
            rng.standard_normal(n_boot)
        )
        return np.clip(groups, 0.0, 1.0), np.clip(overall, 0.0, 1.0)


def _delong_one(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    positive, negative = scores[labels], scores[~labels]
    m, n = positive.size, negative.size
    if m == 0 or n == 0:
        return math.nan, math.nan
    combined = _midranks(np.concatenate([positive, negative]))
    # placement values: the share of the other class each score beats (ties count half)
    v10 = (combined[:m] - _midranks(positive)) / n
    v01 = 1.0 - (combined[m:] - _midranks(negative)) / m
    auc = float(v10.mean())
    s10 = float(v10.var(ddof=1)) if m > 1 else 0.0
    s01 = float(v01.var(ddof=1)) if n > 1 else 0.0
    return auc, s10 / m + s01 / n


def delong(index: GroupIndex, score: np.ndarray, y_true: np.ndarray) -> DeLong:
    """DeLong's AUC and variance of every group and of all rows (unweighted rows).

    One sort per group; DeLong, DeLong & Clarke-Pearson (1988), with midranks for ties as in
    Sun & Xu (2014).
    """
    scores = np.asarray(score, dtype=float)
    labels = np.asarray(y_true).astype(bool)
    order = np.argsort(index.codes, kind="stable")
    bounds = np.searchsorted(index.codes[order], np.arange(len(index.groups) + 1))
    auc = np.full(len(index.groups), np.nan)
    variance = np.full(len(index.groups), np.nan)
    for g in range(len(index.groups)):
        rows = order[bounds[g] : bounds[g + 1]]
        auc[g], variance[g] = _delong_one(scores[rows], labels[rows])
    overall_auc, overall_variance = _delong_one(scores, labels)
    return DeLong(auc, variance, overall_auc, overall_variance)
