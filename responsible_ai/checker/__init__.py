"""The compliance checker: a registry of metric ids, evaluation of a policy, findings, verdict."""

from responsible_ai.checker.findings import STATUSES, Finding, Measurement, Status
from responsible_ai.checker.registry import MetricSpec, all_metrics, get_metric

__all__ = [
    "STATUSES",
    "Finding",
    "Measurement",
    "MetricSpec",
    "Status",
    "all_metrics",
    "get_metric",
]
