"""Fairness checks: turn per-group statistics into a disparity, its interval and its evidence."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.checker.findings import Measurement
from responsible_ai.fairness.catalog import DISPARITIES, GROUP_METRICS, Disparity
from responsible_ai.fairness.evidence import (
    excluded_groups,
    group_table,
    impact_ratio_table,
    significance,
)
from responsible_ai.fairness.groups import GroupCounts, GroupIndex, count_groups, group_index
from responsible_ai.fairness.intervals import Replicator, bootstrap_intervals
from responsible_ai.fairness.options import Options
from responsible_ai.fairness.rates import compare, group_rate

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "NO_PREDICTIONS",
    "NO_REFERENCE",
    "NO_REGRESSION_COLUMN",
    "NO_ROWS_FOR_SCORES",
    "RATIO_UNDEFINED",
    "REFERENCE_NOT_FOUND",
    "TOO_FEW_GROUPS",
    "Options",
    "counts_for",
    "measure_disparity",
]

NO_PREDICTIONS = "no predictions: give a model or a prediction column"
NO_REFERENCE = (
    "method 'to_reference' needs the reference group: set fairness.reference_group "
    "(or params.reference_group) with a value for {columns}"
)
RATIO_UNDEFINED = "{label}: the highest group rate is 0, so the ratio is undefined"
TOO_FEW_GROUPS = "{label}: {found} group(s) with a defined value, {needed} needed"
NO_REGRESSION_COLUMN = "regression metrics need params.{role}: the column of numeric {role}s"
NO_ROW_BOOTSTRAP = (
    "no bootstrap interval: score or regression metrics skip it above 200 million rows x "
    "replicates (lower fairness.n_boot), and ROC AUC has none with sample weights"
)
REFERENCE_NOT_FOUND = "the reference group {group!r} does not occur in the data"
NO_ROWS_FOR_SCORES = (
    "{metric} needs each row's score, but this audit holds only per-group counts "
    "(streamed Parquet); audit an in-memory DataFrame or CSV instead"
)


def index_for(context: AuditContext, by: list[str]) -> GroupIndex:
    """The group of every row for ``by``, computed once per run."""
    return context.cached(
        ("fairness.index", tuple(by)), lambda: group_index(context.data.frame, by)
    )


def counts_for(context: AuditContext, by: list[str], decision: str = "prediction") -> GroupCounts:
    """Per-group counts for ``by``, computed once per run and shared by every fairness check.

    ``decision`` is ``prediction`` (the model's decisions), ``scoring`` (score above the
    sample's median score, for the NYC LL144 scoring rate) or ``rows`` (no decisions: group
    sizes and base rates only, for score-based checks).
    """
    data = context.data

    def compute() -> GroupCounts:
        if len(data.frame) == 0 and decision == "scoring" and data.roles.score is not None:
            from responsible_ai.fairness.engine_scores import summed_scoring

            return summed_scoring(context, by).counts
        if len(data.frame) == 0:  # a streamed audit: only the prediction counts were made
            raise ValueError(NO_ROWS_FOR_SCORES.format(metric=f"the {decision} counts"))
        if decision == "rows":  # score-based checks without decisions: only group sizes matter
            decided = np.zeros(len(data.frame), dtype=bool)
        elif decision == "scoring":
            from responsible_ai.fairness.scores import scoring_decision

            if data.score is None:
                raise ValueError("no scores: give a score column or a model with predict_proba")
            decided = scoring_decision(data.score)[0]
        elif data.y_pred is None:
            raise ValueError(NO_PREDICTIONS)
        else:
            decided = data.y_pred
        return count_groups(data.frame, by, decided, data.y_true, data.weight)

    return context.cached(("fairness.counts", tuple(by), decision), compute)


def _decision_of(context: AuditContext, disparity: Disparity) -> str:
    kinds = {GROUP_METRICS[name].kind for name in disparity.group_metrics}
    if "scoring" in kinds:
        return "scoring"
    if kinds <= {"score", "regression"} and context.data.y_pred is None:
        return "rows"
    return "prediction"


def _group_values(
    context: AuditContext, counts: GroupCounts, by: list[str], metric: str, options: Options
) -> tuple[np.ndarray, float, Replicator | None]:
    """Value of ``metric`` for each group and overall, and how to bootstrap it from the rows.

    Count-based metrics return no replicator: their bootstrap resamples the counts.
    """
    spec = GROUP_METRICS[metric]
    if spec.from_counts:
        overall = group_rate(counts.overall().cells, metric)[0]
        return group_rate(counts.cells, metric), float(overall), None
    from responsible_ai.fairness.scores import (
        ROW_BOOTSTRAP_LIMIT,
        delong,
        row_sums,
        score_group_values,
    )

    data = context.data
    if data.frame is None or len(data.frame) == 0:  # rows counted by an engine: its sums
        from responsible_ai.fairness.engine_scores import summed_values

        column = data.roles.score if spec.kind == "score" else options.prediction
        if spec.kind == "regression" and column is None:
            column = data.roles.score
            if column is None:
                raise ValueError(NO_REGRESSION_COLUMN.format(role="prediction"))
        return summed_values(context, by, metric, column, options.target, options)
    index = index_for(context, by)
    weight = np.ones(len(index.codes)) if data.weight is None else data.weight
    if spec.kind == "regression":
        values = _numeric_column(context, options.prediction, "prediction")
        truth = _numeric_column(context, options.target, "target", required=False)
    else:
        values, truth = data.score, data.y_true
    assert values is not None  # required columns, or guaranteed by MetricSpec.needs
    sums = row_sums(metric, index, values, truth, options.n_bins)
    if sums is None:  # ROC AUC: ranks, not sums; DeLong's interval (unweighted rows only)
        assert truth is not None
        if data.weight is None:
            found = delong(index, values, truth)
            return found.auc, found.overall_auc, found.replicates
        one = GroupIndex((), [()], np.zeros(len(index.codes), dtype=np.int64))
        overall = score_group_values(metric, one, values, truth, weight)[0]
        return score_group_values(metric, index, values, truth, weight), float(overall), None
    group_values, overall = sums.values(weight)
    affordable = len(index.codes) * options.n_boot <= ROW_BOOTSTRAP_LIMIT
    return group_values, overall, (partial(sums.replicates, weight) if affordable else None)


def _closed_form(
    context: AuditContext,
    by: list[str],
    disparity: Disparity,
    options: Options,
    usable_of: dict[str, np.ndarray],
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """ROC AUC's and ECE's own intervals (``score_intervals``) between groups, unweighted.

    None where they do not apply (other metrics, weights, comparisons to the overall value or
    a reference group): the row bootstrap is used there.
    """
    from responsible_ai.fairness.score_intervals import closed_intervals

    (name,) = disparity.group_metrics if len(disparity.group_metrics) == 1 else (None,)
    data = context.data
    if name not in ("roc_auc", "expected_calibration_error") or options.method != "between_groups":
        return None
    if data.weight is not None or data.score is None or data.y_true is None:
        return None
    if len(data.frame) == 0 and data.roles.score is not None:  # an engine's per-bin sums
        from responsible_ai.fairness.engine_scores import summed_closed_intervals

        groups, bounds, method, labels = summed_closed_intervals(
            context, by, name, data.roles.score, usable_of[name], disparity.comparison, options
        )
    else:
        index = index_for(context, by)
        groups, bounds, method = closed_intervals(
            name,
            index,
            data.score,
            data.y_true,
            usable_of[name],
            disparity.comparison,
            options.confidence,
            options.n_bins,
        )
        labels = [" / ".join(str(value) for value in group) for group in index.groups]
    group_intervals = {
        name: {
            label: None if np.isnan(lo) else [float(lo), float(hi)]
            for label, lo, hi in zip(labels, groups.low, groups.high, strict=True)
        }
    }
    interval = None
    if bounds is not None:
        interval = {
            "low": bounds[0],
            "high": bounds[1],
            "confidence": options.confidence,
            "method": method,
            "n_boot": 0,
            "undefined_replicates": 0,
        }
    return group_intervals, interval


def _row_interval_method(disparity: Disparity) -> str:
    from responsible_ai.fairness.scores import (
        DELONG_METHOD,
        RMSE_METHOD,
        ROW_BOOTSTRAP_METHOD,
    )

    if "roc_auc" in disparity.group_metrics:
        return DELONG_METHOD
    if "root_mean_squared_error" in disparity.group_metrics:
        return RMSE_METHOD
    return ROW_BOOTSTRAP_METHOD


def _numeric_column(
    context: AuditContext, column: str | None, role: str, required: bool = True
) -> np.ndarray | None:
    """A regression check's numeric column (``params.prediction`` defaults to the score)."""
    data = context.data
    if column is None:
        if role == "prediction" and data.score is not None:
            return np.asarray(data.score, dtype=float)
        if not required:
            return None
        raise ValueError(NO_REGRESSION_COLUMN.format(role=role))
    if column not in data.frame.columns:
        raise ValueError(f"params.{role} column {column!r} is not in the data")
    values = data.frame[column]
    if values.isna().any():
        raise ValueError(f"params.{role} column {column!r} has missing values")
    try:
        return values.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"params.{role} column {column!r} must be numeric") from None


