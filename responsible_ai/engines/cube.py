"""From an engine's count table to the counts of every grouping, by the pandas engine's rules.

An engine that can group (DuckDB, Spark, SQL) returns one small table: a row per combination of
sensitive values, prediction and target, with ``rai_rows`` (rows) and ``rai_weight`` (summed
weight), and, when there is a weight column, ``rai_bad`` / ``rai_gaps`` / ``rai_negative`` (rows
whose weight is not a number / missing / negative). Missing values stay group keys of their own,
so that the checks and the resolution of missing sensitive values happen here, once, for every
engine, exactly as :mod:`responsible_ai.fairness.parquet` does them batch by batch.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.engines.counts import MAX_LABELS, CountsPass
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupCounts, group_index
from responsible_ai.inputs import MISSING_GROUP

if TYPE_CHECKING:
    from responsible_ai.fairness.score_sums import SumsNeeded
    from responsible_ai.policy.schema import DataRoles

__all__ = ["check_cube", "infer_like_pandas", "is_missing", "pass_from_cube", "require_columns"]

MISSING_LABEL = "{role} column {column!r} has missing value(s); drop or fill those rows"
NOT_NUMERIC = "weight column {column!r} must be numeric"
NEGATIVE_WEIGHT = "weight column {column!r} has negative values"


def is_missing(value: Any) -> bool:
    """None, NA or NaN: what pandas' ``isna`` calls missing."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def labels_of(roles: DataRoles) -> list[str]:
    return [c for c in (roles.prediction, roles.target) if c is not None]


MISSING_COLUMN = "{role} column {column!r} is not in {where}{hint}"


def require_columns(
    present: list[str], roles: DataRoles, sensitive: list[str], *, where: str
) -> None:
    """Refuse a role or sensitive column the data lacks, suggesting the closest name."""
    import difflib

    wanted = [("sensitive", c) for c in sensitive] + [
        (role, getattr(roles, role))
        for role in ("target", "prediction", "weight", "score")
        if getattr(roles, role) is not None
    ]
    for role, column in wanted:
        if column not in present:
            close = difflib.get_close_matches(column, present, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                MISSING_COLUMN.format(role=role, column=column, where=where, hint=hint)
            )


def check_cube(table: pd.DataFrame, roles: DataRoles) -> None:
    """Refuse a weight that is not a number, missing or negative, and a missing label."""
    if roles.weight is not None:
        if table["rai_bad"].sum():
            raise InputError(NOT_NUMERIC.format(column=roles.weight))
        if table["rai_gaps"].sum():
            raise InputError(MISSING_LABEL.format(role="weight", column=roles.weight))
        if table["rai_negative"].sum():
            raise InputError(NEGATIVE_WEIGHT.format(column=roles.weight))
    for column in labels_of(roles):  # a missing label is a group key of its own (NULL, or NaN)
        if table[column].map(is_missing).any():
            role = "prediction" if column == roles.prediction else "target"
            raise InputError(MISSING_LABEL.format(role=role, column=column))


def infer_like_pandas(values: pd.Series, name: str = "v") -> tuple[pd.Series, str | None]:
    """Text values typed as :func:`~responsible_ai.data_files.read_table` types that column.

    From its distinct values: codes (leading zeros, fixed-width digits) stay text, with the note
    the in-memory reader gives; anything else is typed by ``pandas.read_csv``'s rules.
    """
    from responsible_ai.data_files import code_columns

    distinct = pd.unique(values.dropna())
    if len(distinct) == 0:
        return values, None
    codes = code_columns(pd.DataFrame({name: [str(v) for v in distinct]}))
    if name in codes:
        return values.astype(object), codes[name]
    buffer = io.StringIO()
    pd.DataFrame({"v": distinct}).to_csv(buffer, index=False)
    buffer.seek(0)
    typed = pd.read_csv(buffer, dtype=None, keep_default_na=True)["v"]
    if values.isna().any() and pd.api.types.is_integer_dtype(typed):
        typed = typed.astype(float)  # pandas reads integers with gaps as floats
    mapping = {
        text: (value.item() if isinstance(value, np.generic) else value)
        for text, value in zip(distinct, typed, strict=True)
    }
    return values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype(object), None


