"""Rows counted by key in NumPy: integer codes per key column, one ``bincount`` per table.

What :func:`~responsible_ai.monitor.reading.count_frame` uses instead of a pandas ``groupby`` per
table: on a day of logs (tens of thousands of rows) a ``groupby`` costs more in its own set-up than
in counting, and ``rai monitor --follow`` counts one such day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Coded", "coded", "coded_text", "count_by"]

#: Keys combined in one int64 stay below this bound (then they are made dense again).
_KEY_BOUND = 1 << 62


@dataclass(frozen=True)
class Coded:
    """A key column as each row's code (``0 .. len(values) - 1``) and the value of each code."""

    codes: np.ndarray
    values: np.ndarray

    def where(self, keep: np.ndarray) -> Coded:
        return Coded(self.codes[keep], self.values)

    def by_value(self, values: np.ndarray) -> Coded:
        """The same rows coded by ``values`` (one per code; several codes may share a value):
        codes with equal values become one code, so that they count as one group."""
        merged = coded(values)
        return Coded(merged.codes[self.codes], merged.values)


def coded(values: Any) -> Coded:
    """Codes of a column without missing values (distinct values in the order first seen)."""
    codes, uniques = pd.factorize(np.asarray(values), use_na_sentinel=False)
    return Coded(codes.astype(np.int64, copy=False), np.asarray(uniques))


def coded_text(
    column: pd.Series, text: Callable[[pd.Series], pd.Series], missing: Any
) -> tuple[Coded, int]:
    """A column's codes by its text (``text`` of the values), missing values as ``missing``;
    and how many values were missing.

    Text, integer and boolean columns are coded first and ``text`` is applied to each distinct
    value once (equal values have equal texts there); other columns are turned into text first
    (``1``, ``1.0`` and ``True`` are equal in an object column, ``0.0`` and ``-0.0`` in a float one,
    and their texts differ).
    """
    if not _codes_first(column.dtype):
        column = text(column)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array(text(pd.Series(np.asarray(uniques, dtype=object), dtype=object)), dtype=object)
    none = np.array([value is None for value in texts], dtype=bool)
    texts[none] = missing
    texts = np.append(texts, missing)  # code -1 (missing) reads the last entry
    # distinct values with the same text share a code
    merged, names = pd.factorize(texts, use_na_sentinel=False)
    row_codes = merged[codes]
    missing_rows = int((codes < 0).sum()) + int(np.isin(codes, np.flatnonzero(none)).sum())
    return Coded(row_codes.astype(np.int64, copy=False), np.asarray(names, dtype=object)), (
        missing_rows
    )


def _codes_first(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, np.dtype) and (dtype == np.bool_ or np.issubdtype(dtype, np.integer))


def count_by(
    keys: dict[str, Coded], sums: dict[str, np.ndarray], order: Sequence[str], *, sort: bool = True
) -> pd.DataFrame:
    """One row per distinct combination of ``keys``: the key values, ``rows`` and each of
    ``sums`` added up; sorted by the keys (as ``groupby(sort=True)`` would give them) unless
    ``sort`` is false (the caller sorts a table it builds of several).
    ``order`` names the output's columns (keys, ``rows`` and the sums) in their order."""
    names = list(keys)
    count = len(next(iter(keys.values())).codes) if keys else 0
    if count == 0:
        return pd.DataFrame({name: [] for name in order})
    group = np.zeros(count, dtype=np.int64)
    bound = 1
    for name in names:
        size = max(len(keys[name].values), 1)
        if bound * size >= _KEY_BOUND:
            _, group = np.unique(group, return_inverse=True)
            bound = int(group.max()) + 1
        group = group * size + keys[name].codes
        bound *= size
    distinct, group = np.unique(group, return_inverse=True)
    group = group.reshape(-1)
    one_row = np.zeros(len(distinct), dtype=np.int64)
    one_row[group] = np.arange(count)  # any row of a group: its keys are the group's
    columns: dict[str, Any] = {name: keys[name].values[keys[name].codes[one_row]] for name in names}
    columns["rows"] = np.bincount(group, minlength=len(distinct)).astype(np.int64)
    for name, values in sums.items():
        columns[name] = np.bincount(group, weights=values, minlength=len(distinct))
    table = pd.DataFrame({name: columns[name] for name in order})
    return table.sort_values(names, kind="stable", ignore_index=True) if sort else table
