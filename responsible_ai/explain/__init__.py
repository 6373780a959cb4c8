"""Explanations: SHAP values, attributions by group, proxies for sensitive features.

``from responsible_ai.explain import explain, Explanation``. The names load lazily, so that the
policy loader and the metric catalogue can import this package's light modules quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from responsible_ai.explain.explanation import Explanation, explain

__all__ = ["Explanation", "explain"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("responsible_ai.explain.explanation"), name)
    raise AttributeError(f"module 'responsible_ai.explain' has no attribute {name!r}")
