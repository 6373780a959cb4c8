"""Charts as inline SVG text: no JavaScript, no network, every label escaped.

The HTML report embeds these directly and the review app renders the same SVG, so a chart reads
the same in both. Rates are on a fixed 0 to 1 axis so that charts of different checks compare.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from responsible_ai.report.tables import rate_label

if TYPE_CHECKING:
    from responsible_ai.checker.findings import Finding
    from responsible_ai.report.tables import GroupTable

__all__ = ["finding_rate_bars_svg", "group_bars_svg", "intersection_heatmap_svg"]

_BAR = "#3b6ea8"
_EXCLUDED = "#b9bec5"
_INK = "#24292f"
_GRID = "#d0d7de"
_LABEL_CHARS = 26


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{escape(value)}"' for key, value in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def finding_rate_bars_svg(finding: Finding, table: GroupTable, rate: str) -> str:
    """Bars of ``rate`` per group of a fairness finding, with the rate of all rows as reference."""
    overall = finding.evidence.get("overall") or {}
    overall_rate = overall.get(rate) if isinstance(overall, dict) else None
    return group_bars_svg(
        table,
        rate,
        title=f"{rate_label(rate)} by {' × '.join(table.by)}",
        overall=overall_rate if isinstance(overall_rate, float) else None,
    )


def group_bars_svg(
    table: GroupTable, rate: str, *, title: str = "", overall: float | None = None
) -> str:
    """Horizontal bars of ``rate`` per group, with error bars where the evidence has intervals.

    Groups excluded for being too small are drawn grey and marked. ``overall`` draws a dashed
    reference line at the rate of all rows.
    """
    label_width, plot_width, row_height, top = 190, 520, 28, 44
    width = label_width + plot_width + 70
    height = top + row_height * len(table.rows) + 44
    x0 = label_width

    def x(value: float) -> float:
        return x0 + max(0.0, min(1.0, value)) * plot_width

    axis_label = rate_label(rate)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rai-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title or axis_label)}" font-family="sans-serif" font-size="12">',
        _text(0, 16, title or f"{axis_label} by group", font_weight="bold", font_size="13"),
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" '
            f'y2="{height - 38}" stroke="{_GRID}" stroke-width="1"/>'
        )
        parts.append(_text(x(tick), height - 24, f"{tick:g}", text_anchor="middle", fill=_INK))
    parts.append(_text(x0 + plot_width / 2, height - 6, axis_label, text_anchor="middle"))
    for index, row in enumerate(table.rows):
        y = top + index * row_height
        label = str(row["group"])
        excluded = label in table.excluded
        shown = _short(label) + (" (excluded)" if excluded else "")
        parts.append(f"<g><title>{escape(label)}: n = {escape(str(row['count']))}</title>")
        parts.append(_text(x0 - 8, y + 15, shown, text_anchor="end", fill=_INK))
        value = row.get(rate)
        if value is None:
            parts.append(_text(x0 + 4, y + 15, "undefined", fill="#6e7781"))
            parts.append("</g>")
            continue
        colour = _EXCLUDED if excluded else _BAR
        parts.append(
            f'<rect x="{x0}" y="{y + 4}" width="{x(value) - x0:.1f}" height="{row_height - 10}" '
            f'fill="{colour}"/>'
        )
        interval = row.get(f"{rate}_interval")
        end = x(value)
        if interval:
            low, high = x(interval[0]), x(interval[1])
            mid = y + row_height / 2 - 1
            parts.append(
                f'<path d="M{low:.1f},{mid - 6}v12M{low:.1f},{mid}H{high:.1f}M{high:.1f},'
                f'{mid - 6}v12" stroke="{_INK}" stroke-width="1.5" fill="none"/>'
            )
            end = max(end, high)
        parts.append(_text(end + 6, y + 15, f"{value:.3f}", fill=_INK))
        parts.append("</g>")
    if overall is not None:
        parts.append(
            f'<line x1="{x(overall):.1f}" y1="{top - 6}" x2="{x(overall):.1f}" '
            f'y2="{height - 38}" stroke="#cf222e" stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
        parts.append(
            _text(
                x(overall),
                top - 10,
                f"all rows {overall:.3f}",
                text_anchor="middle",
                fill="#cf222e",
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def _cell_colour(value: float) -> str:
    """White (0) to dark blue (1)."""
    share = max(0.0, min(1.0, value))
    red = round(255 - share * (255 - 33))
    green = round(255 - share * (255 - 81))
    blue = round(255 - share * (255 - 140))
    return f"#{red:02x}{green:02x}{blue:02x}"


def intersection_heatmap_svg(table: GroupTable, rate: str, *, title: str = "") -> str | None:
    """A heat map of ``rate`` over two grouping columns; None unless the table has exactly two."""
    if len(table.by) != 2:
        return None
    first, second = table.by
    rows_values: list[str] = []
    column_values: list[str] = []
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for row in table.rows:
        values = row.get("values") or {}
        a, b = str(values.get(first, "")), str(values.get(second, ""))
        rows_values += [a] if a not in rows_values else []
        column_values += [b] if b not in column_values else []
        cells[(a, b)] = row
    cell_w, cell_h, left, top = 130, 46, 180, 64
    width = left + cell_w * len(column_values) + 20
    height = top + cell_h * len(rows_values) + 30
    axis_label = rate_label(rate)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rai-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title or axis_label)}" font-family="sans-serif" font-size="12">',
        _text(
            0, 16, title or f"{axis_label}: {first} × {second}", font_weight="bold", font_size="13"
        ),
        _text(
            left + cell_w * len(column_values) / 2,
            38,
            second,
            text_anchor="middle",
            font_style="italic",
        ),
        _text(left - 8, 38, first, text_anchor="end", font_style="italic"),
    ]
    for j, column in enumerate(column_values):
        parts.append(
            _text(left + j * cell_w + cell_w / 2, top - 8, _short(column), text_anchor="middle")
        )
    for i, row_value in enumerate(rows_values):
        y = top + i * cell_h
        parts.append(_text(left - 8, y + cell_h / 2 + 4, _short(row_value), text_anchor="end"))
        for j, column in enumerate(column_values):
            x = left + j * cell_w
            cell = cells.get((row_value, column))
            value = cell.get(rate) if cell else None
            excluded = cell is not None and str(cell["group"]) in table.excluded
            fill = "#f6f8fa" if not isinstance(value, float) else _cell_colour(value)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}" stroke="{_GRID}"/>'
            )
            dark = isinstance(value, float) and value > 0.55
            ink = "#ffffff" if dark else _INK
            shown = f"{value:.3f}" if isinstance(value, float) else "—"
            count = f"n = {cell['count']}" + (" (excluded)" if excluded else "") if cell else ""
            parts.append(
                _text(
                    x + cell_w / 2,
                    y + 20,
                    shown,
                    text_anchor="middle",
                    fill=ink,
                    font_weight="bold",
                )
            )
            parts.append(
                _text(x + cell_w / 2, y + 36, count, text_anchor="middle", fill=ink, font_size="11")
            )
    parts.append("</svg>")
    return "".join(parts)
