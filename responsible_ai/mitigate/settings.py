"""The policy's ``mitigation:`` section: which methods ``rai mitigate`` tries and how it chooses."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from responsible_ai.policy._base import Strict

__all__ = ["CONSTRAINT_NAMES", "METHOD_NAMES", "MitigationSettings"]

MethodName = Literal[
    "reweighing",
    "correlation_remover",
    "exponentiated_gradient",
    "grid_search",
    "group_thresholds",
    "threshold_optimizer",
]
METHOD_NAMES: tuple[str, ...] = MethodName.__args__  # type: ignore[attr-defined]
ConstraintName = Literal[
    "demographic_parity", "equalized_odds", "true_positive_rate_parity", "error_rate_parity"
]
CONSTRAINT_NAMES: tuple[str, ...] = ConstraintName.__args__  # type: ignore[attr-defined]


class MitigationSettings(Strict):
    """How ``rai mitigate`` builds, audits and chooses candidate models."""

    methods: list[MethodName] | None = Field(
        None, description="Methods to try (default: every method the policy allows)."
    )
    grid: dict[MethodName, list[float]] = Field(
        default_factory=dict,
        description="Settings to try per method: reweighing strength, correlation_remover "
        "alpha, exponentiated_gradient eps, grid_search constraint_weight, group_thresholds "
        "strength, threshold_optimizer tolerance.",
    )
    constraint: ConstraintName | None = Field(
        None,
        description="Fairness constraint of the in- and post-processing methods (default: the "
        "one matching the first blocking fairness check the original model does not pass).",
    )
    by: str | list[str] | None = Field(
        None,
        description="Sensitive column(s) of the constraint; a list means intersectional groups "
        "(default: the `by` of that check, else data.sensitive).",
    )
    checks: list[str] | None = Field(
        None,
        description="Ids of the checks a candidate must pass (default: the whole policy, i.e. "
        "its verdict must be pass).",
    )
    metric: Literal["accuracy", "balanced_accuracy", "f1"] = Field(
        "accuracy", description="Performance metric whose loss the choice minimizes."
    )
    test_size: float = Field(
        0.3, gt=0.0, lt=1.0, description="Share of rows held out to audit the candidates."
    )
    seed: int | None = Field(
        None, description="Seed of the split and of the methods (default: the policy's)."
    )
    deterministic: bool = Field(
        True, description="Exponentiated gradient keeps one predictor, not a randomized mixture."
    )
    allow_sensitive_at_decision: bool = Field(
        True,
        description="false: methods that read the sensitive attribute when deciding "
        "(group thresholds, threshold optimizer, correlation remover) are never chosen.",
    )
    disparate_treatment_reference: str | None = Field(
        None,
        description="The law under which using the sensitive attribute at decision time is "
        "disparate treatment; the report flags such candidates with it.",
    )
