"""Rich display of a report in Jupyter: verdict, then every check, failing first. All escaped."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from responsible_ai.report.text import format_value, ordered_findings

if TYPE_CHECKING:
    from responsible_ai.report.model import Report

__all__ = ["render_notebook_html"]

_COLOURS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "error": "#cf222e",
    "warn": "#9a6700",
    "insufficient_evidence": "#9a6700",
    "skipped": "#6e7781",
}


def render_notebook_html(report: Report) -> str:
    colour = _COLOURS["pass" if report.passed else "fail"]
    rows = []
    for f in ordered_findings(report):
        requirement = f"{f.operator} {f.threshold:g}" if f.threshold is not None else ""
        rows.append(
            "<tr>"
            f"<td style='color:{_COLOURS.get(f.status, '#000')};font-weight:bold'>"
            f"{escape(f.status)}</td>"
            f"<td>{escape(f.severity)}</td><td>{escape(f.id)}</td>"
            f"<td><code>{escape(f.metric)}</code></td>"
            f"<td style='text-align:right'>{escape(format_value(f.value))}</td>"
            f"<td>{escape(requirement)}</td><td>{escape(f.message)}</td>"
            "</tr>"
        )
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.data_notes)
    return (
        "<div class='rai-report'>"
        f"<h3>{escape(str(report.policy.get('name')))}: "
        f"<span style='color:{colour}'>{escape(report.verdict.upper())}</span></h3>"
        "<table><thead><tr><th>status</th><th>severity</th><th>check</th><th>metric</th>"
        "<th>value</th><th>requirement</th><th>detail</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f"<p>Data notes:</p><ul>{notes}</ul>" if notes else "")
        + "</div>"
    )