def pass_from_cube(
    table: pd.DataFrame,
    roles: DataRoles,
    bys: list[list[str]],
    *,
    typed: bool,
    notes: list[str],
    source: dict[str, Any],
    needed: SumsNeeded | None = None,
) -> CountsPass:
    """The pass of an engine that returned ``table``; ``typed`` False for text read from CSV.

    With ``needed``, the table also holds the score sums of
    :meth:`~responsible_ai.fairness.score_sums.SumsNeeded.raw_sums` (and its bin keys), which
    become each grouping's :class:`~responsible_ai.fairness.score_sums.GroupSums`.
    """
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    labels = labels_of(roles)
    keys = list(dict.fromkeys([*sensitive, *labels]))
    table = table.copy()
    for column in keys:
        table[column] = (
            table[column].astype(object).map(lambda v: v.item() if isinstance(v, np.generic) else v)
        )
        if not typed:
            table[column], kept = infer_like_pandas(table[column], column)
            notes = [*notes, kept] if kept else notes
    scanned = int(table["rai_rows"].sum())
    seen = {c: {v for v in table[c] if not is_missing(v)} for c in labels}
    for column in labels:
        if len(seen[column]) > MAX_LABELS:
            seen[column] = set(sorted(seen[column], key=str)[:MAX_LABELS])
    table, dropped, missing_groups = _resolve_missing(table, sensitive, roles.missing_sensitive)
    label = 1 if roles.positive_label is None else roles.positive_label
    sums = {} if needed is None else _score_sums(table, bys, roles, label, needed)
    return CountsPass(
        parts={tuple(by): _group_counts(table, by, roles, label) for by in bys},
        sums=sums,
        seen=seen,
        rows=scanned - dropped,
        dropped=dropped,
        missing_groups=missing_groups,
        notes=notes,
        source=source,
        columns=list(
            dict.fromkeys(
                [
                    *keys,
                    *([roles.weight] if roles.weight else []),
                    *(needed.columns if needed else []),
                ]
            )
        ),
    )


SCORE_MISSING = "score column {column!r} has {count} missing value(s); drop or fill those rows"
SCORE_NOT_NUMERIC = "score column {column!r} must be numeric"


def _score_sums(
    table: pd.DataFrame, bys: list[list[str]], roles: DataRoles, label: Any, needed: SumsNeeded
) -> dict[tuple[tuple[str, ...], int], Any]:
    """Each grouping's score sums, per number of score bins (1: unbinned)."""
    from responsible_ai.fairness.score_sums import group_sums

    if roles.score is not None and roles.score in needed.columns:
        # As in memory, a score column must be complete and numeric (after missing groups).
        if table[needed.text_alias(roles.score)].sum():
            raise InputError(SCORE_NOT_NUMERIC.format(column=roles.score))
        missing = int(table[needed.missing_alias(roles.score)].sum())
        if missing:
            raise InputError(SCORE_MISSING.format(column=roles.score, count=missing))
    if roles.target is not None:
        outcome = (table[roles.target] == label).to_numpy(dtype=bool)
    else:
        outcome = np.zeros(len(table), dtype=bool)
    found: dict[tuple[tuple[str, ...], int], Any] = {}
    for by in bys:
        if len(table) == 0:
            continue
        index = group_index(table, by)
        for n_bins in (1, *needed.bins):
            found[(tuple(by), n_bins)] = group_sums(
                table, index.codes, index.groups, by, outcome, needed, n_bins
            )
    return found


def _resolve_missing(
    table: pd.DataFrame, sensitive: Sequence[str], policy: str
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Missing sensitive values grouped or dropped, column by column as the pandas engine does."""
    dropped = 0
    counted: dict[str, int] = {}
    for column in sensitive:
        missing = table[column].map(is_missing).to_numpy(dtype=bool)
        count = int(table.loc[missing, "rai_rows"].sum())
        if not count:
            continue
        counted[column] = count
        if policy == "drop":
            table = table.loc[~missing]
            dropped += count
        else:
            table = table.copy()
            table[column] = table[column].where(~missing, MISSING_GROUP)
    return table, dropped, counted


def _group_counts(
    table: pd.DataFrame, by: list[str], roles: DataRoles, label: Any
) -> GroupCounts | None:
    if len(table) == 0:
        return None
    index = group_index(table, by)
    if roles.prediction is None:  # score or regression checks only: group sizes, no decisions
        cell = np.zeros(len(table), dtype=np.int64)
    else:
        cell = (table[roles.prediction] == label).to_numpy(dtype=np.int64)
    cells = 2
    if roles.target is not None:
        cell = 2 * cell + (table[roles.target] == label).to_numpy(dtype=np.int64)
        cells = 4
    key = index.codes * cells + cell
    size = len(index.groups) * cells
    rows = np.bincount(key, weights=table["rai_rows"].to_numpy(dtype=float), minlength=size)
    weights = np.bincount(key, weights=table["rai_weight"].to_numpy(dtype=float), minlength=size)
    return GroupCounts(
        tuple(by),
        index.groups,
        rows.round().astype(np.int64).reshape(-1, cells),
        weights.reshape(-1, cells),
        has_target=roles.target is not None,
    )
