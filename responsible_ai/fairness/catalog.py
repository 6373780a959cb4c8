"""The fairness metrics, declared as a table: a group metric plus a way to compare groups.

Definitions follow fairlearn: selection rate is the share of predictions equal to the positive
label; TPR, FPR, FNR and accuracy are scikit-learn's. ``difference`` is the largest group value
minus the smallest; ``ratio`` is the smallest divided by the largest. Where several group metrics
are combined (equalized odds), the worst of their disparities counts, as fairlearn's
``agg="worst_case"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.registry import MetricSpec, register

__all__ = ["DISPARITIES", "GROUP_METRICS", "Disparity", "DisparityParams", "GroupMetric"]


@dataclass(frozen=True)
class GroupMetric:
    """A rate computed per group from confusion counts: numerator / denominator."""

    name: str
    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    needs_target: bool


# Counts: n (weighted rows), pp (predicted positive), tp, fp, tn, fn.
GROUP_METRICS: dict[str, GroupMetric] = {
    metric.name: metric
    for metric in (
        GroupMetric("selection_rate", "selection rate", ("pp",), ("n",), needs_target=False),
        GroupMetric("true_positive_rate", "TPR", ("tp",), ("tp", "fn"), needs_target=True),
        GroupMetric("false_positive_rate", "FPR", ("fp",), ("fp", "tn"), needs_target=True),
        GroupMetric("false_negative_rate", "FNR", ("fn",), ("tp", "fn"), needs_target=True),
        GroupMetric("accuracy", "accuracy", ("tp", "tn"), ("n",), needs_target=True),
    )
}


@dataclass(frozen=True)
class Disparity:
    """A registered metric: group metrics compared across groups by difference or ratio."""

    id: str
    group_metrics: tuple[str, ...]
    comparison: str  # "difference" | "ratio"
    summary: str


DISPARITIES: dict[str, Disparity] = {
    d.id: d
    for d in (
        Disparity(
            "fairness.selection_rate_ratio",
            ("selection_rate",),
            "ratio",
            "Disparate impact: lowest group selection rate / highest (four-fifths rule at 0.8).",
        ),
        Disparity(
            "fairness.selection_rate_difference",
            ("selection_rate",),
            "difference",
            "Highest group selection rate minus lowest.",
        ),
        Disparity(
            "fairness.demographic_parity_difference",
            ("selection_rate",),
            "difference",
            "fairlearn's demographic_parity_difference: max minus min group selection rate.",
        ),
        Disparity(
            "fairness.demographic_parity_ratio",
            ("selection_rate",),
            "ratio",
            "fairlearn's demographic_parity_ratio: min over max group selection rate.",
        ),
        Disparity(
            "fairness.equal_opportunity_difference",
            ("true_positive_rate",),
            "difference",
            "Max minus min group true positive rate (needs target).",
        ),
        Disparity(
            "fairness.equal_opportunity_ratio",
            ("true_positive_rate",),
            "ratio",
            "Min over max group true positive rate (needs target).",
        ),
        Disparity(
            "fairness.equalized_odds_difference",
            ("true_positive_rate", "false_positive_rate"),
            "difference",
            "fairlearn's equalized_odds_difference: the larger of the TPR and FPR differences.",
        ),
        Disparity(
            "fairness.equalized_odds_ratio",
            ("true_positive_rate", "false_positive_rate"),
            "ratio",
            "fairlearn's equalized_odds_ratio: the smaller of the TPR and FPR ratios.",
        ),
        Disparity(
            "fairness.false_positive_rate_difference",
            ("false_positive_rate",),
            "difference",
            "Max minus min group false positive rate (needs target).",
        ),
        Disparity(
            "fairness.false_negative_rate_difference",
            ("false_negative_rate",),
            "difference",
            "Max minus min group false negative rate (needs target).",
        ),
        Disparity(
            "fairness.accuracy_difference",
            ("accuracy",),
            "difference",
            "Max minus min group accuracy (needs target).",
        ),
    )
}


class DisparityParams(BaseModel):
    """Parameters every group-comparison metric accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_group_size: int | None = Field(
        None, ge=1, description="Override the policy's fairness.min_group_size for this check."
    )


def _needs(disparity: Disparity) -> frozenset[str]:
    needs = {"prediction"}
    if any(GROUP_METRICS[name].needs_target for name in disparity.group_metrics):
        needs.add("target")
    return frozenset(needs)


register(
    *(
        MetricSpec(
            id=d.id,
            summary=d.summary,
            compute="responsible_ai.fairness.checks:measure_disparity",
            needs=_needs(d),
            params="responsible_ai.fairness.catalog:DisparityParams",
        )
        for d in DISPARITIES.values()
    )
)
