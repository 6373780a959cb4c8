"""The fairness metrics, declared as tables: a group metric plus a way to compare groups.

Definitions follow fairlearn and scikit-learn: selection rate is the share of predictions equal to
the positive label; TPR, FPR, FNR, TNR, precision and accuracy are scikit-learn's. A comparison
turns the per-group values into one number (fairlearn's derived metrics):

``difference``
    ``between_groups``: largest group value minus smallest; ``to_overall`` / ``to_reference``: the
    largest absolute difference between a group and the overall value / the reference group.
``ratio``
    ``between_groups``: smallest group value over the largest; ``to_overall`` / ``to_reference``:
    the smallest of ``min(g / r, r / g)`` over groups ``g``, with ``r`` the overall / reference
    value.
``group_min`` / ``group_max``
    The smallest / largest group value.

Where several group metrics are combined (equalized odds), the worst of their disparities counts,
as fairlearn's ``agg="worst_case"``. This module is imported by the policy loader: plain data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from responsible_ai.checker.registry import MetricSpec, register

__all__ = [
    "COMPARISONS",
    "DISPARITIES",
    "GROUP_METRICS",
    "Disparity",
    "DisparityParams",
    "GroupMetric",
]


@dataclass(frozen=True)
class GroupMetric:
    """A metric computed for each group.

    ``kind`` says where it comes from: ``rate`` (``numerator / denominator`` of confusion counts),
    ``mean_of`` (the average of other rates), ``scoring`` (selection rate of the decision "score
    above the sample's median score"), ``score`` (needs the scores of each row), ``regression``
    (numeric predictions and outcomes, named by ``params.prediction`` / ``params.target``).
    """

    name: str
    label: str
    kind: Literal["rate", "mean_of", "scoring", "score", "regression"]
    needs: frozenset[str]
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    description: str = ""

    @property
    def from_counts(self) -> bool:
        """Whether the value (and its bootstrap) derives from per-group counts alone."""
        return self.kind not in ("score", "regression")


_P = frozenset({"prediction"})
_PT = frozenset({"prediction", "target"})
_ST = frozenset({"score", "target"})


def _rate(
    name: str, label: str, num: str, den: str, needs: frozenset[str], text: str
) -> GroupMetric:
    return GroupMetric(
        name, label, "rate", needs, tuple(num.split("+")), tuple(den.split("+")), description=text
    )


# Counts per group: n (weighted rows), pp / pn (predicted positive / negative), tp, fp, tn, fn.
GROUP_METRICS: dict[str, GroupMetric] = {
    metric.name: metric
    for metric in (
        _rate("selection_rate", "selection rate", "pp", "n", _P, "share predicted positive"),
        _rate("base_rate", "base rate", "tp+fn", "n", _PT, "share actually positive"),
        _rate("true_positive_rate", "TPR", "tp", "tp+fn", _PT, "recall, TP / (TP + FN)"),
        _rate("false_positive_rate", "FPR", "fp", "fp+tn", _PT, "FP / (FP + TN)"),
        _rate("false_negative_rate", "FNR", "fn", "tp+fn", _PT, "FN / (TP + FN)"),
        _rate("true_negative_rate", "TNR", "tn", "fp+tn", _PT, "specificity, TN / (FP + TN)"),
        _rate("precision", "precision (PPV)", "tp", "tp+fp", _PT, "TP / (TP + FP)"),
        _rate("negative_predictive_value", "NPV", "tn", "tn+fn", _PT, "TN / (TN + FN)"),
        _rate("false_discovery_rate", "FDR", "fp", "tp+fp", _PT, "FP / (TP + FP)"),
        _rate("false_omission_rate", "FOR", "fn", "tn+fn", _PT, "FN / (TN + FN)"),
        _rate("accuracy", "accuracy", "tp+tn", "n", _PT, "(TP + TN) / n"),
        GroupMetric(
            "balanced_accuracy",
            "balanced accuracy",
            "mean_of",
            _PT,
            parts=("true_positive_rate", "true_negative_rate"),
            description="(TPR + TNR) / 2; undefined when a group lacks either class",
        ),
        GroupMetric(
            "scoring_rate",
            "scoring rate",
            "scoring",
            frozenset({"score"}),
            numerator=("pp",),
            denominator=("n",),
            description="share with a score above the median score of the whole sample (NYC LL144)",
        ),
        GroupMetric(
            "roc_auc", "ROC AUC", "score", _ST, description="area under the ROC curve of the scores"
        ),
        GroupMetric(
            "expected_calibration_error",
            "ECE",
            "score",
            _ST,
            description="expected calibration error over equal-width score bins (params.n_bins)",
        ),
        GroupMetric(
            "mean_score", "mean score", "score", _ST, description="mean predicted probability"
        ),
        GroupMetric(
            "calibration_gap",
            "calibration gap",
            "score",
            _ST,
            description="mean predicted probability minus observed positive rate",
        ),
        GroupMetric(
            "mean_prediction",
            "mean prediction",
            "regression",
            frozenset(),
            description="regression: mean predicted value (params.prediction)",
        ),
        GroupMetric(
            "mean_absolute_error",
            "MAE",
            "regression",
            frozenset(),
            description="regression: mean absolute error (params.prediction, params.target)",
        ),
        GroupMetric(
            "root_mean_squared_error",
            "RMSE",
            "regression",
            frozenset(),
            description="regression: root mean squared error (params.prediction, params.target)",
        ),
    )
}

Comparison = Literal["difference", "ratio", "group_min", "group_max"]

COMPARISONS: dict[Comparison, str] = {
    "difference": "largest group value minus smallest (method: to_overall, to_reference)",
    "ratio": "smallest group value over largest (method: to_overall, to_reference)",
    "group_min": "smallest group value",
    "group_max": "largest group value",
}

# Signed or unbounded group metrics where a ratio means nothing.
_NO_RATIO = frozenset({"calibration_gap"})


@dataclass(frozen=True)
class Disparity:
    """A registered metric: group metrics compared across groups."""

    id: str
    group_metrics: tuple[str, ...]
    comparison: Comparison
    summary: str


def _generated() -> list[Disparity]:
    disparities = []
    for metric in GROUP_METRICS.values():
        for comparison, phrase in COMPARISONS.items():
            if comparison == "ratio" and metric.name in _NO_RATIO:
                continue
            summary = f"{metric.label} ({metric.description}): {phrase}."
            disparities.append(
                Disparity(
                    f"fairness.{metric.name}_{comparison}", (metric.name,), comparison, summary
                )
            )
    return disparities


_NAMED: tuple[Disparity, ...] = (
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
        "fairness.disparate_impact",
        ("selection_rate",),
        "ratio",
        "Disparate impact ratio: lowest group selection rate / highest (four-fifths rule at 0.8).",
    ),
    Disparity(
        "fairness.equal_opportunity_difference",
        ("true_positive_rate",),
        "difference",
        "fairlearn's equal_opportunity_difference: max minus min group TPR.",
    ),
    Disparity(
        "fairness.equal_opportunity_ratio",
        ("true_positive_rate",),
        "ratio",
        "fairlearn's equal_opportunity_ratio: min over max group TPR.",
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
        "fairness.predictive_parity_difference",
        ("precision",),
        "difference",
        "Predictive parity: max minus min group precision (PPV).",
    ),
    Disparity(
        "fairness.predictive_parity_ratio",
        ("precision",),
        "ratio",
        "Predictive parity: min over max group precision (PPV).",
    ),
    Disparity(
        "fairness.predictive_equality_difference",
        ("false_positive_rate",),
        "difference",
        "Predictive equality (false-positive-rate parity): max minus min group FPR.",
    ),
    Disparity(
        "fairness.predictive_equality_ratio",
        ("false_positive_rate",),
        "ratio",
        "Predictive equality (false-positive-rate parity): min over max group FPR.",
    ),
)

DISPARITIES: dict[str, Disparity] = {d.id: d for d in (*_generated(), *_NAMED)}


class DisparityParams(BaseModel):
    """Parameters every group-comparison metric accepts; unset ones come from ``fairness:``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["between_groups", "to_overall", "to_reference"] = Field(
        "between_groups",
        description="Compare groups with each other, with the overall value, or with the "
        "reference group (fairness.reference_group).",
    )
    min_group_size: int | None = Field(
        None, ge=1, description="Override the policy's fairness.min_group_size for this check."
    )
    min_group_share: float | None = Field(
        None, ge=0.0, lt=1.0, description="Override fairness.min_group_share for this check."
    )
    reference_group: dict[str, str | int | float | bool] | None = Field(
        None, description="Override fairness.reference_group for this check."
    )
    n_boot: int | None = Field(None, ge=0, le=100_000, description="Override fairness.n_boot.")
    confidence: float | None = Field(
        None, gt=0.0, lt=1.0, description="Override fairness.confidence."
    )
    prediction: str | None = Field(
        None,
        description="Regression metrics: the column of numeric predictions "
        "(default: the score column).",
    )
    target: str | None = Field(
        None, description="Regression metrics: the column of numeric outcomes."
    )
    n_bins: int = Field(10, ge=2, le=1000, description="Score bins of expected_calibration_error.")


def _needs(disparity: Disparity) -> frozenset[str]:
    needs: set[str] = set()
    for name in disparity.group_metrics:
        needs |= GROUP_METRICS[name].needs
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
