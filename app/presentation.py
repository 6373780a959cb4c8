"""How pages show tables and statuses so that they fit and read plainly.

The words come from ``responsible_ai.report.plain`` (shared with the reports); this module only
turns them into Streamlit column configurations and badges.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from responsible_ai.report.escaping import escape_markdown
from responsible_ai.report.plain import (
    CHECK_COLUMNS,
    REVIEW_COLUMNS,
    SHAP_HEADERS,
    review_banner,
    status_label,
)

__all__ = [
    "WRAPPED_ROWS",
    "banner",
    "readable",
    "show_checks",
    "show_groups",
    "show_reviews",
    "show_runs",
    "status_badge",
]

#: Rows a table shows wrapped (every word on the page); past them, the whole table is a grid
#: in an expander.
WRAPPED_ROWS = 25

_BADGE_COLOURS = {
    "pass": "green",
    "fail": "red",
    "error": "red",
    "warn": "orange",
    "insufficient_evidence": "orange",
    "skipped": "gray",
    "waived": "violet",
}

# Widths in pixels, wide enough for the longest usual value ("lacks evidence", a check id with
# its group); long free text gets the most room.
_CHECK_WIDTHS = {
    "status": 140,
    "after review": 140,
    "severity": 80,
    "check": 230,
    "metric": 260,
    "by": 160,
    "requirement": 100,
    "reference": 300,
    "detail": 420,
}
_REVIEW_WIDTHS = {
    "#": 50,
    "run": 50,
    "decision": 80,
    "check": 210,
    "standing": 170,
    "reviewer": 150,
    "justification": 360,
    "comment": 300,
    "expires on": 100,
    "recorded": 150,
    "hash": 120,
}


def status_badge(status: str) -> str:
    """A coloured status word for Markdown: ``:orange[**LACKS EVIDENCE**]``."""
    colour = _BADGE_COLOURS.get(status, "gray")
    return f":{colour}[**{status_label(status).upper()}**]"


def banner(state: Any, verdict: str, *, errors_as: str = "error") -> None:
    """Where the review of the run stands, said once and loudly enough (see ``review_banner``).

    ``errors_as="warning"`` on a page whose errors are the outcome of the user's own action
    (the Review page), so that what blocks the run never reads as a refused review.
    """
    from common import md

    kind, sentence = review_banner(state, verdict)
    getattr(st, errors_as if kind == "error" else kind)(md(sentence))


def _text_columns(helps: dict[str, str], widths: dict[str, int]) -> dict[str, Any]:
    return {
        name: st.column_config.TextColumn(name, help=helps[name], width=widths.get(name))
        for name in helps
        if name in widths
    }


def show_checks(table: pd.DataFrame) -> None:
    """The All checks table: statuses whole, values rounded for reading (exact in the data)."""
    config = _text_columns(CHECK_COLUMNS, _CHECK_WIDTHS)
    config["value"] = st.column_config.NumberColumn(
        "value", help=CHECK_COLUMNS["value"], format="%.4g", width=90
    )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)


def show_reviews(table: pd.DataFrame, *, wrap: bool = False) -> None:
    """A reviews table with each waiver's standing; ``wrap`` shows long justifications whole
    (of the newest :data:`WRAPPED_ROWS` reviews; all of them in a grid below when more)."""
    if wrap:
        # st.table wraps long text; a run has few reviews, so every word stays readable.
        shown = table.drop(columns=["run", "hash"], errors="ignore")
        if "#" in shown and len(shown) > WRAPPED_ROWS:  # the newest, in the order given
            shown = shown[shown["#"].isin(shown["#"].nlargest(WRAPPED_ROWS))]
        st.table(_as_text(shown), hide_index=True)
        if len(table) > WRAPPED_ROWS:
            with st.expander(f"All {len(table)} reviews"):
                show_reviews(table)
        return
    config = _text_columns(REVIEW_COLUMNS, _REVIEW_WIDTHS)
    config["#"] = st.column_config.NumberColumn("#", help=REVIEW_COLUMNS["#"], width=50)
    config["run"] = st.column_config.NumberColumn("run", help=REVIEW_COLUMNS["run"], width=50)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` for ``st.table``, which renders every cell as Markdown: text cells escaped (a
    label or justification shows as written, never as a link, image or badge)."""
    shown = table.copy()
    for name in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[name]):
            shown[name] = [_escaped(v) for v in shown[name]]
    return shown


def _escaped(value: Any) -> Any:
    missing = value is None or value != value  # None, NaN
    return value if missing else escape_markdown(str(value))


def show_runs(table: pd.DataFrame) -> None:
    """Runs, newest first, wrapped to the page's width (the newest :data:`WRAPPED_ROWS`), then
    every run with every value exact (the time to the second) in a grid, folded away."""
    words = table.rename(columns=lambda c: c.replace("_", " "))
    words = words.rename(columns={"data sha256": "data (SHA-256, first 12)"})
    shown = words.copy()
    if "created at" in shown:  # to the minute, in UTC: the seconds are in the grid below
        shown["created at"] = [
            f"{str(t)[:16].replace('T', ' ')} UTC" if t else "" for t in shown["created at"]
        ]
    st.table(_as_text(shown.head(WRAPPED_ROWS)), hide_index=True)
    with st.expander(f"All {len(table)} runs, every value exact"):
        st.dataframe(words, hide_index=True, width="stretch")


_ROUNDED = "Rounded to 4 significant digits for reading."


def readable(table: pd.DataFrame, headers: dict[str, str] | None = None) -> None:
    """A table with readable headers (``mean |SHAP|``) and numbers rounded for reading.

    Only the display rounds: the frame keeps every digit, so a copy from the grid is exact.
    """
    shown = table.rename(columns=SHAP_HEADERS if headers is None else headers)
    config: dict[str, Any] = {}
    for name in shown.columns:
        if pd.api.types.is_float_dtype(shown[name]):
            config[name] = st.column_config.NumberColumn(name, format="%.4g", help=_ROUNDED)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def show_groups(table: pd.DataFrame) -> None:
    """A fairness group table: the group label whole, rates rounded for reading."""
    config: dict[str, Any] = {
        "group": st.column_config.TextColumn("group", width="large", help="The group's values.")
    }
    for name in table.columns:
        if pd.api.types.is_float_dtype(table[name]):
            config[name] = st.column_config.NumberColumn(name, format="%.4g", help=_ROUNDED)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
