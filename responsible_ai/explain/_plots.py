"""Figures of an explanation, as matplotlib ``Figure`` objects (no global pyplot state).

Built with ``matplotlib.figure.Figure`` directly so that they are safe to make from the threads of
a Streamlit app and never open a window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from responsible_ai.explain.explanation import Explanation

__all__ = ["NO_SENSITIVE", "plot_bar", "plot_beeswarm", "plot_group_comparison", "plot_waterfall"]

NO_SENSITIVE = "{name!r} is not a sensitive column of this explanation; choose one of {choices}"
_NEGATIVE, _POSITIVE = "#1f77b4", "#d62728"


def _figure(rows: int) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(8, 1.2 + 0.38 * max(rows, 1)), layout="constrained")


def plot_bar(exp: Explanation, top: int) -> Figure:
    table = exp.global_importance.head(top).iloc[::-1]
    figure = _figure(len(table))
    axes = figure.add_subplot()
    middle = table["mean_abs_shap"].to_numpy()
    errors = np.vstack([middle - table["ci_low"].to_numpy(), table["ci_high"].to_numpy() - middle])
    axes.barh(table["feature"], middle, xerr=np.clip(errors, 0, None), color=_POSITIVE, alpha=0.8)
    axes.set_xlabel(f"mean |SHAP value| ({exp.output_space})")
    axes.set_title(f"Global importance, {exp.rows_explained} rows ({exp.explainer_name})")
    return figure


def _colour_values(column: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().all():
        values = numeric.to_numpy(dtype=float)
    else:
        values = column.astype(str).rank(method="dense").to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    return (values - low) / (high - low) if high > low else np.full(len(values), 0.5)


def plot_beeswarm(exp: Explanation, top: int) -> Figure:
    features = list(exp.global_importance["feature"].head(top))[::-1]
    figure = _figure(len(features))
    axes = figure.add_subplot()
    rng = np.random.default_rng(0)
    points = None
    for position, feature in enumerate(features):
        values = exp.values[feature].to_numpy()
        jitter = rng.uniform(-0.3, 0.3, size=len(values))
        points = axes.scatter(
            values,
            position + jitter,
            c=_colour_values(exp.data[feature]),
            cmap="coolwarm",
            vmin=0,
            vmax=1,
            s=6,
            alpha=0.7,
        )
    axes.set_yticks(range(len(features)), features)
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_xlabel(f"SHAP value ({exp.output_space})")
    axes.set_title("Each row's attributions (colour: feature value, low to high)")
    if points is not None:
        figure.colorbar(points, ax=axes, ticks=[0, 1], label="feature value").ax.set_yticklabels(
            ["low", "high"]
        )
    return figure


def plot_waterfall(exp: Explanation, row_index: Any, top: int) -> Figure:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    table = exp.local(row_index)
    shown, rest = table.head(top), table.iloc[top:]
    labels = [f"{f} = {v}" for f, v in zip(shown["feature"], shown["value"], strict=True)]
    steps = list(shown["shap"])
    if len(rest):
        labels.append(f"{len(rest)} other features")
        steps.append(float(rest["shap"].sum()))
    labels, steps = labels[::-1], steps[::-1]
    figure = _figure(len(steps) + 1)
    axes = figure.add_subplot()
    # Read from the bottom up: from the expected value, each step adds one feature's SHAP value.
    level = exp.expected_value
    for position, step in enumerate(steps):
        axes.barh(position, step, left=level, color=_POSITIVE if step >= 0 else _NEGATIVE)
        level += step
    axes.set_yticks(range(len(labels)), labels)
    axes.axvline(exp.expected_value, color="grey", linestyle=":", linewidth=0.8)
    total = exp.expected_value + float(table["shap"].sum())
    axes.set_xlabel(
        f"{exp.output_space}: expected {exp.expected_value:.3g} -> this row {total:.3g}"
    )
    axes.set_title(f"Row {row_index}: how each feature moved the output")
    toward = f"toward {exp.positive_label!r}" if exp.positive_label is not None else "up"
    # Below the axes, outside them: a legend inside would cover the bars of some rows.
    figure.legend(
        handles=[
            Patch(color=_POSITIVE, label=f"pushes {toward}"),
            Patch(color=_NEGATIVE, label="pushes away"),
            Line2D([], [], color="grey", linestyle=":", label="average output"),
        ],
        fontsize="small",
        loc="outside lower center",
        ncols=3,
    )
    return figure


def plot_group_comparison(exp: Explanation, sensitive: str | None, top: int) -> Figure:
    if not exp.sensitive:
        raise InputError("the explanation has no sensitive columns to compare groups of")
    name = sensitive or exp.sensitive[0]
    if name not in exp.sensitive:
        raise InputError(NO_SENSITIVE.format(name=name, choices=exp.sensitive))
    features = list(exp.global_importance["feature"].head(top))[::-1]
    table = exp.group_attribution[exp.group_attribution["sensitive"] == name]
    means = table.pivot(index="feature", columns="group", values="mean_shap").loc[features]
    figure = _figure(len(features) * max(1, len(means.columns)) // 2 + 2)
    axes = figure.add_subplot()
    height = 0.8 / max(1, len(means.columns))
    for offset, group in enumerate(means.columns):
        positions = np.arange(len(features)) + offset * height - 0.4 + height / 2
        axes.barh(positions, means[group].to_numpy(), height=height, label=str(group))
    axes.set_yticks(range(len(features)), features)
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_xlabel(f"mean SHAP value ({exp.output_space})")
    axes.set_title(f"Mean attribution by {name}")
    axes.legend(title=name, fontsize="small")
    return figure
