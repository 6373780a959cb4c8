"""The Explanations page's figures as PNG, drawn once per run and kept (drawn ahead, if asked).

Drawing the three matplotlib figures of an explanation takes seconds of CPU (text layout
mostly), and ``st.pyplot`` draws them again on every visit of the page, at a resolution that
Streamlit then scales down and encodes a second time. Here each figure is drawn once, at the
width the page shows (so Streamlit passes the bytes through), and kept per run; the Overview
draws the figures of its run in a thread while the reviewer reads it (:func:`draw_ahead`). That
thread draws one figure at a time, and only while no page script runs (:func:`page_script`):
a page the reviewer opens meanwhile does not share the interpreter with matplotlib for long.

The figures are ``matplotlib.figure.Figure`` objects made without pyplot, so drawing them from
a thread is safe; one lock keeps two draws of the same figure from running at once.
"""

from __future__ import annotations

import importlib
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["default_row", "draw_ahead", "page_script", "png"]

#: Pixels per inch: the 8-inch figures come out 1,440 pixels wide, under Streamlit's widest
#: image (1,460), so they are not scaled and encoded again; sharp on a high-density screen.
DPI = 180
#: Before each figure drawn ahead: this long without a page script running (seconds). The page
#: just drawn, and one the reviewer opens at once, go first; so does the browser's drawing.
DRAW_AHEAD_AFTER_SECONDS = 0.25
_KEPT = 48  # figures kept (three per run, plus the waterfalls of the rows looked at)
_LOCK = threading.Lock()
_DRAWN: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_AHEAD: set[tuple[Any, ...]] = set()  # runs whose figures a thread has been asked to draw
_SCRIPTS = threading.Condition()  # page scripts running in this server, and since when none
_RUNNING = [0, 0.0]  # how many run now; when the last one ended (time.monotonic())


@contextmanager
def page_script() -> Iterator[None]:
    """Around each run of the app's script: the figures drawn ahead wait meanwhile."""
    with _SCRIPTS:
        _RUNNING[0] += 1
    try:
        yield
    finally:
        with _SCRIPTS:
            _RUNNING[0] -= 1
            _RUNNING[1] = time.monotonic()
            _SCRIPTS.notify_all()


def _wait_for_quiet(quiet: float) -> None:
    """Until no page script has run for ``quiet`` seconds."""
    with _SCRIPTS:
        while True:
            if _RUNNING[0] > 0:
                _SCRIPTS.wait()
                continue
            left = quiet - (time.monotonic() - _RUNNING[1])
            if left <= 0:
                return
            _SCRIPTS.wait(left)


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


def figures(
    run_key: tuple[Any, ...],
    explanation: Any,
    row: Any,
    before_each: Callable[[], None] | None = None,
) -> dict[str, bytes]:
    """The page's three figures of ``explanation`` (the waterfall of ``row``), drawn or kept;
    ``before_each`` is called before each figure (outside the lock)."""
    wanted: dict[str, tuple[tuple[Any, ...], Callable[[], Any]]] = {
        "importance": ((*run_key, "bar"), explanation.plot_bar),
        "groups": ((*run_key, "groups"), explanation.plot_group_comparison),
    }
    if row is not None:
        wanted["waterfall"] = (
            (*run_key, "waterfall", row),
            lambda: explanation.plot_waterfall(row),
        )
    shown = {}
    for name, (key, draw) in wanted.items():
        if before_each is not None:
            before_each()
        shown[name] = png(key, draw)
    return shown


def draw_ahead(run_key: tuple[Any, ...], explanation: Any) -> None:
    """Draw the figures of ``explanation`` in a thread, once per run, for the page's first visit."""
    with _LOCK:
        if run_key in _AHEAD:
            return
        _AHEAD.add(run_key)

    def _draw() -> None:
        def pause() -> None:
            _wait_for_quiet(DRAW_AHEAD_AFTER_SECONDS)

        try:
            pause()
            # Importing matplotlib (half a second of CPU) is a step of its own, like each figure.
            importlib.import_module("matplotlib.backends.backend_agg")
            figures(run_key, explanation, default_row(explanation), before_each=pause)
        except Exception:  # the page draws again, and shows any failure where it happens
            return

    threading.Thread(target=_draw, name="rai-draw-explanations", daemon=True).start()
