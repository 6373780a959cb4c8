"""Explanation checks: one shared :class:`Explanation` per run, turned into findings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.checker.findings import Measurement
from responsible_ai.explain._association import associations_with, group_labels, groups_in
from responsible_ai.explain._sample import audited_rows
from responsible_ai.explain._tables import gap_method, group_gaps, records
from responsible_ai.explain.explanation import Explanation, explain

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "NO_MODEL_FEATURES",
    "additivity_error",
    "explanation_for",
    "group_attribution_gap",
    "max_proxy_association",
    "sensitive_attribution_share",
]

NO_MODEL_FEATURES = "cannot explain: the audit has no model (give one with --model)"
_REASONS_SHOWN = 20


def explanation_for(context: AuditContext) -> Explanation:
    """The run's explanation, computed once and shared by every explanation check."""
    data = context.data
    sample = context.computed("explain.engine_sample")  # an engine's rows (engines/sample.py)

    def compute() -> Explanation:
        if data.model is None or data.model_source is None:
            raise ValueError(NO_MODEL_FEATURES)
        settings = context.policy.explain
        explanation = explain(
            data.model,
            audited_rows(context),
            data.sensitive,
            features=list(data.model_source["features"]),
            rows=len(sample.frame) if sample is not None else settings.sample_size,
            random_state=context.seed,
            proxy_threshold=settings.proxy_threshold,
            positive_label=data.roles.positive_label,
            min_rows_per_group=settings.min_rows_per_group,
            background_size=settings.background_size,
            bootstrap=settings.bootstrap,
            confidence=settings.confidence,
            n_jobs=settings.n_jobs,
            precomputed=sample.attribution if sample is not None else None,
        )
        if sample is not None:
            explanation.rows_total, explanation.sample_note = sample.rows_total, sample.note
        return explanation

    return context.cached("explain.explanation", compute)


def _about(exp: Explanation) -> dict[str, Any]:
    about = {
        "explainer": exp.explainer_name,
        "explainer_reason": exp.explainer_reason,
        "output_space": exp.output_space,
        "rows_explained": exp.rows_explained,
        "rows_total": exp.rows_total,
    }
    if exp.sample_note:
        about["explained_on"] = exp.sample_note
    return about


def sensitive_attribution_share(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """Share of the total attribution that falls on sensitive features the model takes."""
    exp = explanation_for(context)
    share = exp.sensitive_attribution_share
    direct = [f for f in exp.features if f in exp.sensitive]
    evidence = _about(exp) | {
        "sensitive_features_in_model": direct,
        "global_importance": records(exp.global_importance),
    }
    if math.isnan(share):
        return Measurement(None, evidence, "every SHAP value is 0: the model output is constant")
    return Measurement(share, evidence)


def max_proxy_association(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """The model feature most associated with the ``by`` column(s), and how strongly."""
    exp = explanation_for(context)
    rows_audited = audited_rows(context)
    measured = associations_with(context, rows_audited, exp.features, by)
    importance = dict(
        zip(exp.global_importance["feature"], exp.global_importance["mean_abs_shap"], strict=True)
    )
    threshold = context.policy.explain.proxy_threshold
    rows = []
    for feature, (value, measure) in measured.items():
        rows.append(
            {
                "feature": feature,
                "association": value,
                "measure": measure,
                "importance": importance.get(feature, 0.0),
                "is_proxy": value >= threshold,
            }
        )
    evidence = _about(exp) | {"sensitive": by, "proxy_threshold": threshold}
    if not rows:
        return Measurement(
            None, evidence, "the model takes no feature other than the sensitive ones"
        )
    if groups_in(context, rows_audited, by).nunique() < 2:  # a constant stands in for nothing
        reason = f"only one group of {', '.join(by)} in the data: no association to measure"
        return Measurement(None, evidence, reason)
    rows.sort(key=lambda r: (-r["association"], -r["importance"], r["feature"]))
    strongest = rows[0]
    evidence |= {
        "feature": strongest["feature"],
        "measure": strongest["measure"],
        "importance": strongest["importance"],
        "proxies": [r["feature"] for r in rows if r["is_proxy"]],
        "associations": rows,
    }
    return Measurement(strongest["association"], evidence)


def group_attribution_gap(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """Largest between-group gap in one feature's mean attribution, relative to total |SHAP|."""
    exp = explanation_for(context)
    groups = pd.DataFrame(
        {" & ".join(by): group_labels(audited_rows(context).loc[exp.values.index], by)}
    )
    settings = exp.settings
    gaps = group_gaps(
        exp.values,
        groups,
        resamples=settings["bootstrap"],
        confidence=settings["confidence"],
        random_state=settings["random_state"],
    )
    scale = float(exp.global_importance["mean_abs_shap"].sum())
    evidence = _about(exp) | {"sensitive": by, "mean_total_abs_shap": scale}
    if gaps.empty:
        return Measurement(None, evidence, f"fewer than two groups of {by} among explained rows")
    if scale == 0:
        return Measurement(None, evidence, "every SHAP value is 0: the model output is constant")
    top = gaps.iloc[0]
    means = exp.values.groupby(groups.iloc[:, 0].to_numpy()).mean()
    evidence |= {
        "feature": top["feature"],
        "gap": float(top["gap"]),
        "gap_ci_low": float(top["gap_ci_low"]),
        "gap_ci_high": float(top["gap_ci_high"]),
        "gap_ci_method": gap_method(groups.iloc[:, 0].nunique()),
        "highest_group": top["highest_group"],
        "lowest_group": top["lowest_group"],
        "group_sizes": {str(k): int(v) for k, v in groups.iloc[:, 0].value_counts().items()},
        "gaps": records(gaps.drop(columns="sensitive")),
        "group_mean_shap": {
            str(group): {f: float(v) for f, v in row.items()} for group, row in means.iterrows()
        },
    }
    return Measurement(float(top["gap"]) / scale, evidence)


def additivity_error(context: AuditContext, check: Check, by: list[str] | None) -> Measurement:
    """How far SHAP values plus the expected value are from the model's output, at worst."""
    exp = explanation_for(context)
    reasons = exp.reasons_table(top=context.policy.explain.top_reasons)
    shown = reasons[reasons["row"].isin(reasons["row"].unique()[:_REASONS_SHOWN])]
    evidence = _about(exp) | {
        "expected_value": exp.expected_value,
        "negative_decisions": int(reasons["row"].nunique()),
        "reasons_shown": records(shown),
    }
    return Measurement(exp.additivity_error, evidence)
