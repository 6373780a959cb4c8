"""Findings: what one check measured, against what threshold, with which evidence and status."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["STATUSES", "Finding", "Measurement", "Status", "finite"]

Status = Literal["pass", "fail", "warn", "error", "skipped", "insufficient_evidence"]
STATUSES: tuple[str, ...] = ("pass", "fail", "warn", "error", "skipped", "insufficient_evidence")


def finite(value: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


@dataclass
class Measurement:
    """What a metric computation returns to the checker.

    ``value`` is None when the metric is undefined on the data (for example a ratio whose every
    group has a selection rate of 0); the checker turns that into an ``error`` finding, never a
    pass.
    """

    value: float | None
    evidence: dict[str, Any] = field(default_factory=dict)
    undefined_reason: str | None = None
    interval: dict[str, Any] | None = None
    """Confidence interval of ``value``: ``low``, ``high``, ``confidence`` (and how it was made);
    a check with ``decide_on: interval`` decides on it."""


@dataclass
class Finding:
    """The outcome of one check of a policy, as it appears in every report."""

    id: str
    metric: str
    status: Status
    severity: str
    value: float | None = None
    operator: str | None = None
    threshold: float | None = None
    by: list[str] | None = None
    message: str = ""
    reference: str | None = None
    rationale: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    interval: dict[str, Any] | None = None
    decide_on: str = "value"

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is None or math.isnan(self.value) else float(self.value)
        return {
            "id": self.id,
            "metric": self.metric,
            "status": self.status,
            "severity": self.severity,
            "value": value,
            "operator": self.operator,
            "threshold": self.threshold,
            "by": self.by,
            "message": self.message,
            "reference": self.reference,
            "rationale": self.rationale,
            "evidence": finite(self.evidence),
            "interval": finite(self.interval),
            "decide_on": self.decide_on,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        fields = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**fields)
