"""The score sums of the sql engine: :func:`~responsible_ai.engines.sums.sql_sums` in the
database's own SQL.

The portable sums of :mod:`responsible_ai.engines.sums` need three things the database spells:
its identifier quoting (SQLAlchemy's identifier preparer for the connection's dialect, never
quoting by hand), a cast to a double that gives NULL where a value is not a number, and a NaN
test. Only names reflected from the table reach :func:`sum_columns`; each is quoted as an
identifier, so a hostile column name stays a name.

PostgreSQL: numeric columns are cast to ``DOUBLE PRECISION``; a text column is cast only where
its text is a decimal number (a regular expression), else NULL, which the audit reports as not
numeric; ``NaN`` is a missing value, as in pandas. SQLite stores any value in any column (type
affinity): only integers and reals are numbers there, text in a ``REAL`` column is not one.
Constants are doubles (PostgreSQL would return ``1.0`` as an exact ``NUMERIC``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.engines.sums import SqlDialect, sql_bin_keys, sql_sums

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql.elements import Label

    from responsible_ai.fairness.score_sums import SumsNeeded

__all__ = ["dialect_of", "sum_columns", "typed_sums"]

#: Text PostgreSQL casts to a double: a decimal number, spaces around it allowed.
POSTGRESQL_NUMBER = (
    r"'^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$'"
)


def dialect_of(table: Table, dialect: Dialect) -> tuple[SqlDialect, str]:
    """The :class:`SqlDialect` of a reflected table on ``dialect``, and the SQL of a double 1."""
    from sqlalchemy import Boolean, Float, Integer, Numeric

    preparer = dialect.identifier_preparer
    # literal_column doubles '%' for drivers with "format" parameters; the preparer already did.
    doubled = dialect.paramstyle in ("format", "pyformat")

    def quote(name: str) -> str:
        quoted = str(preparer.quote_identifier(name))
        return quoted.replace("%%", "%") if doubled else quoted

    types = {quote(str(column.name)): column.type for column in table.columns}
    if dialect.name == "postgresql":

        def number(quoted: str) -> str:
            kind = types.get(quoted)
            if isinstance(kind, Boolean):
                return "CAST(NULL AS DOUBLE PRECISION)"
            if isinstance(kind, Integer | Numeric | Float):
                return f"CAST({quoted} AS DOUBLE PRECISION)"
            text = f"CAST({quoted} AS TEXT)"
            return (
                f"(CASE WHEN {text} ~ {POSTGRESQL_NUMBER} "
                f"THEN CAST({text} AS DOUBLE PRECISION) END)"
            )

        def is_nan(number: str) -> str:
            return f"COALESCE({number} = CAST('NaN' AS DOUBLE PRECISION), FALSE)"

        return SqlDialect(quote, number, is_nan), "CAST(1.0 AS DOUBLE PRECISION)"
    if dialect.name == "sqlite":

        def number(quoted: str) -> str:
            numeric = f"typeof({quoted}) IN ('integer', 'real')"
            return f"(CASE WHEN {numeric} THEN CAST({quoted} AS REAL) END)"

        # SQLite stores NaN as NULL: a missing value already.
        return SqlDialect(quote, number, lambda number: "0 = 1"), "1.0"

    def cast(quoted: str) -> str:  # another database: its own CAST, which may fail on text
        return f"CAST({quoted} AS DOUBLE PRECISION)"

    return SqlDialect(quote, cast, lambda n: f"({n} <> {n})"), "CAST(1.0 AS DOUBLE PRECISION)"


def sum_columns(
    table: Table, needed: SumsNeeded, weight: str | None, dialect: Dialect
) -> tuple[list[Label[Any]], list[Label[Any]]]:
    """The bin keys (group by their ``.element`` too) and the sums, as labelled SQL columns."""
    from sqlalchemy import literal_column

    spelled, one = dialect_of(table, dialect)
    weight_sql = one if weight is None else spelled.number(spelled.quote(weight))

    def labelled(items: list[str]) -> list[Label[Any]]:
        found: list[Label[Any]] = []
        for item in items:
            # The alias is ours (rai_...), the last " AS ": a quoted name may hold " AS " too.
            expression, _, alias = item.rpartition(" AS ")
            found.append(literal_column(expression).label(alias))
        return found

    return labelled(sql_bin_keys(needed, spelled)), labelled(sql_sums(needed, spelled, weight_sql))


def typed_sums(cube: pd.DataFrame, needed: SumsNeeded) -> pd.DataFrame:
    """The sums and bin keys as floats (a database may return decimals or None), counts as ints."""
    cube = cube.copy()
    counts = {needed.missing_alias(c) for c in needed.columns}
    counts |= {needed.text_alias(c) for c in needed.columns}
    floats = [raw.alias for raw in needed.raw_sums()]
    floats += [needed.bin_alias(b) for b in needed.bins]
    floats += ["rai_min", "rai_max"] if needed.score is not None else []
    for column in counts:
        cube[column] = cube[column].map(lambda v: 0 if v is None else int(v)).astype(np.int64)
    for column in floats:
        cube[column] = cube[column].map(lambda v: np.nan if v is None else float(v)).astype(float)
    return cube
