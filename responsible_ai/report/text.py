"""Plain-text summary for terminals: verdict first, then failing checks first.

User strings are shown with control characters escaped (``\\x1b``), so data cannot send ANSI
escape sequences to the terminal or hide a line with a carriage return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from responsible_ai.report.escaping import escape_terminal as _t

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
    """Findings with the ones that need attention first, then by severity (highest first).

    Direct identifiers found in the data come before everything: no k or risk figure means
    anything while names or e-mails are in the table.
    """
    from responsible_ai.policy.schema import severity_rank

    def identifies(f: Finding) -> bool:
        return f.metric == "privacy.direct_identifier_columns" and f.status == "fail"

    return sorted(
        report.checks,
        key=lambda f: (
            not identifies(f),
            STATUS_ORDER.get(f.status, 9),
            -severity_rank(f.severity),
            f.id,
        ),
    )


def format_value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def render_text(report: Report) -> str:
    policy = report.policy
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.summary.items()))
    heading = f"{policy.get('name')} {policy.get('version', '')}: {report.verdict.upper()}"
    lines = [f"{_t(heading)} ({_t(counts)})"]
    width = max((len(_t(f.id)) for f in report.checks), default=10)
    status_width = max((len(f.status) for f in report.checks), default=4)
    for finding in ordered_findings(report):
        lines.append(
            f"  {_t(finding.status.upper()):<{status_width}} {_t(finding.severity):<8} "
            f"{_t(finding.id):<{width}}  {_t(finding.message)}"
        )
    for note in report.data_notes:
        lines.append(f"  note: {_t(note)}")
    return "\n".join(lines) + "\n"
