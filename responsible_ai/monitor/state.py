"""What a monitor keeps between runs: the counts, the reference profile, the windows, the tests.

A state read from a state file (:mod:`responsible_ai.monitor.state_files`) loads its count tables
only when asked: ``--follow`` reads the rows of the windows its new files touch
(:meth:`MonitorState.counts_of`), never the rest, and writes back only those windows.
"""

from __future__ import annotations

from typing import Any

from responsible_ai.monitor.windows import WindowCounts

__all__ = ["MonitorState"]


class MonitorState:
    """The counts, the reference profile and the windows of a monitor (what ``--follow`` continues).

    Parameters
    ----------
    counts : WindowCounts or None
        Every window's counts; None when they stay in ``stored`` until :attr:`counts` is read.
    profile : ReferenceProfile or None
    windows : list of dict
        Every window's results, in window order. Those named in ``light`` are the results
        without their per-group numbers (``performance`` and each check's ``groups``), read in
        full from ``stored`` when :attr:`windows` is read.
    sequential : dict, optional
        Rule id -> :class:`~responsible_ai.monitor.sequential.SequentialResult`: the tests'
        inputs and state after the last window (``--follow`` continues them).
    stored : StoredState, optional
        The state file these counts continue (its tables are read lazily).
    changed : WindowCounts, optional
        The counts of the windows changed since ``stored`` (every row of those windows), with
        the files, stamps and rows of the whole monitor.
    """

    def __init__(
        self,
        counts: WindowCounts | None,
        profile: Any,
        windows: list[dict[str, Any]],
        *,
        sequential: dict[str, Any] | None = None,
        stored: Any = None,
        changed: WindowCounts | None = None,
        light: set[str] | None = None,
    ) -> None:
        if counts is None and stored is None:
            raise ValueError("a monitor state needs counts or a stored state to read them from")
        self._counts = counts
        self.profile = profile
        self._windows = windows
        self._light = set(light or ())
        self.sequential = dict(sequential or {})
        self.stored = stored
        self.changed = changed

    @property
    def counts(self) -> WindowCounts:
        """Every window's counts (read from the state file on first use)."""
        if self._counts is None:
            self._counts = self.stored.counts(self.changed)
        return self._counts

    @property
    def windows(self) -> list[dict[str, Any]]:
        """Every window's results in full, in window order."""
        if self._light:
            full = self.stored.full_windows(self._light)
            self._windows = [full.get(w["window"], w) for w in self._windows]
            self._light = set()
        return self._windows

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every window's results, some without their per-group numbers (:attr:`light`): what the
        alerts need of the windows a run did not touch."""
        return self._windows

    @property
    def light(self) -> set[str]:
        """The windows of :attr:`entries` kept without their per-group numbers."""
        return set(self._light)

    def full_window(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``entry`` of :attr:`entries` with its per-group numbers."""
        if entry["window"] not in self._light:
            return entry
        return self.stored.full_windows({entry["window"]})[entry["window"]]

    @property
    def loaded(self) -> bool:
        """The counts are in memory (not only in the state file)."""
        return self._counts is not None

    @property
    def meta(self) -> WindowCounts:
        """Counts whose files, stamps, rows and sensitive columns are the monitor's (the tables
        may hold only some windows): what ``--follow`` needs without reading any table."""
        if self._counts is not None:
            return self._counts
        return self.changed if self.changed is not None else self.stored.meta

    @property
    def window_names(self) -> list[str]:
        """Every window, in order."""
        return [w["window"] for w in self._windows]

    def counts_of(self, windows: set[str]) -> WindowCounts:
        """Counts holding at least every row of ``windows`` (and the monitor's files, stamps,
        rows): all of them when they are in memory, else only those windows' rows."""
        if self._counts is not None:
            return self._counts
        return self.stored.counts_of(windows, self.changed)

    def changed_with(self, counts: WindowCounts) -> WindowCounts:
        """The counts of the windows changed since :attr:`stored` once ``counts`` (every row of
        the windows a run touched) replace theirs: the earlier changes kept in memory, and
        ``counts``."""
        if self.changed is None:
            return counts
        import pandas as pd

        mine = set(counts.windows)
        tables = {}
        for table in ("groups", "scores", "features"):
            old = getattr(self.changed, table)
            joined = pd.concat([old[~old["window"].isin(mine)], getattr(counts, table)])
            tables[table] = joined.sort_values("window", kind="stable").reset_index(drop=True)
        return WindowCounts(
            counts.sensitive,
            tables["groups"],
            tables["scores"],
            tables["features"],
            counts.rows_total,
            dict(counts.files),
            dict(counts.stamps),
        )
