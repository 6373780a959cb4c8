"""The robustness metrics a policy can name. Light: no numpy, pandas or ART at import.

Attacks and perturbations run once per run on a seeded, stratified sample within the budgets of
the policy's ``robustness:`` section. Membership inference is a ``privacy.`` metric (it measures
confidentiality), the counterfactual flip test and the robustness gap are ``fairness.`` metrics.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.registry import MetricSpec, register

__all__ = ["ROBUSTNESS_METRICS", "CounterfactualParams"]


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


_CHECKS = "responsible_ai.robustness.checks"
_ATTACKS = "responsible_ai.robustness.attack_checks"
_MODEL = frozenset({"model"})
_MODEL_TARGET = frozenset({"model", "target"})

ROBUSTNESS_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        id="robustness.perturbation_flip_rate",
        summary="Share of decisions that flip under small noise (numeric: a share of each "
        "feature's spread; categorical: swaps to frequent values); per group in the evidence.",
        compute=f"{_CHECKS}:perturbation_flip_rate",
        needs=_MODEL,
        grouped=False,
    ),
    MetricSpec(
        id="fairness.robustness_gap",
        summary="Largest difference between groups in the share of decisions that flip under "
        "small noise (robustness.perturbation_flip_rate by group).",
        compute=f"{_CHECKS}:robustness_gap",
        needs=_MODEL,
    ),
    MetricSpec(
        id="fairness.counterfactual_flip_rate",
        summary="Share of decisions that change when only the sensitive attribute (and its "
        "detected proxies) is changed to another group's.",
        compute=f"{_CHECKS}:counterfactual_flip_rate",
        needs=_MODEL,
        params="responsible_ai.robustness.catalog:CounterfactualParams",
    ),
    MetricSpec(
        id="robustness.evasion_success_rate",
        summary="Share of attacked rows whose decision ART's black-box attack flips within the "
        "query and perturbation budgets (robustness: section).",
        compute=f"{_ATTACKS}:evasion_success_rate",
        needs=_MODEL,
        grouped=False,
    ),
    MetricSpec(
        id="robustness.evasion_median_perturbation",
        summary="Median size (L2, in standard deviations) of the smallest flipping change the "
        "evasion attack found per row.",
        compute=f"{_ATTACKS}:evasion_median_perturbation",
        needs=_MODEL,
        grouped=False,
    ),
    MetricSpec(
        id="privacy.membership_inference_advantage",
        summary="ART black-box membership inference: AUC - 0.5 of telling training records "
        "(data.train) from held-out ones by the model's outputs.",
        compute=f"{_ATTACKS}:membership_inference_advantage",
        needs=_MODEL_TARGET,
        grouped=False,
    ),
    MetricSpec(
        id="robustness.poisoning_suspect_share",
        summary="Share of training records (data.train) whose label refitted models give a "
        "probability below robustness.poisoning_threshold; suspects listed.",
        compute=f"{_ATTACKS}:poisoning_suspect_share",
        needs=_MODEL_TARGET,
        grouped=False,
    ),
)

register(*ROBUSTNESS_METRICS)
