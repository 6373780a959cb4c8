"""The score sums of :class:`~responsible_ai.fairness.score_sums.SumsNeeded`, as SQL and as Spark.

Both forms compute the same columns of the count table, beside ``rai_rows`` and ``rai_weight``:
the sums of :meth:`SumsNeeded.raw_sums`, per numeric column the rows where it is missing
(``rai_missing<i>``) or not a number (``rai_text<i>``), the score's ``rai_min`` / ``rai_max``
and, per number of bins ``b``, the bin key ``rai_bin<b>`` (a ``GROUP BY`` key, computed as NumPy
bins it: ``min(floor(score * b), b - 1)``).

The SQL is portable on purpose (``SUM``, ``CASE``, ``ABS``, ``FLOOR``, ``MIN``, ``MAX`` and
arithmetic): an engine passes its own quoting, its cast to a number (NULL where the text is not
one) and its NaN test (:class:`SqlDialect`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.fairness.score_sums import RawSum, SumsNeeded

__all__ = [
    "CSV_MISSING_TEXTS",
    "SqlDialect",
    "frame_count_table",
    "merge_count_tables",
    "spark_bin_keys",
    "spark_number",
    "spark_sums",
    "sql_bin_keys",
    "sql_sums",
]


@dataclass(frozen=True)
class SqlDialect:
    """How one database spells what the portable SQL cannot.

    ``quote`` a column name as an identifier; ``number`` a quoted column as a double (NULL where
    its value is not a number); ``is_nan`` a double expression's NaN test.
    """

    quote: Callable[[str], str]
    number: Callable[[str], str]
    is_nan: Callable[[str], str]
    #: Texts that are missing values rather than text (CSV read as text: pandas' NA strings).
    missing_texts: tuple[str, ...] = ()


#: What ``pandas.read_csv`` reads as missing by default: in CSV, such a value is missing, not text.
CSV_MISSING_TEXTS: tuple[str, ...] = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


def _term(raw: RawSum, value: Callable[[str], str]) -> str:
    if raw.column is None:
        return "1.0"
    base = value(raw.column)
    if raw.minus is not None:
        base = f"({base} - {value(raw.minus)})"
    if raw.power == 1 and raw.minus is not None:
        return f"ABS{base}"
    return " * ".join([base] * raw.power)


def sql_sums(needed: SumsNeeded, dialect: SqlDialect, weight: str) -> list[str]:
    """``SELECT`` items (``expression AS alias``) of the sums, the checks and the score's range.

    ``weight`` is the SQL of each row's weight (``1.0`` without a weight column).
    """

    def value(column: str) -> str:
        return dialect.number(dialect.quote(column))

    items = [
        f"SUM({' * '.join([weight] * raw.weight_power)} * {_term(raw, value)}) AS {raw.alias}"
        for raw in needed.raw_sums()
    ]
    for column in needed.columns:
        raw, number = dialect.quote(column), value(column)
        text = f"{raw} IS NOT NULL AND {number} IS NULL"
        if dialect.missing_texts:
            listed = ", ".join("'" + t.replace("'", "''") + "'" for t in dialect.missing_texts)
            text += f" AND CAST({raw} AS VARCHAR) NOT IN ({listed})"
        items += [
            f"SUM(CASE WHEN {number} IS NULL OR {dialect.is_nan(number)} THEN 1 ELSE 0 END) "
            f"AS {needed.missing_alias(column)}",
            f"SUM(CASE WHEN {text} THEN 1 ELSE 0 END) AS {needed.text_alias(column)}",
        ]
    if needed.score is not None:
        score = value(needed.score)
        items += [f"MIN({score}) AS rai_min", f"MAX({score}) AS rai_max"]
    return items


def sql_bin_keys(needed: SumsNeeded, dialect: SqlDialect) -> list[str]:
    """``SELECT`` items of the bin keys; group by them too (their aliases)."""
    if needed.score is None:
        return []
    score = dialect.number(dialect.quote(needed.score))
    return [
        # NULL first: SQLAlchemy's SQLite FLOOR is Python's math.floor, which fails on NULL.
        f"CASE WHEN {score} IS NULL THEN NULL WHEN {score} * {b} >= {b - 1} THEN {b - 1} "
        f"ELSE FLOOR({score} * {b}) END "
        f"AS {needed.bin_alias(b)}"
        for b in needed.bins
    ]


def spark_number(value: Any) -> Any:
    """A PySpark column as a double, NULL where it is not a number.

    ``try_cast`` (PySpark 4): under ANSI mode, Spark 4's default, ``cast`` fails the whole job
    on one bad value instead.
    """
    return value.try_cast("double") if hasattr(value, "try_cast") else value.cast("double")


def spark_sums(
    needed: SumsNeeded,
    column: Callable[[str], Any],
    weight: Any,
    missing_texts: tuple[str, ...] = (),
) -> list[Any]:
    """The same aggregates as :func:`sql_sums`, as PySpark columns."""
    from pyspark.sql import functions as F

    def value(name: str) -> Any:
        return spark_number(column(name))

    def term(raw: RawSum) -> Any:
        if raw.column is None:
            return F.lit(1.0)
        base = value(raw.column)
        if raw.minus is not None:
            base = base - value(raw.minus)
            if raw.power == 1:
                return F.abs(base)
        product = base
        for _ in range(raw.power - 1):
            product = product * base
        return product

    aggregates = []
    for raw in needed.raw_sums():
        weighted = weight if raw.weight_power == 1 else weight * weight
        aggregates.append(F.sum(weighted * term(raw)).alias(raw.alias))
    for name in needed.columns:
        number = value(name)
        text = column(name).isNotNull() & number.isNull()
        if missing_texts:
            text = text & ~column(name).cast("string").isin(list(missing_texts))
        aggregates += [
            F.count(F.when(number.isNull() | F.isnan(number), 1)).alias(needed.missing_alias(name)),
            F.count(F.when(text, 1)).alias(needed.text_alias(name)),
        ]
    if needed.score is not None:
        score = value(needed.score)
        aggregates += [F.min(score).alias("rai_min"), F.max(score).alias("rai_max")]
    return aggregates


def spark_bin_keys(needed: SumsNeeded, column: Callable[[str], Any]) -> list[Any]:
    """The bin keys as PySpark columns, to group by."""
    from pyspark.sql import functions as F

    if needed.score is None:
        return []
    score = spark_number(column(needed.score))
    return [
        F.when(score * b >= b - 1, F.lit(b - 1))
        .otherwise(F.floor(score * b))
        .alias(needed.bin_alias(b))
        for b in needed.bins
    ]


def frame_count_table(
    frame: pd.DataFrame, keys: list[str], weight: str | None, needed: SumsNeeded
) -> pd.DataFrame:
    """The count table of one in-memory batch, with the columns DuckDB's query computes.

    The pandas form of :func:`sql_sums` (the streamed Parquet path): missing keys stay groups,
    partial tables of several batches add up with :func:`merge_count_tables`.
    """
    columns: dict[str, Any] = {key: frame[key] for key in keys}
    columns["rai_rows"] = np.ones(len(frame), dtype=np.int64)
    if weight is None:
        w = pd.Series(1.0, index=frame.index)
    else:
        raw = frame[weight]
        w = pd.to_numeric(raw, errors="coerce").astype(float)
        columns["rai_bad"] = (raw.notna() & w.isna()).astype(np.int64)
        columns["rai_gaps"] = raw.isna().astype(np.int64)
        columns["rai_negative"] = (w < 0).astype(np.int64)
    columns["rai_weight"] = w
    numbers = {c: pd.to_numeric(frame[c], errors="coerce").astype(float) for c in needed.columns}
    for raw_sum in needed.raw_sums():
        term = pd.Series(1.0, index=frame.index)
        if raw_sum.column is not None and raw_sum.minus is not None:
            difference = numbers[raw_sum.column] - numbers[raw_sum.minus]
            term = difference.abs() if raw_sum.power == 1 else difference**raw_sum.power
        elif raw_sum.column is not None:
            term = numbers[raw_sum.column] ** raw_sum.power
        columns[raw_sum.alias] = w**raw_sum.weight_power * term
    for column in needed.columns:
        columns[needed.missing_alias(column)] = numbers[column].isna().astype(np.int64)
        text = frame[column].notna() & numbers[column].isna()
        columns[needed.text_alias(column)] = text.astype(np.int64)
    bins: list[str] = []
    if needed.score is not None:
        score = numbers[needed.score]
        columns["rai_min"], columns["rai_max"] = score, score
        for b in needed.bins:
            binned = np.where(score * b >= b - 1, b - 1, np.floor(score * b))
            columns[needed.bin_alias(b)] = binned
            bins.append(needed.bin_alias(b))
    return merge_count_tables([pd.DataFrame(columns)], [*keys, *bins])


def merge_count_tables(tables: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Partial count tables added up per key (minimum and maximum for the score's range)."""
    table = pd.concat(tables, ignore_index=True)
    how = {
        c: ("min" if c == "rai_min" else "max" if c == "rai_max" else "sum")
        for c in table.columns
        if c not in keys
    }
    grouped = table.groupby(keys, dropna=False, sort=False, observed=True)
    return grouped.agg(how).reset_index()
