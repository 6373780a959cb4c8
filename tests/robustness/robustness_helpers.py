"""Policies and lookups the robustness tests share."""

from __future__ import annotations

from typing import Any


def security_policy(*checks: dict[str, Any], **robustness: Any) -> dict[str, Any]:
    """A policy dict for the German data with the given checks and robustness settings."""
    return {
        "name": "robustness-test",
        "data": {"target": "credit", "positive_label": "good", "sensitive": ["sex", "age_group"]},
        "seed": 7,
        "robustness": robustness,
        "checks": list(checks),
    }


def statuses(report: Any) -> dict[str, str]:
    return {finding.id: finding.status for finding in report.checks}
