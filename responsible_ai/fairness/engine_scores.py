"""Score and regression checks of an audit whose rows stayed in an engine (DuckDB, Spark, ...).

The engine left each grouping's sums in the run's cache (``("fairness.score_sums", by, bins)``,
:class:`~responsible_ai.fairness.score_sums.GroupSums`); this module reads them where the
in-memory path would read the rows, so :mod:`responsible_ai.fairness.checks` stays one code
path with two sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.score_sums import (
    ABSENT_COLUMN,
    MISSING_VALUES,
    NOT_NUMERIC_COLUMN,
    SUMS_BOOTSTRAP_METHOD,
    SUMS_SIMULTANEOUS_METHOD,
    GroupSums,
    metric_sums,
)

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.fairness.binned_auc import BinnedAuc
    from responsible_ai.fairness.binned_scoring import BinnedScoring
    from responsible_ai.fairness.intervals import Replicator
    from responsible_ai.fairness.options import Options
    from responsible_ai.fairness.score_intervals import GroupBounds

__all__ = [
    "NOT_SUMMED",
    "SCORES_OUTSIDE_BINS",
    "binning_evidence",
    "ece_bin_sums",
    "summed_auc",
    "summed_closed_intervals",
    "summed_ece_intervals",
    "summed_method",
    "summed_scoring",
    "summed_values",
]

NOT_SUMMED = (
    "{metric} needs each row's score, but this audit holds only per-group counts and sums "
    "(rows counted by an engine), none of this score: give the score column (data.score), "
    "or audit an in-memory DataFrame or CSV instead"
)


SCORES_OUTSIDE_BINS = (
    "score column {column!r} has values from {low:g} to {high:g}; the engines compute ROC AUC "
    "and the scoring rate over fine bins of scores in [0, 1]: rescale the score to [0, 1] (a "
    "monotone map keeps both metrics), or audit the rows in memory (--engine pandas)"
)


def _sums(context: AuditContext, by: list[str], metric: str, n_bins: int) -> GroupSums:
    from responsible_ai.fairness.binned_auc import AUC_BINS

    bins = {"expected_calibration_error": n_bins, "roc_auc": AUC_BINS}.get(metric, 1)
    found = context.computed(("fairness.score_sums", tuple(by), bins))
    if found is None:
        raise ValueError(NOT_SUMMED.format(metric=metric))
    assert isinstance(found, GroupSums)
    return found


def summed_values(
    context: AuditContext,
    by: list[str],
    metric: str,
    column: str | None,
    target: str | None,
    options: Options,
) -> tuple[np.ndarray, float, Replicator | None]:
    """Each group's value, the overall value and the replicator, from the engine's sums.

    ``column`` is the numeric column (the score, or a regression prediction), ``target`` the
    regression outcome (None for score metrics).

    Raises
    ------
    ValueError
        The engine did not sum this metric (ROC AUC), or a column is absent or unusable.
    """
    if metric == "roc_auc":
        auc = summed_auc(context, by, column).found
        return (
            auc.auc,
            auc.overall_auc,
            (None if context.data.weight is not None else auc.replicates),
        )
    found = _sums(context, by, metric, options.n_bins)
    regression = metric in ("mean_prediction", "mean_absolute_error", "root_mean_squared_error")
    for role, name in (("prediction", column), ("target", target)):
        if name is not None and name not in found.needed.columns:
            if not regression:
                raise ValueError(NOT_SUMMED.format(metric=metric))
            raise ValueError(ABSENT_COLUMN.format(role=role, column=name))
    if column is None:
        raise ValueError(NOT_SUMMED.format(metric=metric))
    sums = metric_sums(metric, found, column, target if regression else None)
    values, overall = sums.values()
    return values, overall, sums.replicates


def summed_auc(context: AuditContext, by: list[str], column: str | None) -> BinnedAuc:
    """Each group's ROC AUC from the engine's counts per fine score bin, computed once per run.

    Raises
    ------
    ValueError
        The engine did not bin the score (no score column), or the score is unusable.
    """
    from responsible_ai.fairness.binned_auc import binned_auc

    def compute() -> BinnedAuc:
        found = _sums(context, by, "roc_auc", 0)
        if column is None or column not in found.needed.columns:
            raise ValueError(NOT_SUMMED.format(metric="roc_auc"))
        _usable_score(found, column)
        weighted = context.data.weight is not None
        return binned_auc(found.array("rai_weight"), found.array("rai_rows"), weighted)

    return context.cached(("fairness.binned_auc", tuple(by)), compute)


def summed_scoring(context: AuditContext, by: list[str]) -> BinnedScoring:
    """The LL144 scoring decision's counts from the engine's counts per fine score bin."""
    from responsible_ai.fairness.binned_scoring import binned_scoring

    def compute() -> BinnedScoring:
        column = context.data.roles.score
        if column is None:
            raise ValueError("no scores: give a score column or a model with predict_proba")
        found = _sums(context, by, "roc_auc", 0)  # the same fine bins as ROC AUC
        _usable_score(found, column)
        return binned_scoring(
            found.by,
            found.groups,
            found.array("rai_rows"),
            found.array("rai_weight"),
            context.data.roles.target is not None,
        )

    return context.cached(("fairness.binned_scoring", tuple(by)), compute)


def _usable_score(found: GroupSums, column: str) -> None:
    """The refusals of a binned score: missing or not numeric (as in memory), outside [0, 1]."""
    problem = found.problems.get(column)
    if problem is not None:
        message = NOT_NUMERIC_COLUMN if problem == "not numeric" else MISSING_VALUES
        raise ValueError(
            message.replace("params.{role}", "{role}").format(role="score", column=column)
        )
    low, high = found.score_range or (0.0, 1.0)
    if low < 0 or high > 1:
        raise ValueError(SCORES_OUTSIDE_BINS.format(column=column, low=low, high=high))


def summed_closed_intervals(
    context: AuditContext,
    by: list[str],
    metric: str,
    column: str,
    usable: np.ndarray,
    comparison: str,
    options: Options,
) -> tuple[GroupBounds, list[float] | None, str, list[str]]:
    """The closed-form ROC AUC (binned DeLong) or ECE intervals from the engine's sums."""
    if metric != "roc_auc":
        return summed_ece_intervals(context, by, column, usable, comparison, options)
    from responsible_ai.fairness.binned_auc import auc_intervals

    found = _sums(context, by, metric, 0)
    groups, bounds, method = auc_intervals(
        summed_auc(context, by, column).found, usable, comparison, options.confidence
    )
    labels = [" / ".join(str(value) for value in group) for group in found.groups]
    return groups, bounds, method, labels


