"""Differential privacy with IBM diffprivlib: statistics, fairness reports, models, budget.

Names load lazily, so importing this package does not import diffprivlib or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.privacy.dp.fairness import DPFairnessTable, dp_fairness_report
    from responsible_ai.privacy.dp.ledger import BudgetExceededError, BudgetLedger, Operation
    from responsible_ai.privacy.dp.models import compare_dp_models
    from responsible_ai.privacy.dp.releases import Release, release
    from responsible_ai.privacy.dp.settings import FairnessRelease, ReleaseSettings, StatisticSpec
    from responsible_ai.privacy.dp.statistics import dp_statistic
    from responsible_ai.privacy.dp.transforms import LaplaceNoise, RandomizedResponse

__all__ = [
    "BudgetExceededError",
    "BudgetLedger",
    "DPFairnessTable",
    "FairnessRelease",
    "LaplaceNoise",
    "Operation",
    "RandomizedResponse",
    "Release",
    "ReleaseSettings",
    "StatisticSpec",
    "compare_dp_models",
    "dp_fairness_report",
    "dp_statistic",
    "release",
]

_LAZY = {
    "BudgetExceededError": "ledger",
    "BudgetLedger": "ledger",
    "Operation": "ledger",
    "DPFairnessTable": "fairness",
    "dp_fairness_report": "fairness",
    "compare_dp_models": "models",
    "Release": "releases",
    "release": "releases",
    "FairnessRelease": "settings",
    "ReleaseSettings": "settings",
    "StatisticSpec": "settings",
    "dp_statistic": "statistics",
    "LaplaceNoise": "transforms",
    "RandomizedResponse": "transforms",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        # The policy schema imports this package's settings: load it first, never half-way.
        importlib.import_module("responsible_ai.policy.schema")
        module = importlib.import_module(f"responsible_ai.privacy.dp.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'responsible_ai.privacy.dp' has no attribute {name!r}")
