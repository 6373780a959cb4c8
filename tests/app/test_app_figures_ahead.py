"""The Explanations figures drawn ahead wait while a page script runs (app/figures.py)."""

from __future__ import annotations

import importlib.util
import threading
import time

from app_testing import APP


def _figures_module():
    spec = importlib.util.spec_from_file_location("figures_under_test", APP.parent / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Figure:
    def __init__(self, name: str) -> None:
        self.name = name

    def savefig(self, buffer, **_options) -> None:
        buffer.write(self.name.encode())


class _Explanation:
    """Records when each figure is drawn; drawing the first one starts a page script."""

    def __init__(self, figures, script_seconds: float) -> None:
        self.approved = {7: True, 8: False}
        self.figures = figures
        self.script_seconds = script_seconds
        self.drawn: list[tuple[str, float]] = []
        self.script_ended = 0.0

    def _page_script(self) -> None:
        with self.figures.page_script():
            time.sleep(self.script_seconds)
            # Taken before the script's end is recorded (on leaving the block): under load,
            # a time taken after it could come later than the drawer's quiet time started.
            self.script_ended = time.monotonic()

    def plot_bar(self) -> _Figure:
        self.drawn.append(("bar", time.monotonic()))
        script = threading.Thread(target=self._page_script)
        script.start()
        time.sleep(0.05)  # the script has begun before this figure is done
        return _Figure("bar")

    def plot_group_comparison(self) -> _Figure:
        self.drawn.append(("groups", time.monotonic()))
        return _Figure("groups")

    def plot_waterfall(self, row) -> _Figure:
        self.drawn.append((f"waterfall {row}", time.monotonic()))
        return _Figure("waterfall")


def _join_draw_thread() -> None:
    for thread in threading.enumerate():
        if thread.name == "rai-draw-explanations":
            thread.join(10)


def test_figures_drawn_ahead_wait_for_the_page_script_and_between_figures(monkeypatch):
    figures = _figures_module()
    monkeypatch.setattr(figures, "DRAW_AHEAD_AFTER_SECONDS", 0.1)
    explanation = _Explanation(figures, script_seconds=0.4)
    with figures.page_script():  # the Overview, which asks for the figures
        started = time.monotonic()
        figures.draw_ahead(("run", 1), explanation)
        time.sleep(0.3)
        assert explanation.drawn == []  # nothing while the page that asked runs
    _join_draw_thread()
    names = [name for name, _ in explanation.drawn]
    assert names == ["bar", "groups", "waterfall 8"]  # the first refused row's waterfall
    assert explanation.drawn[0][1] >= started + 0.3 + 0.1
    # The page script that began while the first figure was drawn: the next figure waited
    # for its end, and then for the quiet time.
    assert explanation.drawn[1][1] >= explanation.script_ended + 0.1
    assert figures.png(("run", 1, "groups"), lambda: _Figure("again")) == b"groups"  # kept


def test_a_page_script_that_fails_still_ends_for_the_figures(monkeypatch):
    figures = _figures_module()
    try:
        with figures.page_script():
            raise RuntimeError("a page's error (shown by Streamlit)")
    except RuntimeError:
        pass
    assert figures._RUNNING[0] == 0
