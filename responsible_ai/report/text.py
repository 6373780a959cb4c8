"""Plain-text summary for terminals: verdict first, then failing checks first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from responsible_ai.checker.findings import Finding
    from responsible_ai.report.model import Report

__all__ = ["STATUS_ORDER", "format_value", "ordered_findings", "render_text"]

STATUS_ORDER = {
    "error": 0,
    "fail": 1,
    "insufficient_evidence": 2,
    "warn": 3,
    "pass": 4,
    "skipped": 5,
}


def ordered_findings(report: Report) -> list[Finding]:
    """Findings with the ones that need attention first, then by severity (highest first)."""
    from responsible_ai.policy.schema import severity_rank

    return sorted(
        report.checks,
        key=lambda f: (STATUS_ORDER.get(f.status, 9), -severity_rank(f.severity), f.id),
    )


def format_value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def render_text(report: Report) -> str:
    policy = report.policy
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.summary.items()))
    lines = [
        f"{policy.get('name')} {policy.get('version', '')}: {report.verdict.upper()} ({counts})",
    ]
    width = max((len(f.id) for f in report.checks), default=10)
    status_width = max((len(f.status) for f in report.checks), default=4)
    for finding in ordered_findings(report):
        lines.append(
            f"  {finding.status.upper():<{status_width}} {finding.severity:<8} "
            f"{finding.id:<{width}}  {finding.message}"
        )
    for note in report.data_notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"
