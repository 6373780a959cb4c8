"""The state of one audit run, shared by every metric: the data, the policy, and a cache.

The cache is what makes a family's expensive part (group counts, SHAP values) run once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from responsible_ai.inputs import AuditData
from responsible_ai.policy.schema import Policy

__all__ = ["AuditContext"]

T = TypeVar("T")


class AuditContext:
    """Data and policy of a run, plus a per-run cache of intermediate results."""

    def __init__(self, data: AuditData, policy: Policy) -> None:
        self.data = data
        self.policy = policy
        self.seed = policy.seed
        self._cache: dict[Hashable, Any] = {}

    def computed(self, key: Hashable) -> Any:
        """The value cached under ``key`` if it was computed without error, else None."""
        state, value = self._cache.get(key, ("missing", None))
        return value if state == "ok" else None

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the cached value for ``key``, computing it on first use.

        A failure is cached too, so every check that depends on it reports the same error without
        paying for the computation again.
        """
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", compute())
            except Exception as exc:
                self._cache[key] = ("error", exc)
        state, value = self._cache[key]
        if state == "error":
            raise value
        return value
