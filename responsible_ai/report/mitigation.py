"""The report's mitigation section (``rai mitigate --report``) as table rows, Markdown and HTML.

Every string from the data or the policy (check ids, group names, references, error messages)
goes through :mod:`responsible_ai.report.escaping` or ``html.escape``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from responsible_ai.report.escaping import markdown_text

__all__ = [
    "check_cell",
    "comparison_rows",
    "format_cost",
    "mitigation_html",
    "mitigation_markdown",
]


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


def format_cost(cost: dict[str, Any] | None) -> str:
    """``0.0133 [-0.0133, 0.0367]``: the loss of the performance metric and its interval."""
    if not cost:
        return "-"
    if cost.get("low") is None:
        return _number(cost.get("value"))
    return f"{_number(cost['value'])} [{_number(cost['low'])}, {_number(cost['high'])}]"


def check_cell(check: dict[str, Any] | None) -> str:
    """``fail 0.1845 [0.05, 0.31]``: status, value and interval of one check of one model."""
    if check is None:
        return "-"
    text = f"{check['status']} {_number(check['value'])}"
    if check.get("low") is not None:
        text += f" [{_number(check['low'])}, {_number(check['high'])}]"
    return text


def _models(section: dict[str, Any]) -> list[dict[str, Any]]:
    return [section["original"], *section["candidates"]]


def comparison_rows(section: dict[str, Any]) -> list[dict[str, str]]:
    """One row per model (the original first): name, verdict, performance, cost, the fairness
    check of the Pareto plot, and notes (chosen, forbidden, disparate treatment, errors)."""
    primary = section["pareto"]["fairness_check"]
    rows = []
    for row in _models(section):
        found = next((c for c in row["checks"] if c["id"] == primary), None)
        flags = []
        if row["name"] == section["chosen"]:
            flags.append("CHOSEN")
        if row["forbidden"]:
            flags.append("forbidden: sensitive attribute at decision time")
        elif row["disparate_treatment"]:
            flags.append("disparate treatment")
        elif row["uses_sensitive_at_decision"]:
            flags.append("uses the sensitive attribute at decision time")
        if row["error"]:
            flags.append(f"error: {row['error']}")
        rows.append(
            {
                "candidate": row["name"],
                "verdict": row["verdict"] or "error",
                "passes": "yes" if row["passes"] else "no",
                section["metric"]: _number(row["performance"]),
                "cost": format_cost(row["cost"]),
                str(primary or "fairness"): check_cell(found),
                "notes": "; ".join(flags),
            }
        )
    return rows


def _check_ids(section: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for row in _models(section):
        ids += [c["id"] for c in row["checks"] if c["id"] not in ids]
    return ids


def _find(row: dict[str, Any], check_id: str) -> dict[str, Any] | None:
    return next((c for c in row["checks"] if c["id"] == check_id), None)


def _intro(section: dict[str, Any]) -> str:
    split = section["split"]
    by = " x ".join(section["by"])
    return (
        f"{len(section['candidates'])} candidate(s) refit on {split['train_rows']} rows and "
        f"audited with the same policy on {split['test_rows']} held-out rows (seed "
        f"{split['seed']}); constraint {section['constraint'] or '-'} by {by}; cost is the loss "
        f"of {section['metric']} against the original refit on the same rows, with its paired "
        "bootstrap interval."
    )


def _legal(section: dict[str, Any]) -> str | None:
    flagged = [row for row in section["candidates"] if row["uses_sensitive_at_decision"]]
    if not flagged:
        return None
    reference = section.get("disparate_treatment_reference")
    text = (
        f"{len(flagged)} candidate(s) read the sensitive attribute when deciding"
        + (f": disparate treatment under {reference.strip()}" if reference else "")
        + (
            "; the policy forbids them (mitigation.allow_sensitive_at_decision: false), so none "
            "is chosen."
            if not section.get("allow_sensitive_at_decision", True)
            else "."
        )
    )
    return text


def mitigation_markdown(section: dict[str, Any]) -> list[str]:
    """Markdown lines: the choice, the comparison table, every check before and after."""
    rows = comparison_rows(section)
    columns = list(rows[0])
    chosen = section["chosen"]
    lines = ["", "## Mitigation", "", markdown_text(_intro(section)), ""]
    lines.append(
        f"**Chosen: {markdown_text(chosen)}**: {markdown_text(section['reason'])}"
        if chosen
        else f"**No candidate chosen**: {markdown_text(section['reason'])}"
    )
    legal = _legal(section)
    if legal:
        lines += ["", f"Legal: {markdown_text(legal)}"]
    lines += ["", "| " + " | ".join(markdown_text(c) for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    numeric = {section["metric"], "cost"}  # our own number formatting: nothing to escape
    lines += [
        "| " + " | ".join(r[c] if c in numeric else markdown_text(r[c]) for c in columns) + " |"
        for r in rows
    ]
    models = _models(section)
    lines += ["", "### Every check, every model (status value [interval])", ""]
    lines.append("| check | " + " | ".join(markdown_text(m["name"]) for m in models) + " |")
    lines.append("|---|" + "---|" * len(models))
    for check_id in _check_ids(section):
        cells = [markdown_text(check_cell(_find(m, check_id))) for m in models]
        lines.append(f"| {markdown_text(check_id)} | " + " | ".join(cells) + " |")
    return lines


def mitigation_html(section: dict[str, Any], svg: str | None) -> str:
    """The HTML section: the choice, the Pareto plot (inline SVG), both tables."""
    rows = comparison_rows(section)
    columns = list(rows[0])
    chosen = section["chosen"]
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row[c])}</td>" for c in columns) + "</tr>" for row in rows
    )
    models = _models(section)
    every_head = "<th>check</th>" + "".join(f"<th>{escape(m['name'])}</th>" for m in models)
    every_body = "".join(
        f"<tr><td>{escape(check_id)}</td>"
        + "".join(f"<td>{escape(check_cell(_find(m, check_id)))}</td>" for m in models)
        + "</tr>"
        for check_id in _check_ids(section)
    )
    choice = (
        f"<p><strong>Chosen: {escape(chosen)}</strong>: {escape(section['reason'])}</p>"
        if chosen
        else f"<p><strong>No candidate chosen</strong>: {escape(section['reason'])}</p>"
    )
    legal = _legal(section)
    return (
        "<h2>Mitigation</h2>"
        f"<p>{escape(_intro(section))}</p>{choice}"
        + (f"<p class='muted'>Legal: {escape(legal)}</p>" if legal else "")
        + (svg or "")
        + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "<h3>Every check, every model (status value [interval])</h3>"
        f"<table><thead><tr>{every_head}</tr></thead><tbody>{every_body}</tbody></table>"
    )
