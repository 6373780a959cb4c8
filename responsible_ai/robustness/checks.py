"""Robustness checks: each family computation runs once per run, then becomes findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.findings import Measurement
from responsible_ai.robustness._common import (
    bootstrap_interval,
    group_labels,
    model_view,
    sample_index,
    wilson_interval,
)
from responsible_ai.robustness.counterfactual import (
    CounterfactualResult,
    counterfactual_flips,
    detected_proxies,
)
from responsible_ai.robustness.evasion import EvasionResult, evade
from responsible_ai.robustness.membership import (
    NO_HELD_OUT,
    NO_TRAIN,
    MembershipResult,
    held_out_rows,
    membership_inference,
)
from responsible_ai.robustness.perturbation import StabilityResult, stability
from responsible_ai.robustness.poisoning import PoisoningResult, screen_training_data

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "BUDGET_NOTE",
    "CounterfactualParams",
    "counterfactual_flip_rate",
    "counterfactual_for",
    "evasion_for",
    "evasion_median_perturbation",
    "evasion_success_rate",
    "membership_for",
    "membership_inference_advantage",
    "perturbation_flip_rate",
    "poisoning_for",
    "poisoning_suspect_share",
    "robustness_gap",
    "stability_for",
]

BUDGET_NOTE = (
    "a pass means no attack was found within this budget, not that the model is secure; raise "
    "the robustness: budgets to look harder"
)
_SUSPECTS_SHOWN = 20
_CURVE = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class CounterfactualParams(BaseModel):
    """Parameters of ``fairness.counterfactual_flip_rate``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change: str = Field(
        "attribute_and_proxies",
        pattern="^(attribute|attribute_and_proxies)$",
        description="What the counterfactual changes: the sensitive attribute only, or the "
        "attribute and its detected proxies together (the value the check decides on; the "
        "evidence always has both).",
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


def _perturbable(context: AuditContext, features: list[str]) -> list[str]:
    return [f for f in features if f not in context.data.sensitive]


def stability_for(context: AuditContext) -> StabilityResult:
    """The run's perturbation test, computed once."""

    def compute() -> StabilityResult:
        view = model_view(context)
        settings = context.policy.robustness
        return stability(
            view,
            context.data.frame,
            sample_index(context, settings.sample_size),
            _perturbable(context, view.features),
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
    frame = context.data.frame.loc[shares.index]
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
    groups = group_labels(context.data.frame.loc[shares.index], by)
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
        frame = context.data.frame
        proxies = detected_proxies(frame, view.features, by, context.policy.explain.proxy_threshold)
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
    for name, shares in variants.items():
        interval = _interval(shares.to_numpy(), context)
        evidence[name] = {
            "flip_rate": float(shares.mean()),
            "ci_low": interval["low"],
            "ci_high": interval["high"],
            "by_group": _group_table(shares, result.groups, context),
        }
    evidence["groups"] = evidence[params.change]["by_group"]  # the table reports show
    if not result.attribute_in_model:
        evidence["note"] = f"the model does not take {', '.join(by)}: only proxies can flip"
    chosen = variants[params.change]
    return Measurement(
        float(chosen.mean()), evidence, interval=_interval(chosen.to_numpy(), context)
    )


def evasion_for(context: AuditContext) -> EvasionResult:
    """The run's evasion attack, computed once."""

    def compute() -> EvasionResult:
        view = model_view(context)
        settings = context.policy.robustness
        frame = context.data.frame
        numeric = [
            c
            for c in _perturbable(context, view.features)
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        return evade(
            view,
            frame,
            sample_index(context, settings.evasion_rows, salt=1, min_per_group=1),
            numeric,
            attack=settings.evasion_attack,
            queries=settings.evasion_queries,
            random_state=context.seed,
        )

    return context.cached("robustness.evasion", compute)


def _evasion_evidence(result: EvasionResult, limit: float) -> dict[str, Any]:
    found = result.size[np.isfinite(result.size)]
    rows = len(result.rows)
    return {
        "attack": result.attack,
        "budget": {
            "rows": rows,
            "queries_per_row": result.budget,
            "iterations": result.iterations,
            "max_perturbation": limit,
        },
        "queries_used": {
            "median": float(np.median(result.queries)),
            "max": int(result.queries.max()),
            "total": int(result.queries.sum()),
        },
        "perturbed_features": result.features,
        "flipped_any_size": int(result.flipped.sum()),
        "median_perturbation_of_successes": float(np.median(found)) if len(found) else None,
        "success_by_perturbation": [
            {"max_perturbation": eps, "success_rate": float((result.size <= eps).sum() / rows)}
            for eps in _CURVE
        ],
        "note": BUDGET_NOTE,
    }


def evasion_success_rate(context: AuditContext, check: Check, by: list[str] | None) -> Measurement:
    """Share of attacked rows whose decision the attack flips within the perturbation budget."""
    result = evasion_for(context)
    settings = context.policy.robustness
    limit = settings.evasion_max_perturbation
    successes = int((result.size <= limit).sum())
    rows = len(result.rows)
    evidence = _evasion_evidence(result, limit) | {"successes": successes}
    return Measurement(
        successes / rows, evidence, interval=wilson_interval(successes, rows, settings.confidence)
    )


def evasion_median_perturbation(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """Median size of the smallest flipping change the attack found, over attacked rows."""
    result = evasion_for(context)
    evidence = _evasion_evidence(result, context.policy.robustness.evasion_max_perturbation)
    median = float(np.median(result.size))
    if not np.isfinite(median):
        return Measurement(
            None,
            evidence,
            f"the attack flipped {int(result.flipped.sum())} of {len(result.rows)} rows within "
            f"{result.budget} queries each: fewer than half, so there is no median perturbation "
            "(evasion_success_rate measures this)",
        )
    return Measurement(median, evidence)


def _train(context: AuditContext) -> pd.DataFrame:
    train = getattr(context.data, "train", None)
    if train is None:
        raise ValueError(NO_TRAIN)
    return train


def membership_for(context: AuditContext) -> MembershipResult:
    """The run's membership-inference attack, computed once."""

    def compute() -> MembershipResult:
        view = model_view(context)
        settings = context.policy.robustness
        train = _train(context)
        target = str(context.data.roles.target)
        frame = context.data.frame
        outside = held_out_rows(frame, train, [*view.features, target])
        if len(outside) < 20:
            raise ValueError(NO_HELD_OUT.format(count=len(outside)))
        n = min(settings.membership_rows, len(outside), len(train))
        rng = np.random.default_rng(context.seed)
        members = train.iloc[np.sort(rng.choice(len(train), n, replace=False))]
        others = frame.loc[outside].iloc[np.sort(rng.choice(len(outside), n, replace=False))]
        return membership_inference(
            view,
            members,
            others,
            target,
            attack_model=settings.membership_attack_model,
            resamples=settings.bootstrap,
            confidence=settings.confidence,
            random_state=context.seed,
        )

    return context.cached("robustness.membership", compute)


def membership_inference_advantage(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """ART's black-box membership-inference AUC minus 0.5, with a bootstrap interval."""
    result = membership_for(context)
    interval = dict(result.interval)
    interval["low"] -= 0.5
    interval["high"] -= 0.5
    evidence = {
        "auc": result.auc,
        "auc_ci_low": result.interval["low"],
        "auc_ci_high": result.interval["high"],
        "attack": f"ART MembershipInferenceBlackBox ({result.attack_model}, on probabilities)",
        "budget": {"members": result.members, "non_members": result.non_members},
        "scored_rows": result.scored,
        "roc": result.roc,
        "note": "0 means the outputs tell nothing about membership; " + BUDGET_NOTE,
    }
    return Measurement(result.auc - 0.5, evidence, interval=interval)


def poisoning_for(context: AuditContext) -> PoisoningResult:
    """The run's poisoning screen of the training data, computed once."""

    def compute() -> PoisoningResult:
        settings = context.policy.robustness
        return screen_training_data(
            model_view(context),
            _train(context),
            str(context.data.roles.target),
            threshold=settings.poisoning_threshold,
            rows=settings.poisoning_rows,
            random_state=context.seed,
        )

    return context.cached("robustness.poisoning", compute)


def poisoning_suspect_share(
    context: AuditContext, check: Check, by: list[str] | None
) -> Measurement:
    """Share of training records the rest of the training data contradicts (suspects)."""
    result = poisoning_for(context)
    own = result.own_label_probability
    suspects = own[own < result.threshold].sort_values()
    top = suspects.head(_SUSPECTS_SHOWN)
    shown = [
        {"training_row": int(index), "label": str(label), "own_label_probability": float(value)}
        for index, label, value in zip(
            top.index, result.labels.loc[top.index], top.to_numpy(), strict=True
        )
    ]
    evidence = {
        "screened_rows": len(own),
        "threshold": result.threshold,
        "suspects": len(suspects),
        "most_suspicious": shown,
        "method": "out-of-fold (5-fold) probability of each record's own label, by refitted "
        "copies of the audited model",
    }
    return Measurement(len(suspects) / len(own), evidence)
