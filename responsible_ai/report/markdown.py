"""Markdown report, for pull requests and wikis.

Every string from the data or the policy goes through :mod:`responsible_ai.report.escaping`:
HTML is escaped and only ``http(s)`` references become links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from responsible_ai.report.escaping import markdown_code, markdown_links, markdown_text
from responsible_ai.report.text import format_value, ordered_findings

if TYPE_CHECKING:
    from responsible_ai.report.model import Report

__all__ = ["render_markdown"]

_GROUP_COLUMNS = (
    "count",
    "base_rate",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "accuracy",
)


def _cell(text: Any) -> str:
    return markdown_text(text)


def _group_table(groups: list[dict[str, Any]]) -> list[str]:
    columns = [c for c in _GROUP_COLUMNS if any(c in row for row in groups)]
    lines = [
        "| group | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for row in groups:
        values = [_cell(row[c]) if c == "count" else format_value(row.get(c)) for c in columns]
        lines.append(f"| {_cell(row['group'])} | " + " | ".join(values) + " |")
    return lines


def _impact_ratio_table(rows: list[dict[str, Any]]) -> list[str]:
    rate = next((k for k in ("selection_rate", "scoring_rate") if k in rows[0]), None)
    lines = [
        f"| group | count | {rate or 'rate'} | impact ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        excluded = "" if row.get("included", True) else " (excluded)"
        lines.append(
            f"| {_cell(row['group'])}{excluded} | {_cell(row.get('count', ''))} | "
            f"{format_value(row.get(rate) if rate else None)} | "
            f"{format_value(row.get('impact_ratio'))} |"
        )
    return lines


# Tables that explanation and privacy findings carry in their evidence, with a readable title.
_EVIDENCE_TABLES = {
    "global_importance": "Global importance (mean |SHAP|)",
    "associations": "Association of each feature with the sensitive feature",
    "gaps": "Largest gaps in mean attribution between groups",
    "reasons_shown": "Principal reasons of negative decisions (first rows)",
}
_TABLE_ROWS = 10


def _records_table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(rows[0])
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:_TABLE_ROWS]:
        cells = [
            format_value(value) if isinstance(value, float) else _cell(value)
            for value in (row.get(column) for column in columns)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > _TABLE_ROWS:
        lines.append(f"\n({len(rows) - _TABLE_ROWS} more rows in the JSON report)")
    return lines


def _evidence_tables(evidence: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if evidence.get("explainer"):
        lines += [
            "",
            f"Explainer: {_cell(evidence['explainer'])}. "
            f"{_cell(evidence.get('explainer_reason', ''))}",
        ]
        if evidence.get("explained_on"):  # an engine's sample (engines/sample.py)
            lines += ["", f"Rows: {_cell(evidence['explained_on'])}."]
    for key, title in _EVIDENCE_TABLES.items():
        rows = evidence.get(key)
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            lines += ["", f"{title}:", "", *_records_table(rows)]
    return lines


def render_markdown(report: Report) -> str:
    policy = report.policy
    icon = "✅" if report.passed else "❌"
    lines = [
        f"# Audit: {_cell(policy.get('name'))} {_cell(policy.get('version', ''))}",
        "",
        f"**Verdict: {icon} {report.verdict.upper()}** "
        f"({_cell(', '.join(f'{n} {s}' for s, n in sorted(report.summary.items())))}; "
        f"fail on {_cell(policy.get('fail_on'))} and above)",
        "",
        "| status | severity | check | metric | by | value | requirement |",
        "|---|---|---|---|---|---:|---|",
    ]
    for f in ordered_findings(report):
        requirement = f"{f.operator} {f.threshold:g}" if f.threshold is not None else ""
        lines.append(
            f"| {_cell(f.status)} | {_cell(f.severity)} | {_cell(f.id)} | "
            f"{markdown_code(f.metric, in_table=True)} | "
            f"{_cell(', '.join(f.by) if f.by else '')} | {format_value(f.value)} | "
            f"{_cell(requirement)} |"
        )
    for f in ordered_findings(report):
        if f.status == "pass" or f.status == "skipped":
            continue
        lines += ["", f"## {_cell(f.status.upper())}: {_cell(f.id)}", "", _cell(f.message)]
        if f.reference:
            lines += ["", f"Reference: {markdown_links(f.reference)}"]
        groups = f.evidence.get("groups")
        if groups:
            lines += ["", *_group_table(groups)]
        lines += _evidence_tables(f.evidence)
        ratios = f.evidence.get("impact_ratios")
        if ratios:
            lines += ["", *_impact_ratio_table(ratios)]
        exclusions = f.evidence.get("exclusions") or [
            {"group": group, "reason": "below min_group_size"}
            for group in f.evidence.get("excluded_groups", [])
        ]
        if exclusions:
            lines += ["", "Excluded from the comparison:", ""]
            lines += [f"- {_cell(e['group'])}: {_cell(e.get('reason', ''))}" for e in exclusions]
    if report.mitigation is not None:
        from responsible_ai.report.mitigation import mitigation_markdown

        lines += mitigation_markdown(report.mitigation)
    if report.data_notes:
        lines += ["", "## Data notes", ""] + [f"- {_cell(note)}" for note in report.data_notes]
    lines += ["", "## Inputs", ""]
    for kind, source, sha in report.input_rows():
        lines.append(f"- {kind}: {markdown_code(source)} sha256 {markdown_code(sha)}")
    lines += ["", f"Created {_cell(report.created_at)}, seed {_cell(report.seed)}."]
    return "\n".join(lines) + "\n"
