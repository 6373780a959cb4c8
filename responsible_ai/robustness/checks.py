"""Stability and counterfactual checks: each computation runs once per run, then findings.

The attack checks (evasion, membership inference, poisoning) are in
:mod:`responsible_ai.robustness.attack_checks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.checker.findings import Measurement
from responsible_ai.robustness._common import (
    audited_rows,
    bootstrap_interval,
    group_labels,
    model_view,
    perturbable_features,
    sample_index,
)
from responsible_ai.robustness.catalog import CounterfactualParams
from responsible_ai.robustness.counterfactual import (
    CounterfactualResult,
    counterfactual_flips,
    detected_proxies,
)
from responsible_ai.robustness.perturbation import StabilityResult, stability

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "BUDGET_NOTE",
    "counterfactual_flip_rate",
    "counterfactual_for",
    "perturbation_flip_rate",
    "robustness_gap",
    "stability_for",
]

BUDGET_NOTE = (
    "a pass means no attack was found within this budget, not that the model is secure; raise "
    "the robustness: budgets to look harder"
)


def _interval(values: np.ndarray, context: AuditContext, statistic: Any = np.mean) -> Any:
    settings = context.policy.robustness
    return bootstrap_interval(
        values,
        statistic,
        resamples=settings.bootstrap,
        confidence=settings.confidence,
        random_state=context.seed,
    )


def stability_for(context: AuditContext) -> StabilityResult:
    """The run's perturbation test, computed once."""

    def compute() -> StabilityResult:
        view = model_view(context)
        settings = context.policy.robustness
        return stability(
            view,
            audited_rows(context),
            sample_index(context, settings.sample_size),
            perturbable_features(context, view.features),
            noise_scale=settings.noise_scale,
            swap_probability=settings.swap_probability,
            repeats=settings.repeats,
            random_state=context.seed,
        )

    return context.cached("robustness.stability", compute)


def _group_table(
    shares: pd.Series, groups: pd.Series, context: AuditContext
) -> list[dict[str, Any]]:
    table = []
    for group in sorted(groups.unique()):
        values = shares[groups == group].to_numpy()
        interval = _interval(values, context)
        table.append(
            {
                "group": str(group),
                "count": len(values),
                "flip_rate": float(values.mean()),
                "flip_rate_ci": [interval["low"], interval["high"]],
            }
        )
    return table


def perturbation_flip_rate(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """Share of decisions that flip under small perturbations, overall; per group in evidence."""
    result = stability_for(context)
    shares = result.flip_share
    frame = audited_rows(context).loc[shares.index]
    evidence: dict[str, Any] = {"budget": result.settings, "note": BUDGET_NOTE}
    evidence["by_group"] = {
        column: _group_table(shares, group_labels(frame, [column]), context)
        for column in context.data.sensitive
    }
    return Measurement(
        float(shares.mean()), evidence, interval=_interval(shares.to_numpy(), context)
    )


def _gap(values: np.ndarray) -> float:
    """Largest minus smallest group mean; ``values`` holds (group code, share) rows."""
    means = [values[values[:, 0] == g, 1].mean() for g in np.unique(values[:, 0])]
    return float(max(means) - min(means)) if len(means) > 1 else float("nan")


def robustness_gap(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """Largest difference between groups in the share of decisions that flip under noise."""
    result = stability_for(context)
    shares = result.flip_share
    groups = group_labels(audited_rows(context).loc[shares.index], by)
    table = _group_table(shares, groups, context)
    evidence: dict[str, Any] = {"budget": result.settings, "groups": table, "sensitive": by}
    if len(table) < 2:
        return Measurement(None, evidence, f"fewer than two groups of {by} in the sample")
    codes = pd.factorize(groups)[0]
    paired = np.column_stack([codes, shares.to_numpy()])
    highest = max(table, key=lambda row: row["flip_rate"])
    lowest = min(table, key=lambda row: row["flip_rate"])
    evidence |= {"highest_group": highest["group"], "lowest_group": lowest["group"]}
    return Measurement(_gap(paired), evidence, interval=_interval(paired, context, _gap))


def counterfactual_for(context: AuditContext, by: list[str]) -> CounterfactualResult:
    """The counterfactual flip test for the ``by`` attribute, computed once per attribute."""

    def compute() -> CounterfactualResult:
        view = model_view(context)
        frame = audited_rows(context)
        proxies = detected_proxies(context, frame, view.features, by)
        sample = sample_index(context, context.policy.robustness.sample_size)
        return counterfactual_flips(view, frame, sample, by, proxies, context.seed)

    return context.cached(("robustness.counterfactual", tuple(by)), compute)


def counterfactual_flip_rate(context: AuditContext, check: Check, by: list[str]) -> Measurement:
    """Share of decisions that change when only the attribute (and its proxies) change."""
    params = CounterfactualParams(**check.params)
    result = counterfactual_for(context, by)
    variants = {"attribute": result.attribute_only, "attribute_and_proxies": result.with_proxies}
    evidence: dict[str, Any] = {
        "sensitive": by,
        "change": params.change,
        "rows": len(result.groups),
        "proxies": result.proxies,
        "proxy_threshold": context.policy.explain.proxy_threshold,
        "attribute_in_model": result.attribute_in_model,
    }
    intervals = {name: _interval(shares.to_numpy(), context) for name, shares in variants.items()}
    for name, shares in variants.items():
        interval = intervals[name]
        evidence[name] = {
            "flip_rate": float(shares.mean()),
            "ci_low": interval["low"],
            "ci_high": interval["high"],
            "by_group": _group_table(shares, result.groups, context),
        }
    evidence["groups"] = evidence[params.change]["by_group"]  # the table reports show
    if result.groups.nunique() < 2:  # no other group to give a row: nothing was tested
        one = ", ".join(map(str, result.groups.unique()))
        reason = f"only one group of {', '.join(by)} in the data ({one}): no counterfactual to test"
        return Measurement(None, evidence, reason)
    if not result.attribute_in_model:
        evidence["note"] = f"the model does not take {', '.join(by)}: only proxies can flip"
    return Measurement(
        evidence[params.change]["flip_rate"], evidence, interval=intervals[params.change]
    )
