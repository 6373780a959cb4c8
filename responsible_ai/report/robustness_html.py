"""The HTML report's Robustness section: flip rates by group, attack success against the
perturbation budget, the membership-inference ROC, poisoning suspects, and each attack's budget.

Every value comes from :func:`responsible_ai.robustness.summary.robustness_summary`; every user
string (check ids, group values, column names) is escaped with :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from responsible_ai.report.charts import group_bars_svg
from responsible_ai.report.tables import GroupTable
from responsible_ai.robustness.summary import robustness_summary

if TYPE_CHECKING:
    from responsible_ai.checker.findings import Finding

__all__ = ["line_chart_svg", "robustness_section"]

_INK = "#24292f"
_GRID = "#d0d7de"
_LINE = "#3b6ea8"


def line_chart_svg(
    points: list[tuple[float, float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_max: float = 1.0,
    diagonal: bool = False,
) -> str:
    """A small line chart (0 to ``x_max`` by 0 to 1) as inline SVG; labels escaped."""
    left, top, plot, bottom = 56, 30, 300, 44
    width, height = left + plot + 20, top + plot + bottom

    def xy(x: float, y: float) -> tuple[float, float]:
        return left + min(max(x / x_max, 0.0), 1.0) * plot, top + (1 - min(max(y, 0.0), 1.0)) * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rai-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="16" font-weight="bold" font-size="13">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="none" stroke="{_GRID}"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, _ = xy(tick * x_max, 0)
        _, y = xy(0, tick)
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot + 16}" text-anchor="middle" fill="{_INK}">'
            f"{tick * x_max:g}</text>"
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{_INK}">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{left + plot / 2}" y="{height - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{top + plot / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot / 2})">{escape(y_label)}</text>'
    )
    if diagonal:
        (x0, y0), (x1, y1) = xy(0, 0), xy(x_max, 1)
        parts.append(
            f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#8c959f" '
            'stroke-dasharray="4 3"/>'
        )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(a, b) for a, b in points))
    parts.append(f'<polyline points="{path}" fill="none" stroke="{_LINE}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"<td class='num'>{value:.4g}</td>"
        return f"<td>{escape('' if value is None else str(value))}</td>"

    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell(row.get(c)) for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _flip_charts(rows: list[dict[str, Any]]) -> str:
    charts = []
    keys = list(dict.fromkeys((row["check"], row["test"], row["attribute"]) for row in rows))
    for check, test, attribute in keys:
        chosen = [
            r for r in rows if (r["check"], r["test"], r["attribute"]) == (check, test, attribute)
        ]
        table = GroupTable(
            by=[attribute],
            rates=["flip_rate"],
            rows=[
                {
                    "group": r["group"],
                    "count": r["rows"],
                    "flip_rate": r["flip_rate"],
                    "flip_rate_interval": (r["ci_low"], r["ci_high"])
                    if r["ci_low"] is not None
                    else None,
                }
                for r in chosen
            ],
            excluded=[],
            min_group_size=None,
        )
        charts.append(group_bars_svg(table, "flip_rate", title=f"{check}: {test}, by {attribute}"))
    return "".join(charts)


def robustness_section(findings: list[Finding]) -> str:
    """The Robustness section of the HTML report; empty when there is no robustness finding."""
    summary = robustness_summary(findings)
    if summary.empty:
        return ""
    parts = [
        "<h2>Robustness</h2>",
        "<p>Attacks and perturbations ran within the budgets below: a pass means no attack was "
        "found within this budget, never that the model is secure.</p>",
    ]
    if summary.budgets:
        parts.append(_table(summary.budgets, ["check", "budget"]))
    if summary.flip_rates:
        parts.append("<h3>Flip rates by group</h3>")
        parts.append(_flip_charts(summary.flip_rates))
        parts.append(
            _table(
                summary.flip_rates,
                ["check", "test", "attribute", "group", "rows", "flip_rate", "ci_low", "ci_high"],
            )
        )
    if summary.attack_curve:
        points = [(p["max_perturbation"], p["success_rate"]) for p in summary.attack_curve]
        parts.append("<h3>Evasion: success against the perturbation budget</h3>")
        parts.append(
            line_chart_svg(
                points,
                title="attack success vs perturbation budget",
                x_label="max perturbation (L2, standard deviations)",
                y_label="success rate",
                x_max=max(p[0] for p in points),
            )
        )
        parts.append(_table(summary.attack_curve, ["max_perturbation", "success_rate"]))
    if summary.roc:
        points = [(p["false_positive_rate"], p["true_positive_rate"]) for p in summary.roc]
        parts.append("<h3>Membership inference: ROC of the attack</h3>")
        parts.append(
            line_chart_svg(
                points,
                title="membership-inference ROC",
                x_label="false positive rate",
                y_label="true positive rate",
                diagonal=True,
            )
        )
    if summary.suspects:
        parts.append("<h3>Poisoning screen: most suspicious training records</h3>")
        parts.append(_table(summary.suspects, ["training_row", "label", "own_label_probability"]))
    return "".join(parts)
