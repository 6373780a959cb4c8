"""Choosing a candidate: which pass, which one wins, and what blocked them when none does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from responsible_ai.mitigate.candidates import Candidate
from responsible_ai.mitigate.methods import constraint_for_metric
from responsible_ai.policy.loader import LoadedPolicy
from responsible_ai.policy.schema import severity_rank
from responsible_ai.report.model import Report

__all__ = ["blockers", "check_id", "choose", "passes", "primary_finding"]


def primary_finding(report: Report, loaded: LoadedPolicy, required: list[str] | None) -> Any:
    """The first blocking fairness finding the original does not pass (else the first one)."""
    policy = loaded.policy
    fairness = [
        f for f in report.checks if f.metric.startswith("fairness.") and f.status != "skipped"
    ]
    if required is not None:
        fairness = [f for f in fairness if check_id(f.id) in required] or fairness

    def blocking(finding: Any) -> bool:
        return severity_rank(finding.severity) >= severity_rank(policy.fail_on)

    # a blocking failure first, then blocking lack of evidence, then any non-pass, then any
    ordered = (
        [f for f in fairness if blocking(f) and f.status in ("fail", "error")]
        + [f for f in fairness if blocking(f) and f.status == "insufficient_evidence"]
        + [f for f in fairness if f.status != "pass"]
        + fairness
    )
    for finding in ordered:
        if constraint_for_metric(finding.metric) is not None:
            return finding
    return fairness[0] if fairness else None


def check_id(finding_id: str) -> str:
    return finding_id.split("[", 1)[0]


def passes(report: Report, required: list[str] | None) -> bool:
    if required is None:
        return report.passed
    wanted = [f for f in report.checks if check_id(f.id) in required]
    return bool(wanted) and all(f.status == "pass" for f in wanted)


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    """The passing, allowed candidate with the smallest cost (the first of equals), or None.

    A forbidden candidate (sensitive attribute at decision time where the policy forbids it) is
    never chosen, however well it does.
    """
    eligible = [c for c in candidates if c.passes and not c.forbidden and c.cost is not None]
    if not eligible:
        return None
    return min(eligible, key=lambda c: float(c.cost["value"]) if c.cost else np.inf)


def _blocks(finding: Any, required: list[str] | None, fail_on: str) -> bool:
    """Whether this finding keeps its candidate from being chosen."""
    if required is not None:
        return check_id(finding.id) in required and finding.status != "pass"
    if finding.status in ("fail", "error"):
        return True
    blocking = severity_rank(finding.severity) >= severity_rank(fail_on)
    return finding.status == "insufficient_evidence" and blocking


def blockers(
    candidates: list[Candidate], required: list[str] | None, fail_on: str
) -> dict[str, int]:
    """For each finding that keeps some allowed candidate from being chosen: how many it keeps."""
    counts: dict[str, int] = {}
    for candidate in candidates:
        if candidate.report is None:
            counts["(fit failed)"] = counts.get("(fit failed)", 0) + 1
            continue
        for finding in candidate.report.checks:
            if _blocks(finding, required, fail_on):
                counts[finding.id] = counts.get(finding.id, 0) + 1
        if required is not None:  # a required check the candidate's audit did not produce
            produced = {check_id(f.id) for f in candidate.report.checks}
            for check_id in required:
                if check_id not in produced:
                    counts[check_id] = counts.get(check_id, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
