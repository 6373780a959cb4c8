"""Mergeable per-window counts: what one pass over prediction logs leaves behind.

Three small tables, each a count of rows per key, so that the counts of two batches, two files or
two runs of ``rai monitor --follow`` add up (:meth:`WindowCounts.merge`) and no row is ever needed
again:

``groups``
    ``window``, the sensitive columns, ``predicted`` (bool: the positive label), ``actual``
    (1, 0, or -1 where the label has not arrived yet), ``rows``.
``scores``
    ``window``, the sensitive columns, ``predicted``, ``bin`` (equal-width score bin), ``rows``,
    ``score_sum``.
``features``
    ``window``, ``feature``, ``bin`` (a category, or the index of a reference bin of a numeric
    column), ``rows``, ``value_sum``.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NO_LABEL", "SCORE_BINS", "WindowCounts", "window_order"]

#: ``actual`` of a row whose label has not arrived (yet).
NO_LABEL = -1
#: Equal-width bins of the score in [0, 1] (calibration and estimated performance).
SCORE_BINS = 20

_SUMS = {"groups": ["rows"], "scores": ["rows", "score_sum"], "features": ["rows", "value_sum"]}


@dataclass
class WindowCounts:
    """Per-window counts of prediction logs (see the module docstring for the tables).

    Attributes
    ----------
    sensitive : list of str
        The sensitive columns, keys of ``groups`` and ``scores``.
    groups, scores, features : DataFrame
    rows_total : int
        Rows read so far (``N rows`` windows continue from it).
    files : dict
        ``path -> sha256`` of every file counted: ``--follow`` reads only the others.
    stamps : dict
        ``path -> [size, mtime_ns, edges sha256]`` of every file counted: ``--follow`` hashes an
        old file again only when one of these changed (see :func:`file_stamp`).
    """

    sensitive: list[str]
    groups: pd.DataFrame
    scores: pd.DataFrame
    features: pd.DataFrame
    rows_total: int = 0
    files: dict[str, str] = field(default_factory=dict)
    stamps: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, sensitive: list[str]) -> WindowCounts:
        """No rows counted yet."""
        keys = ["window", *sensitive, "predicted"]
        return cls(
            list(sensitive),
            pd.DataFrame(columns=[*keys, "actual", "rows"]),
            pd.DataFrame(columns=[*keys, "bin", "rows", "score_sum"]),
            pd.DataFrame(columns=["window", "feature", "bin", "rows", "value_sum"]),
        )

    def _keys(self, table: str) -> list[str]:
        keys = {
            "groups": ["window", *self.sensitive, "predicted", "actual"],
            "scores": ["window", *self.sensitive, "predicted", "bin"],
            "features": ["window", "feature", "bin"],
        }
        return keys[table]

    def normalised(self) -> WindowCounts:
        """Each table summed over its keys (rows of the same key added up), sorted."""
        tables = {name: self._summed(name, getattr(self, name)) for name in _SUMS}
        return WindowCounts(
            self.sensitive,
            tables["groups"],
            tables["scores"],
            tables["features"],
            self.rows_total,
            dict(self.files),
            dict(self.stamps),
        )

    def _summed(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """One table summed over its keys and sorted."""
        if len(frame) == 0:
            return frame.reset_index(drop=True)
        summed = (
            frame.groupby(self._keys(name), dropna=False, sort=True, observed=True)[_SUMS[name]]
            .sum()
            .reset_index()
        )
        summed["rows"] = summed["rows"].astype(np.int64)
        return summed

    def merge(self, other: WindowCounts) -> WindowCounts:
        """The counts of both (the same rows counted twice would count twice: callers skip
        files already in :attr:`files`)."""
        if other.sensitive != self.sensitive:
            raise ValueError("cannot merge window counts of different sensitive columns")
        touched = _names(other.groups) | _names(other.features)
        if len(self.groups) and touched and len(touched) * 4 < len(_names(self.groups)):
            return self._merge_few(other, touched)
        merged = WindowCounts(
            self.sensitive,
            _concat(self.groups, other.groups),
            _concat(self.scores, other.scores),
            _concat(self.features, other.features),
            self.rows_total + other.rows_total,
            {**self.files, **other.files},
            {**self.stamps, **other.stamps},
        )
        return merged.normalised()

    def _merge_few(self, other: WindowCounts, touched: set[str]) -> WindowCounts:
        """:meth:`merge` when ``other`` touches few windows (``--follow``): only those windows
        are summed again; the others are kept as they are (already summed and sorted)."""
        tables = {}
        for name in _SUMS:
            mine: pd.DataFrame = getattr(self, name)
            theirs: pd.DataFrame = getattr(other, name)
            hit = mine["window"].isin(touched).to_numpy()
            summed = self._summed(name, _concat(mine[hit], theirs))
            combined = _concat(mine[~hit], summed)
            tables[name] = combined.sort_values("window", kind="stable").reset_index(drop=True)
        return WindowCounts(
            self.sensitive,
            tables["groups"],
            tables["scores"],
            tables["features"],
            self.rows_total + other.rows_total,
            {**self.files, **other.files},
            {**self.stamps, **other.stamps},
        )

    @classmethod
    def merge_all(cls, parts: list[WindowCounts]) -> WindowCounts:
        """The counts of every part, added up in one pass."""
        first = parts[0]
        tables = {
            name: pd.concat(
                [getattr(p, name) for p in parts if len(getattr(p, name))]
                or [getattr(first, name)],
                ignore_index=True,
            )
            for name in _SUMS
        }
        merged = cls(
            first.sensitive,
            tables["groups"],
            tables["scores"],
            tables["features"],
            sum(p.rows_total for p in parts),
            {k: v for p in parts for k, v in p.files.items()},
            {k: v for p in parts for k, v in p.stamps.items()},
        )
        return merged.normalised()

    @property
    def windows(self) -> list[str]:
        """Every window with rows, in order."""
        names = _names(self.groups) | _names(self.features)
        return sorted(names, key=window_order)

    def to_json(self) -> str:
        """The counts as JSON (kept in the review store between runs of ``--follow``)."""
        return json.dumps(
            {
                "sensitive": self.sensitive,
                "rows_total": self.rows_total,
                "files": self.files,
                "stamps": self.stamps,
                **{name: _table_text(getattr(self, name)) for name in _SUMS},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> WindowCounts:
        data: dict[str, Any] = json.loads(text)
        tables = {name: _table_of(data[name]) for name in _SUMS}
        for frame in tables.values():
            if "window" in frame:
                frame["window"] = frame["window"].astype(str)
        return cls(
            list(data["sensitive"]),
            tables["groups"],
            tables["scores"],
            tables["features"],
            int(data["rows_total"]),
            dict(data["files"]),
            dict(data.get("stamps", {})),
        )


def _table_text(frame: pd.DataFrame) -> str:
    """A table as base64 Parquet: compact, typed and fast to read back (counts can be large)."""
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False, compression="zstd")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table_of(text: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)))


def _names(frame: pd.DataFrame) -> set[str]:
    """The distinct windows of a table (one pass in C, not one Python object per row)."""
    return set(pd.unique(frame["window"].to_numpy(dtype=object)).tolist())


def _concat(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    parts = [frame for frame in (first, second) if len(frame)]
    if not parts:
        return first
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def window_order(name: str) -> tuple[int, str]:
    # Row windows are named by their first row number, zero-padded; day windows by their date.
    return (0, name)
