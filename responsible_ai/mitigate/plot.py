"""The Pareto front of fairness against performance, as PNG bytes or inline SVG (matplotlib)."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["pareto_png", "pareto_svg"]


def _figure(section: dict[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib.figure import Figure

    pareto = section["pareto"]
    front = set(pareto["front"])
    figure = Figure(figsize=(7, 4.5), dpi=100)
    axes = figure.add_subplot()
    styles = {
        "chosen": ("#1a7f37", "*", 180),
        "original": ("#24292f", "D", 60),
        "forbidden": ("#cf222e", "x", 50),
        "passes": ("#0969da", "o", 45),
        "fails": ("#8c959f", "o", 35),
    }
    labelled: dict[tuple[float, float], list[str]] = {}
    drawn: set[str] = set()
    for point in pareto["points"]:
        if point["performance"] is None or point["fairness"] is None:
            continue
        if point["name"] == section["chosen"]:
            kind = "chosen"
        elif point["name"] == section["original"]["name"]:
            kind = "original"
        elif point["forbidden"]:
            kind = "forbidden"
        else:
            kind = "passes" if point["passes"] else "fails"
        colour, marker, size = styles[kind]
        label = {
            "chosen": "chosen",
            "original": "original (refit)",
            "forbidden": "forbidden (sensitive at decision)",
            "passes": "passes",
            "fails": "does not pass",
        }
        axes.scatter(
            point["fairness"],
            point["performance"],
            c=colour,
            marker=marker,
            s=size,
            label=None if kind in drawn else label[kind],
            zorder=3 if kind == "chosen" else 2,
        )
        drawn.add(kind)
        spot = (round(point["fairness"], 6), round(point["performance"], 6))
        labelled.setdefault(spot, []).append(
            point["name"].split(", ")[0].rstrip(")") + ")"
            if "(" in point["name"]
            else point["name"]
        )
    for (x, y), names in labelled.items():
        text = names[0] + (f" (+{len(names) - 1} alike)" if len(names) > 1 else "")
        axes.annotate(text, (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
    on_front = sorted(
        (p for p in pareto["points"] if p["name"] in front), key=lambda p: p["fairness"]
    )
    if len(on_front) > 1:
        axes.plot(
            [p["fairness"] for p in on_front],
            [p["performance"] for p in on_front],
            color="#0969da",
            linewidth=1,
            alpha=0.6,
        )
    threshold = next(
        (
            c["threshold"]
            for c in section["original"]["checks"]
            if c["id"] == pareto["fairness_check"]
        ),
        None,
    )
    if threshold is not None:
        axes.axvline(threshold, color="#cf222e", linestyle="--", linewidth=1)
    axes.set_xlabel(f"{pareto['fairness_check']} ({pareto['operator'] or ''} threshold dashed)")
    axes.set_ylabel(f"{section['metric']} (held-out split)")
    axes.set_title("Candidates: fairness against performance (Pareto front joined)", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    return figure


def pareto_png(section: dict[str, Any]) -> bytes:
    """The plot as PNG bytes (written by ``rai mitigate --pareto``)."""
    buffer = io.BytesIO()
    _figure(section).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def pareto_svg(section: dict[str, Any]) -> str:
    """The plot as an ``<svg>`` element for inline HTML (matplotlib escapes every text)."""
    buffer = io.StringIO()
    _figure(section).savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
