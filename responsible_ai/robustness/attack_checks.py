"""Attack checks: evasion, membership inference, the poisoning screen; once per run each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.checker.findings import Measurement
from responsible_ai.robustness._common import (
    audited_rows,
    model_view,
    perturbable_features,
    sample_index,
    wilson_interval,
)
from responsible_ai.robustness.checks import BUDGET_NOTE
from responsible_ai.robustness.evasion import EvasionResult, evade
from responsible_ai.robustness.membership import (
    NO_HELD_OUT,
    NO_TRAIN,
    MembershipResult,
    held_out_rows,
    membership_inference,
)
from responsible_ai.robustness.poisoning import PoisoningResult, screen_training_data

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = [
    "evasion_for",
    "evasion_median_perturbation",
    "evasion_success_rate",
    "membership_for",
    "membership_inference_advantage",
    "poisoning_for",
    "poisoning_suspect_share",
]

_SUSPECTS_SHOWN = 20
_CURVE = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def evasion_for(context: AuditContext) -> EvasionResult:
    """The run's evasion attack, computed once."""

    def compute() -> EvasionResult:
        view = model_view(context)
        settings = context.policy.robustness
        frame = audited_rows(context)
        numeric = [
            c
            for c in perturbable_features(context, view.features)
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
        frame = audited_rows(context)
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
