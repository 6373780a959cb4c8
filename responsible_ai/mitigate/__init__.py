"""Bias mitigation: scikit-learn estimators, and ``rai mitigate`` choosing among them by the policy.

Pre-processing: :class:`ReweighingClassifier` (Kamiran and Calders), fairlearn's correlation
remover (:class:`CorrelationRemoverClassifier`). In-processing: fairlearn's exponentiated gradient
and grid search (:class:`ReductionClassifier`). Post-processing: :class:`GroupThresholdClassifier`
(deterministic) and fairlearn's threshold optimizer (:class:`ThresholdOptimizerClassifier`).
:func:`search` refits, audits and chooses. Imports are lazy: ``policy.schema`` imports the
settings module below this package, and must not pay for scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CorrelationRemoverClassifier",
    "GroupThresholdClassifier",
    "MitigationSettings",
    "ReductionClassifier",
    "ReweighingClassifier",
    "ThresholdOptimizerClassifier",
    "reweighing_weights",
    "search",
]

_LAZY = {
    "CorrelationRemoverClassifier": "responsible_ai.mitigate.reductions",
    "ReductionClassifier": "responsible_ai.mitigate.reductions",
    "ReweighingClassifier": "responsible_ai.mitigate.reweighing",
    "reweighing_weights": "responsible_ai.mitigate.reweighing",
    "GroupThresholdClassifier": "responsible_ai.mitigate.thresholds",
    "ThresholdOptimizerClassifier": "responsible_ai.mitigate.thresholds",
    "MitigationSettings": "responsible_ai.mitigate.settings",
    "search": "responsible_ai.mitigate.search",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'responsible_ai.mitigate' has no attribute {name!r}")
