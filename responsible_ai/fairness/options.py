"""A fairness check's options: its ``params`` over the policy's ``fairness:`` section.

Its own module so that the evidence and interval modules, which ``checks`` imports, can use it
without importing ``checks`` back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from responsible_ai.fairness.catalog import DisparityParams

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext
    from responsible_ai.policy.schema import Check

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """A check's fairness options: its params over the policy's ``fairness:`` section."""

    method: str
    min_group_size: int
    min_group_share: float
    reference_group: dict[str, Any] | None
    n_boot: int
    confidence: float
    correction: str
    n_bins: int
    prediction: str | None = None
    target: str | None = None

    @classmethod
    def of(cls, context: AuditContext, check: Check) -> Options:
        params = DisparityParams.model_validate(check.params)
        settings = context.policy.fairness

        def pick(name: str) -> Any:
            value = getattr(params, name)
            return getattr(settings, name) if value is None else value

        return cls(
            method=params.method,
            min_group_size=pick("min_group_size"),
            min_group_share=pick("min_group_share"),
            reference_group=pick("reference_group"),
            n_boot=pick("n_boot"),
            confidence=pick("confidence"),
            correction=settings.correction,
            n_bins=params.n_bins,
            prediction=params.prediction,
            target=params.target,
        )