def _reference_position(counts: GroupCounts, options: Options) -> int:
    reference = options.reference_group or {}
    missing = [column for column in counts.by if column not in reference]
    if missing:
        raise ValueError(NO_REFERENCE.format(columns=", ".join(repr(c) for c in missing)))
    wanted = tuple(str(reference[column]) for column in counts.by)
    for position, group in enumerate(counts.groups):
        if tuple(str(value) for value in group) == wanted:
            return position
    raise ValueError(REFERENCE_NOT_FOUND.format(group=" / ".join(wanted)))


def measure_disparity(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """Compare groups on the check's metric, with a bootstrap interval and significance tests.

    Groups below ``min_group_size`` rows or ``min_group_share`` of the rows are listed in the
    evidence as excluded, and left out of the comparison; so are groups where a rate is undefined.
    """
    disparity = DISPARITIES[check.metric]
    options = Options.of(context, check)
    decision = _decision_of(context, disparity)
    counts = counts_for(context, by, decision)
    rows = counts.group_rows
    eligible = (rows >= options.min_group_size) & (rows >= options.min_group_share * rows.sum())
    reference = _reference_position(counts, options) if options.method == "to_reference" else None
    labels = counts.labels
    need = (
        1 if disparity.comparison.startswith("group_") or options.method != "between_groups" else 2
    )

    components: dict[str, Any] = {}
    values: dict[str, np.ndarray] = {}
    usable_of: dict[str, np.ndarray] = {}
    replicators: dict[str, Replicator | None] = {}
    undefined: list[str] = []
    reasons: list[str] = []
    for name in disparity.group_metrics:
        label = GROUP_METRICS[name].label
        group_values, overall, replicators[name] = _group_values(context, counts, by, name, options)
        values[name] = group_values
        usable = eligible & ~np.isnan(group_values)
        if reference is not None:
            usable[reference] = False
        usable_of[name] = usable
        undefined += [
            f"{label} of {labels[g]} is undefined (no rows in its denominator); left out of the "
            f"comparison (fairlearn would report 0)"
            for g in np.flatnonzero(eligible & np.isnan(group_values))
        ]
        anchor = overall if reference is None else group_values[reference]
        if reference is not None and (not eligible[reference] or math.isnan(anchor)):
            reasons.append(
                f"{label} of the reference group {labels[reference]} is undefined "
                "or the group is excluded"
            )
            components[name] = {"value": None, "groups_compared": int(usable.sum())}
            continue
        if usable.sum() < need:
            reasons.append(TOO_FEW_GROUPS.format(label=label, found=int(usable.sum()), needed=need))
            components[name] = {"value": None, "groups_compared": int(usable.sum())}
            continue
        value = float(compare(group_values[usable], disparity.comparison, options.method, anchor))
        used = np.flatnonzero(usable)
        high, low = used[group_values[used].argmax()], used[group_values[used].argmin()]
        components[name] = {
            "value": None if math.isnan(value) else value,
            "overall": None if math.isnan(overall) else overall,
            "highest": {"group": labels[high], "value": float(group_values[high])},
            "lowest": {"group": labels[low], "value": float(group_values[low])},
            "groups_compared": int(usable.sum()),
        }
        if math.isnan(value):
            reasons.append(RATIO_UNDEFINED.format(label=label))

    evidence: dict[str, Any] = {
        "by": by,
        "method": options.method,
        "comparison": disparity.comparison,
        "group_metrics": list(disparity.group_metrics),
        "groups": group_table(counts, values, eligible, decision),
        "overall": group_table(counts.overall(), {}, np.ones(1, dtype=bool), decision)[0]
        | {"group": "overall"},
        "components": components,
        "min_group_size": options.min_group_size,
        "min_group_share": options.min_group_share,
        "excluded_groups": [labels[g] for g in np.flatnonzero(~eligible)],
        "exclusions": excluded_groups(counts, eligible, options),
        "undefined": undefined,
    }
    if reference is not None:
        evidence["reference_group"] = labels[reference]
    if "roc_auc" in usable_of and len(context.data.frame) == 0:  # an engine's binned scores
        from responsible_ai.fairness.engine_scores import binning_evidence

        evidence |= binning_evidence(context, by, context.data.roles.score, usable_of["roc_auc"])
    if "scoring_rate" in usable_of and len(context.data.frame) == 0:
        from responsible_ai.fairness.engine_scores import summed_scoring

        evidence["binned_scores"] = summed_scoring(context, by).evidence(usable_of["scoring_rate"])
    if counts.weighted:
        evidence["weighted"] = True
    if reasons:
        reason = "; ".join(reasons)
        if evidence["excluded_groups"]:
            reason += f" (excluded: {', '.join(evidence['excluded_groups'])})"
        return Measurement(None, evidence, undefined_reason=f"cannot compare groups: {reason}")

    combined = [c["value"] for c in components.values()]
    result = max(combined) if disparity.comparison in ("difference", "group_max") else min(combined)
    interval: dict[str, Any] | None = None
    from_counts = all(GROUP_METRICS[n].from_counts for n in disparity.group_metrics)
    closed = (
        None if options.n_boot == 0 else _closed_form(context, by, disparity, options, usable_of)
    )
    if closed is not None:
        evidence["group_intervals"], interval = closed
        evidence["interval"] = interval
    elif options.n_boot > 0 and (from_counts or all(replicators.values())):
        found = bootstrap_intervals(
            context,
            check,
            by,
            counts,
            disparity,
            options,
            usable_of,
            reference,
            None if from_counts else replicators,
        )
        evidence["group_intervals"] = found.pop("groups")
        if "group_method" in found:  # count-based: Wilson, not the bootstrap of the value
            evidence["group_interval_method"] = found.pop("group_method")
        interval = found.get("interval")
        if interval is not None and not from_counts:
            interval["method"] = found.get("method") or _row_interval_method(disparity)
            if len(context.data.frame) == 0:  # an engine's sums, not resampled rows
                from responsible_ai.fairness.engine_scores import summed_method

                interval["method"] = summed_method(interval["method"])
        evidence["interval"] = interval
    elif options.n_boot > 0:
        evidence["interval_note"] = NO_ROW_BOOTSTRAP
    evidence["significance"] = significance(
        counts,
        disparity,
        values,
        usable_of,
        reference,
        options.method,
        options.correction,
        round(1 - options.confidence, 12),
    )
    if disparity.comparison == "ratio" and len(disparity.group_metrics) == 1:
        evidence["impact_ratios"] = impact_ratio_table(
            counts,
            values[disparity.group_metrics[0]],
            disparity.group_metrics[0],
            eligible,
            reference,
        )
    return Measurement(result, evidence, interval=interval)
