"""The Explanations page's figures as PNG, drawn once per run and kept (drawn ahead, if asked).

Drawing the three matplotlib figures of an explanation takes seconds of CPU (text layout
mostly), and ``st.pyplot`` draws them again on every visit of the page, at a resolution that
Streamlit then scales down and encodes a second time. Here each figure is drawn once, at the
width the page shows (so Streamlit passes the bytes through), and kept per run; the Overview
draws the figures of its run in a thread while the reviewer reads it (:func:`draw_ahead`).

The figures are ``matplotlib.figure.Figure`` objects made without pyplot, so drawing them from
a thread is safe; one lock keeps two draws of the same figure from running at once.
"""

from __future__ import annotations

import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["default_row", "draw_ahead", "png"]

#: Pixels per inch: the 8-inch figures come out 1,440 pixels wide, under Streamlit's widest
#: image (1,460), so they are not scaled and encoded again; sharp on a high-density screen.
DPI = 180
#: The Overview's own run, and a page the reviewer opens at once, go first.
DRAW_AHEAD_AFTER_SECONDS = 1.5
_KEPT = 48  # figures kept (three per run, plus the waterfalls of the rows looked at)
_LOCK = threading.Lock()
_DRAWN: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_AHEAD: set[tuple[Any, ...]] = set()  # runs whose figures a thread has been asked to draw


def png(key: tuple[Any, ...], draw: Callable[[], Any]) -> bytes:
    """The figure ``draw()`` makes, as PNG bytes, drawn only the first time ``key`` is asked."""
    with _LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
        figure = draw()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        _DRAWN[key] = buffer.getvalue()
        while len(_DRAWN) > _KEPT:
            _DRAWN.popitem(last=False)
        return _DRAWN[key]


def default_row(explanation: Any) -> Any:
    """The row the page explains first: the first unfavourable decision, else the first row."""
    decisions = getattr(explanation, "approved", None)
    if decisions is None or not len(decisions):
        return None
    refused = [row for row, ok in decisions.items() if not ok]
    return refused[0] if refused else next(iter(decisions.keys()))


def figures(run_key: tuple[Any, ...], explanation: Any, row: Any) -> dict[str, bytes]:
    """The page's three figures of ``explanation`` (the waterfall of ``row``), drawn or kept."""
    shown = {
        "importance": png((*run_key, "bar"), explanation.plot_bar),
        "groups": png((*run_key, "groups"), explanation.plot_group_comparison),
    }
    if row is not None:
        shown["waterfall"] = png(
            (*run_key, "waterfall", row), lambda: explanation.plot_waterfall(row)
        )
    return shown


def draw_ahead(run_key: tuple[Any, ...], explanation: Any) -> None:
    """Draw the figures of ``explanation`` in a thread, once per run, for the page's first visit."""
    with _LOCK:
        if run_key in _AHEAD:
            return
        _AHEAD.add(run_key)

    def _draw() -> None:
        time.sleep(DRAW_AHEAD_AFTER_SECONDS)  # a page asked for at once is not slowed by it
        try:
            figures(run_key, explanation, default_row(explanation))
        except Exception:  # the page draws again, and shows any failure where it happens
            return

    threading.Thread(target=_draw, name="rai-draw-explanations", daemon=True).start()
