"""The policy's ``monitoring:`` section: how prediction logs are cut into windows and what alerts.

Plain data only (imported by the policy schema). Three kinds of alert rule:

``thresholds``
    A check of the policy (its metric and ``must``) breached in ``consecutive`` windows in a row.
``drift``
    A feature's (or the prediction's, or the score's) drift against the reference beyond the
    method's threshold in ``consecutive`` windows in a row.
``sequential``
    An anytime-valid test that a fairness gap between groups exceeds ``tolerance``: looking at
    every window does not inflate its false-alarm rate above ``alpha``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from responsible_ai.policy._base import Strict

__all__ = [
    "DRIFT_METHODS",
    "DriftRule",
    "MonitoringSettings",
    "SequentialRule",
    "ThresholdRule",
    "WebhookSettings",
    "parse_window",
]

_Severity = Literal["low", "medium", "high", "critical"]
_RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
DRIFT_METHODS: tuple[str, ...] = (
    "auto",
    "psi",
    "ks",
    "wasserstein",
    "jensen_shannon",
    "chi_square",
    "z",
)
_WINDOW = re.compile(r"^\s*(?:(\d+)\s*d|(\d+)\s*rows?)\s*$")
BAD_WINDOW = "expected a window such as '1d', '7d' or '10000 rows'; got {value!r}"


def parse_window(text: str) -> tuple[str, int]:
    """``"7d"`` -> ``("days", 7)``; ``"10000 rows"`` -> ``("rows", 10000)``.

    Raises
    ------
    ValueError
        If ``text`` is neither, or its number is 0.
    """
    match = _WINDOW.match(str(text))
    if match is None:
        raise ValueError(BAD_WINDOW.format(value=text))
    days, rows = match.groups()
    kind, size = ("days", int(days)) if days is not None else ("rows", int(rows))
    if size < 1:
        raise ValueError(BAD_WINDOW.format(value=text))
    return kind, size


class ThresholdRule(Strict):
    """Alert when the check ``check`` fails in ``consecutive`` windows in a row."""

    id: str = Field(pattern=_RULE_ID, max_length=120)
    check: str = Field(description="Id of a check of this policy (its metric and `must`).")
    consecutive: int = Field(3, ge=1, le=10_000, description="Windows in a row that must fail.")
    severity: _Severity | None = Field(None, description="Default: the check's severity.")


class DriftRule(Strict):
    """Alert when a column drifts from the reference in ``consecutive`` windows in a row."""

    id: str = Field(pattern=_RULE_ID, max_length=120)
    features: list[str] | None = Field(
        None,
        description="Columns to watch; default: monitoring.features. The prediction and score "
        "columns may be named too.",
    )
    method: Literal["auto", "psi", "ks", "wasserstein", "jensen_shannon", "chi_square", "z"] = (
        Field(
            "auto",
            description="'auto' chooses by type and reference size as Evidently does: up to "
            "1,000 reference rows, KS (numeric, > 5 values), chi-square (> 2 values) or z-test; "
            "above, Wasserstein (numeric, > 5 values) or Jensen-Shannon.",
        )
    )
    threshold: float | None = Field(
        None,
        gt=0,
        description="p-value below which (ks, chi_square, z) or distance from which (psi, "
        "wasserstein, jensen_shannon) a window drifts; default: Evidently's (0.05 / 0.1).",
    )
    consecutive: int = Field(1, ge=1, le=10_000)
    severity: _Severity = "medium"


class SequentialRule(Strict):
    """An anytime-valid test of ``H0: every group's rate is within tolerance of the others``."""

    id: str = Field(pattern=_RULE_ID, max_length=120)
    metric: str = Field(
        "selection_rate",
        description="A count-based group metric: selection_rate, true_positive_rate, ...",
    )
    by: str = Field(description="The sensitive column whose groups are compared.")
    tolerance: float = Field(
        0.1, ge=0, lt=1, description="Largest acceptable difference of the groups' rates."
    )
    alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Chance of a false alarm over the whole (unbounded) run of windows.",
    )
    lookback: int = Field(
        7, ge=1, le=1000, description="Past windows whose gap sizes the next window's bet."
    )
    severity: _Severity = "high"

    @field_validator("metric")
    @classmethod
    def _count_metric(cls, value: str) -> str:
        from responsible_ai.fairness.catalog import GROUP_METRICS

        spec = GROUP_METRICS.get(value)
        if spec is None or spec.kind not in ("rate", "mean_of"):
            names = ", ".join(n for n, s in GROUP_METRICS.items() if s.kind == "rate")
            raise ValueError(f"expected a count-based group metric ({names}); got {value!r}")
        return value


class WebhookSettings(Strict):
    """Where alerts are posted (JSON; a Slack-compatible ``text`` field)."""

    url: str | None = Field(None, description="The URL; prefer url_env to keep tokens out.")
    url_env: str | None = Field(
        None, description="Environment variable holding the URL (wins over url)."
    )
    timeout: float = Field(5.0, gt=0, le=120, description="Seconds per attempt.")
    retries: int = Field(3, ge=0, le=10, description="Further attempts after a failure.")


class MonitoringSettings(Strict):
    """How ``rai monitor`` reads prediction logs and when it alerts."""

    timestamp: str = Field("timestamp", description="Column with each prediction's time.")
    window: str = Field("1d", description="'1d', '7d' (N days) or '10000 rows' (N rows).")
    features: list[str] = Field(
        default_factory=list, description="Columns watched for drift against the reference."
    )
    categorical: list[str] = Field(
        default_factory=list,
        description="Numeric columns to treat as categories (text columns always are).",
    )
    reference: str | None = Field(
        None, description="Reference data (relative to the policy file); --reference wins."
    )
    estimated_performance: list[str] = Field(
        default_factory=lambda: ["accuracy"],
        description="Group metrics estimated from calibrated scores where labels are missing "
        "(accuracy, true_positive_rate, selection_rate, precision, ...).",
    )
    thresholds: list[ThresholdRule] = Field(default_factory=list)
    drift: list[DriftRule] = Field(default_factory=list)
    sequential: list[SequentialRule] = Field(default_factory=list)
    webhook: WebhookSettings | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value
