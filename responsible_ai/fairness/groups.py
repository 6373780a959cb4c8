"""Per-group sufficient statistics: weighted confusion counts, counted once and reused.

Every count-based fairness metric is a function of these counts, so counting is the only pass over
the rows; rates, disparities and bootstrap intervals all work on arrays of shape (groups, cells).
Counts of separate batches merge (:func:`merge_counts`), so the rows never need to be in memory
together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

# Re-exported: group metrics from these counts (the first cut defined it here).
from responsible_ai.fairness.rates import group_rate

__all__ = [
    "CELLS_WITHOUT_TARGET",
    "CELLS_WITH_TARGET",
    "CHUNK_ROWS",
    "GroupCounts",
    "GroupIndex",
    "count_groups",
    "derive_cells",
    "group_index",
    "group_rate",
    "merge_counts",
]

# Atomic cells, indexed by ``2 * predicted + actual`` (or by ``predicted`` without a target).
CELLS_WITH_TARGET: tuple[str, ...] = ("tn", "fn", "fp", "tp")
CELLS_WITHOUT_TARGET: tuple[str, ...] = ("pn", "pp")

# Rows counted at a time; larger frames are counted in chunks whose counts are merged.
CHUNK_ROWS = 1 << 18
# Above this many possible groups, find the present ones by sorting instead of a lookup table.
_MAX_DENSE_CODES = 1 << 24


@dataclass(frozen=True)
class GroupIndex:
    """The group of every row: ``codes[i]`` indexes ``groups`` (value tuples, sorted)."""

    by: tuple[str, ...]
    groups: list[tuple[object, ...]]
    codes: np.ndarray


@dataclass(frozen=True)
class GroupCounts:
    """Weighted and unweighted counts per group and confusion cell.

    ``weights[g, k]`` is the summed sample weight and ``rows[g, k]`` the number of rows of group
    ``g`` in cell ``k`` (:data:`CELLS_WITH_TARGET` or :data:`CELLS_WITHOUT_TARGET`).
    """

    by: tuple[str, ...]
    groups: list[tuple[object, ...]]
    rows: np.ndarray
    weights: np.ndarray
    has_target: bool

    @cached_property
    def labels(self) -> list[str]:
        """Readable group names: ``"female"``, or ``"female / under 25"`` for intersections.

        Cached, like the other derived views below: callers index them once per group, which
        would be quadratic in the groups if each access rebuilt them.
        """
        return [" / ".join(str(value) for value in group) for group in self.groups]

    @cached_property
    def group_rows(self) -> np.ndarray:
        """Unweighted rows per group."""
        return self.rows.sum(axis=-1)

    @cached_property
    def cells(self) -> dict[str, np.ndarray]:
        """Weighted counts per group: ``n``, ``pp``, ``pn`` and, with a target, ``tp``..``fn``."""
        return derive_cells(self.weights, self.has_target)

    @cached_property
    def row_cells(self) -> dict[str, np.ndarray]:
        """Unweighted counts per group, with the same names as :attr:`cells`."""
        return derive_cells(self.rows.astype(float), self.has_target)

    @cached_property
    def weighted(self) -> bool:
        return not np.array_equal(self.weights, self.rows)

    def total(self) -> dict[str, float]:
        """The weighted counts of the whole data, by name (``n``, ``pp``, ``tp``, ...)."""
        return {name: float(values.sum()) for name, values in self.cells.items()}

    def overall(self) -> GroupCounts:
        """The whole data as one group."""
        return GroupCounts(
            (),
            [()],
            self.rows.sum(axis=0, keepdims=True),
            self.weights.sum(axis=0, keepdims=True),
            self.has_target,
        )

    def subset(self, keep: np.ndarray) -> GroupCounts:
        """Only the groups where ``keep`` is true."""
        return GroupCounts(
            self.by,
            [g for g, k in zip(self.groups, keep, strict=True) if k],
            self.rows[keep],
            self.weights[keep],
            self.has_target,
        )


def derive_cells(weights: np.ndarray, has_target: bool) -> dict[str, np.ndarray]:
    """Named counts from atomic cells; ``weights`` has shape (..., groups, cells)."""
    if has_target:
        tn, fn, fp, tp = (weights[..., k] for k in range(4))
        return {
            "tn": tn,
            "fn": fn,
            "fp": fp,
            "tp": tp,
            "pp": tp + fp,
            "pn": tn + fn,
            "n": tn + fn + fp + tp,
        }
    pn, pp = weights[..., 0], weights[..., 1]
    return {"pn": pn, "pp": pp, "n": pn + pp}


def _sort_key(group: tuple[object, ...]) -> tuple[tuple[int, object], ...]:
    # Numbers before text, each in natural order, so mixed columns sort without TypeError.
    return tuple((0, v) if isinstance(v, int | float) else (1, str(v)) for v in group)


def group_index(frame: pd.DataFrame, by: Sequence[str]) -> GroupIndex:
    """Which group each row belongs to, for the sensitive feature(s) ``by``.

    Parameters
    ----------
    frame : DataFrame
        Holds the ``by`` columns; missing values must already be resolved.
    by : sequence of str
        One column, or several for intersectional groups.
    """
    codes = np.zeros(len(frame), dtype=np.int64)
    levels: list[list[object]] = []
    size = 1
    for column in by:
        column_codes, uniques = pd.factorize(frame[column], sort=False)
        values = [u.item() if isinstance(u, np.generic) else u for u in list(uniques)]
        codes = codes * len(values) + column_codes
        size *= max(len(values), 1)
        levels.append(values)
    if size <= _MAX_DENSE_CODES:
        present = np.flatnonzero(np.bincount(codes, minlength=size))
        lookup = np.zeros(size, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        inverse = lookup[codes]
    else:
        present, inverse = np.unique(codes, return_inverse=True)
    groups = [_decode(int(code), levels) for code in present]
    order = sorted(range(len(groups)), key=lambda i: _sort_key(groups[i]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return GroupIndex(tuple(by), [groups[i] for i in order], rank[inverse])


def _decode(code: int, levels: list[list[object]]) -> tuple[object, ...]:
    values: list[object] = []
    for uniques in reversed(levels):
        code, index = divmod(code, len(uniques))
        values.append(uniques[index])
    return tuple(reversed(values))


def count_groups(
    frame: pd.DataFrame | GroupIndex,
    by: Sequence[str],
    y_pred: np.ndarray,
    y_true: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> GroupCounts:
    """Count confusion cells per group in one pass (one ``np.bincount``).

    Parameters
    ----------
    frame : DataFrame or GroupIndex
        Holds the ``by`` columns (missing values already resolved), or their precomputed index.
        A DataFrame longer than :data:`CHUNK_ROWS` is counted chunk by chunk.
    by : sequence of str
        Sensitive feature columns; several columns give intersectional groups.
    y_pred, y_true : ndarray of bool
        Whether the prediction / the truth equals the positive label.
    weight : ndarray of float, optional
        Sample weights; default 1 for every row.

    Returns
    -------
    GroupCounts
    """
    if isinstance(frame, pd.DataFrame) and len(frame) > CHUNK_ROWS:
        # Count in chunks and merge: the temporary arrays stay the size of one chunk.
        return merge_counts(
            count_groups(
                frame.iloc[start : start + CHUNK_ROWS],
                by,
                y_pred[start : start + CHUNK_ROWS],
                None if y_true is None else y_true[start : start + CHUNK_ROWS],
                None if weight is None else weight[start : start + CHUNK_ROWS],
            )
            for start in range(0, len(frame), CHUNK_ROWS)
        )
    index = frame if isinstance(frame, GroupIndex) else group_index(frame, by)
    n_groups = len(index.groups)
    cell = np.asarray(y_pred, dtype=np.int64)
    n_cells = 2
    if y_true is not None:
        cell = 2 * cell + np.asarray(y_true, dtype=np.int64)
        n_cells = 4
    key = index.codes * n_cells + cell
    size = n_groups * n_cells
    rows = np.bincount(key, minlength=size).reshape(n_groups, n_cells)
    if weight is None:
        weights = rows.astype(float)
    else:
        weights = np.bincount(key, weights=np.asarray(weight, dtype=float), minlength=size)
        weights = weights.reshape(n_groups, n_cells)
    return GroupCounts(tuple(by), index.groups, rows, weights, has_target=y_true is not None)


def merge_counts(parts: Iterable[GroupCounts]) -> GroupCounts:
    """Add up the counts of several batches (groups matched by their values).

    Raises
    ------
    ValueError
        If there are no parts, or they disagree on ``by`` or on having a target.
    """
    rows: dict[tuple[object, ...], np.ndarray] = {}
    weights: dict[tuple[object, ...], np.ndarray] = {}
    first: GroupCounts | None = None
    for part in parts:
        if first is None:
            first = part
        elif part.by != first.by or part.has_target != first.has_target:
            raise ValueError("cannot merge counts of different groupings or target presence")
        for i, group in enumerate(part.groups):
            if group in rows:
                rows[group] = rows[group] + part.rows[i]
                weights[group] = weights[group] + part.weights[i]
            else:
                rows[group] = part.rows[i].copy()
                weights[group] = part.weights[i].copy()
    if first is None:
        raise ValueError("no counts to merge")
    groups = sorted(rows, key=_sort_key)
    n_cells = first.rows.shape[1]
    return GroupCounts(
        first.by,
        groups,
        np.asarray([rows[g] for g in groups]).reshape(len(groups), n_cells),
        np.asarray([weights[g] for g in groups]).reshape(len(groups), n_cells),
        first.has_target,
    )
