"""The mitigation methods ``rai mitigate`` knows: their knob, default settings and constraints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["METHODS", "Method", "constraint_for_metric"]


@dataclass(frozen=True)
class Method:
    """One method: how to build its estimator for a setting, and what it needs."""

    name: str
    stage: str  # pre-processing, in-processing, post-processing
    knob: str
    defaults: tuple[float, ...]
    constraints: tuple[str, ...]  # the constraints it can enforce; () for none (reweighing)
    uses_sensitive_at_decision: bool
    build: Callable[[Any, Sequence[str], str | None, float | None, Any, int, bool], Any]


def _reweighing(
    est: Any, by: Sequence[str], _c: Any, value: Any, pos: Any, _s: int, _d: bool
) -> Any:
    from responsible_ai.mitigate.reweighing import ReweighingClassifier

    return ReweighingClassifier(est, sensitive=list(by), strength=value, positive_label=pos)


def _remover(est: Any, by: Sequence[str], _c: Any, value: Any, pos: Any, _s: int, _d: bool) -> Any:
    from responsible_ai.mitigate.reductions import CorrelationRemoverClassifier

    return CorrelationRemoverClassifier(est, sensitive=list(by), alpha=value, positive_label=pos)


def _reduction(method: str) -> Callable[..., Any]:
    def build(
        est: Any, by: Sequence[str], constraint: Any, value: Any, pos: Any, seed: int, det: bool
    ) -> Any:
        from responsible_ai.mitigate.reductions import ReductionClassifier

        knob = (
            {"eps": value} if method == "exponentiated_gradient" else {"constraint_weight": value}
        )
        return ReductionClassifier(
            est,
            sensitive=list(by),
            method=method,
            constraint=constraint,
            deterministic=det,
            positive_label=pos,
            random_state=seed,
            **knob,
        )

    return build


def _thresholds(
    est: Any, by: Sequence[str], constraint: Any, value: Any, pos: Any, _s: int, _d: bool
) -> Any:
    from responsible_ai.mitigate.thresholds import GroupThresholdClassifier

    return GroupThresholdClassifier(
        est, sensitive=list(by), constraint=constraint, strength=value, positive_label=pos
    )


def _optimizer(
    est: Any, by: Sequence[str], constraint: Any, value: float | None, pos: Any, seed: int, _d: bool
) -> Any:
    from responsible_ai.mitigate.thresholds import ThresholdOptimizerClassifier

    return ThresholdOptimizerClassifier(
        est,
        sensitive=list(by),
        constraint=constraint,
        tolerance=value,
        positive_label=pos,
        random_state=seed,
    )


_ALL = ("demographic_parity", "equalized_odds", "true_positive_rate_parity", "error_rate_parity")
METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("reweighing", "pre-processing", "strength", (1.0,), (), False, _reweighing),
        Method("correlation_remover", "pre-processing", "alpha", (0.5, 1.0), (), True, _remover),
        Method(
            "exponentiated_gradient",
            "in-processing",
            "eps",
            (0.01, 0.02, 0.05, 0.1, 0.2),
            _ALL,
            False,
            _reduction("exponentiated_gradient"),
        ),
        Method(
            "grid_search",
            "in-processing",
            "constraint_weight",
            (0.1, 0.3, 0.5, 0.7, 0.9),
            _ALL,
            False,
            _reduction("grid_search"),
        ),
        Method(
            "group_thresholds",
            "post-processing",
            "strength",
            (0.25, 0.5, 0.75, 1.0),
            ("demographic_parity", "true_positive_rate_parity"),
            True,
            _thresholds,
        ),
        Method(
            "threshold_optimizer",
            "post-processing",
            "tolerance",
            (0.01, 0.05, 0.1),
            ("demographic_parity", "equalized_odds", "true_positive_rate_parity"),
            True,
            _optimizer,
        ),
    )
}

# Fairness metric id (after ``fairness.``) -> the constraint that targets it.
_METRIC_CONSTRAINTS = (
    ("equalized_odds", "equalized_odds"),
    ("equal_opportunity", "true_positive_rate_parity"),
    ("true_positive_rate", "true_positive_rate_parity"),
    ("false_negative_rate", "true_positive_rate_parity"),
    ("demographic_parity", "demographic_parity"),
    ("selection_rate", "demographic_parity"),
    ("accuracy", "error_rate_parity"),
    ("error_rate", "error_rate_parity"),
)


def constraint_for_metric(metric: str) -> str | None:
    """The constraint that targets a fairness metric, or None (not a decision-rate metric)."""
    if not metric.startswith("fairness."):
        return None
    name = metric.removeprefix("fairness.")
    return next((c for key, c in _METRIC_CONSTRAINTS if name.startswith(key)), None)
