"""The metric registry: stable ids, one line of documentation each, computed lazily.

This module is imported by the policy loader, so it must stay light: the catalogue is plain data and
each metric's computation is named by ``"module:function"`` and imported only when a check runs.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from responsible_ai._modules import module_exists as _module_exists

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "MetricSpec",
    "all_metrics",
    "get_metric",
    "register",
    "unknown_metric_message",
]

# Modules whose import registers a family of metrics. Each is light (no numpy, pandas, shap).
_CATALOGUES: tuple[str, ...] = (
    "responsible_ai.fairness.catalog",
    "responsible_ai.explain.catalog",
    "responsible_ai.privacy.catalog",
    "responsible_ai.privacy.dp.catalog",
    "responsible_ai.robustness.catalog",
)


@dataclass(frozen=True)
class MetricSpec:
    """What a policy needs to know about a metric, and where its computation lives.

    Parameters
    ----------
    id : str
        Stable id used in policies, e.g. ``fairness.selection_rate_ratio``.
    summary : str
        One line of documentation, shown by ``rai metrics``.
    compute : str
        ``"module:function"``; the function takes ``(context, check, by)`` and returns a
        :class:`~responsible_ai.checker.findings.Measurement`.
    needs : frozenset of str
        Roles the metric requires: any of ``target``, ``prediction``, ``score``, ``model``.
    grouped : bool
        Whether the metric compares groups of sensitive features (uses ``by``).
    params : str or None
        ``"module:Class"`` of a pydantic model that validates ``params``; None means no params.
    """

    id: str
    summary: str
    compute: str
    needs: frozenset[str] = field(default_factory=frozenset)
    grouped: bool = True
    params: str | None = None

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def compute_function(self) -> Callable[..., Any]:
        module, name = self.compute.split(":")
        return getattr(importlib.import_module(module), name)

    def params_model(self) -> type[BaseModel] | None:
        if self.params is None:
            return None
        module, name = self.params.split(":")
        return getattr(importlib.import_module(module), name)


_REGISTRY: dict[str, MetricSpec] = {}
_loaded = False


def register(*specs: MetricSpec) -> None:
    """Add metrics to the registry; ids must be unique."""
    for spec in specs:
        if spec.id in _REGISTRY and _REGISTRY[spec.id] != spec:
            raise ValueError(f"metric id {spec.id!r} is registered twice")
        _REGISTRY[spec.id] = spec


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        for module in _CATALOGUES:
            if _module_exists(module):
                importlib.import_module(module)
        _loaded = True


def all_metrics() -> list[MetricSpec]:
    """Every registered metric, sorted by id."""
    _ensure_loaded()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def get_metric(metric_id: str) -> MetricSpec:
    """The metric with this id; ``KeyError`` with close matches if there is none."""
    _ensure_loaded()
    try:
        return _REGISTRY[metric_id]
    except KeyError:
        raise KeyError(unknown_metric_message(metric_id)) from None


def unknown_metric_message(metric_id: str) -> str | None:
    """None if ``metric_id`` is registered, else a message that suggests close matches."""
    _ensure_loaded()
    if metric_id in _REGISTRY:
        return None
    matches = difflib.get_close_matches(metric_id, list(_REGISTRY), n=3, cutoff=0.6)
    if not matches:
        # People often drop or misspell the family prefix; match on the part after the dot.
        tail = metric_id.rsplit(".", 1)[-1]
        by_tail = {key.rsplit(".", 1)[-1]: key for key in _REGISTRY}
        matches = [by_tail[m] for m in difflib.get_close_matches(tail, list(by_tail), n=3)]
    hint = f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""
    return f"unknown metric {metric_id!r}{hint} (`rai metrics` lists them all)"
