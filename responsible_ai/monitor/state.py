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
        Every window's results, in window order.
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
    ) -> None:
        if counts is None and stored is None:
            raise ValueError("a monitor state needs counts or a stored state to read them from")
        self._counts = counts
        self.profile = profile
        self.windows = windows
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
        return [w["window"] for w in self.windows]

    def counts_of(self, windows: set[str]) -> WindowCounts:
        """Counts holding at least every row of ``windows`` (and the monitor's files, stamps,
        rows): all of them when they are in memory, else only those windows' rows."""
        if self._counts is not None:
            return self._counts
        return self.stored.counts_of(windows, self.changed)