def binning_evidence(
    context: AuditContext, by: list[str], column: str | None, usable: np.ndarray
) -> dict[str, Any]:
    """``{"binned_scores": ...}``: the exact bound of the engine's binned ROC AUC."""
    return {"binned_scores": summed_auc(context, by, column).evidence(usable)}


def summed_method(method: str) -> str:
    """The interval method of an engine's audit: the row bootstrap becomes the sums' one."""
    from responsible_ai.fairness.intervals import SIMULTANEOUS_METHOD
    from responsible_ai.fairness.scores import ROW_BOOTSTRAP_METHOD

    return {
        ROW_BOOTSTRAP_METHOD: SUMS_BOOTSTRAP_METHOD,
        SIMULTANEOUS_METHOD: SUMS_SIMULTANEOUS_METHOD,
    }.get(method, method)


def summed_ece_intervals(
    context: AuditContext,
    by: list[str],
    column: str,
    usable: np.ndarray,
    comparison: str,
    options: Options,
) -> tuple[GroupBounds, list[float] | None, str, list[str]]:
    """The closed-form ECE intervals from the engine's per-bin sums, and the group labels."""
    from responsible_ai.fairness.score_intervals import ece_intervals_from_sums

    found = _sums(context, by, "expected_calibration_error", options.n_bins)
    metric_sums("expected_calibration_error", found, column)  # the same refusals as the value's
    groups, bounds, method = ece_intervals_from_sums(
        ece_bin_sums(found, column), usable, comparison, options.confidence
    )
    labels = [" / ".join(str(value) for value in group) for group in found.groups]
    return groups, bounds, method, labels


def ece_bin_sums(found: GroupSums, column: str) -> dict[str, np.ndarray]:
    """Per (group, bin) rows, summed gap, summed squared gap and positives, unweighted.

    The closed-form ECE interval applies to unweighted rows only, where ``sum w x = sum x``.
    """
    i = found.needed.values.index(column)
    rows = found.array("rai_rows")
    x, xx = found.array(f"rai_x{i}"), found.array(f"rai_xx{i}")
    y = np.array([0.0, 1.0])
    return {
        "n": rows.sum(axis=-1),
        "total": (x - y * rows).sum(axis=-1),
        "squares": (xx - 2 * y * x + y * rows).sum(axis=-1),
        "positives": rows[..., 1],
    }
