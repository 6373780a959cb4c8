"""The sql engine: the count table from one ``GROUP BY`` inside a database, via SQLAlchemy Core.

``rai check TABLE --engine sql --url-file db.url`` and ``audit("decisions", policy,
engine="sql", url=...)`` send one query to the database (PostgreSQL, SQLite, or any database
SQLAlchemy has a dialect for): rows and summed weights per combination of sensitive values,
prediction and target. A policy's score and regression checks add their sums per group and
score bin to the same query (:mod:`responsible_ai.engines.sql_sums`). Only that small table
comes back; everything after it is :mod:`responsible_ai.engines.cube`, as for DuckDB and Spark,
so the report equals the pandas engine's bar the engine note.

DATA is the name of a table or view (``schema.table`` for another schema), never SQL: to audit
a query, create a view of it. The table and its columns are looked up in the database's own
catalogue (reflection) and the query is built from those reflected objects, so every name is an
identifier quoted by the dialect's preparer and nothing the user typed is pasted into SQL.
PostgreSQL runs the query in a read-only transaction; SQLite files are opened read-only.

The rows stay in the database, so the report cannot hash them: ``inputs.data.sha256`` is the
SHA-256 of the table's name and the per-group counts table (``inputs.data.sha256_of`` says so),
which changes whenever the counts the audit used change.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.engines.counts import finish_pass
from responsible_ai.engines.cube import NOT_NUMERIC, check_cube, pass_from_cube, require_columns
from responsible_ai.engines.sql_database import connect, find_table, open_database, reason_of
from responsible_ai.engines.sql_sums import sum_columns, typed_sums
from responsible_ai.errors import InputError
from responsible_ai.fairness.score_sums import summed_only, sums_needed

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from responsible_ai.engines.sql_database import Database
    from responsible_ai.fairness.groups import GroupCounts
    from responsible_ai.fairness.score_sums import SumsNeeded
    from responsible_ai.inputs import AuditData
    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = ["HASH_OF", "count_with_sql", "counts_sha256"]

#: What ``inputs.data.sha256`` of a database table is the hash of.
HASH_OF = (
    "the table name and its per-group counts and score sums (weights and sums to 12 "
    "significant digits)"
)

NEEDS_PREDICTION = (
    "the sql engine needs a prediction column (data.prediction or --prediction): "
    "it counts the decisions stored in the table"
)
NO_PERMISSION = (
    "the database at {url} refused to read {table!r}: {reason}; grant SELECT on it to the "
    "URL's user"
)
#: Most combinations of (sensitive values, prediction, target) fetched: more means a "group"
#: column is an identifier, and its counts table would be as large as the rows.
MAX_COMBINATIONS = 1_000_000
TOO_MANY = (
    "table {table!r} has more than {limit:,} combinations of {keys}: a sensitive column with "
    "that many values identifies rows rather than groups; group it (a view with CASE) first"
)
EMPTY = "table {table!r} at {url} has no rows to audit"
QUERY_FAILED = "the database at {url} could not count {table!r}: {reason}"


def count_with_sql(
    table: str,
    roles: DataRoles,
    bys: list[list[str]],
    url: Any = None,
    policy: Policy | None = None,
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """Count every grouping of database table ``table`` in the database; the audit's data and
    its counts cache.

    Parameters
    ----------
    table : str
        A table or view of the database (``schema.table`` for another schema).
    roles : DataRoles
        The columns to count; ``roles.prediction`` must be a column of the table unless every
        check of ``policy`` is a score or regression metric.
    bys : list of list of str
        The groupings the checks use.
    url : str, sqlalchemy.engine.URL or sqlalchemy.engine.Engine, optional
        The database; default ``$RAI_SQL_URL``.
    policy : Policy, optional
        With it, the sums its score and regression checks need are computed in the same query
        (:mod:`responsible_ai.engines.sql_sums`).

    Raises
    ------
    InputError
        No prediction column, an unknown table or column, a database that cannot be reached or
        refuses the query (the URL's password masked), or data the audit refuses.
    """
    if roles.prediction is None and not summed_only(policy):
        raise InputError(NEEDS_PREDICTION)
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    labels = [c for c in (roles.prediction, roles.target) if c is not None]
    keys = list(dict.fromkeys([*sensitive, *labels]))
    database = open_database(url)
    try:
        with connect(database) as connection:
            try:
                schema, name = find_table(connection, table, database.masked)
            except InputError:
                raise
            except Exception as error:  # the catalogue could not be read
                reason = reason_of(error, database.secret, database.masked)
                raise InputError(
                    QUERY_FAILED.format(url=database.masked, table=table, reason=reason)
                ) from None
            cube, needed = _count_table(
                connection, schema, name, roles, sensitive, keys, database, policy
            )
    finally:
        database.close()
    qualified = name if schema is None else f"{schema}.{name}"
    if cube.empty:
        raise InputError(EMPTY.format(table=qualified, url=database.masked))
    check_cube(cube, roles)
    counted = pass_from_cube(
        cube,
        roles,
        bys,
        typed=True,
        notes=[
            f"counted by the database ({database.dialect}) in one GROUP BY over table "
            f"{qualified!r}: per-group counts only"
            + (" and score sums" if needed is not None else "")
        ],
        source={
            "path": None,
            "name": f"table {qualified} at {database.masked}",
            "table": qualified,
            "database": database.masked,
            "sha256": counts_sha256(qualified, cube, *hashed(keys, needed)),
            "sha256_of": HASH_OF,
            "columns": len(
                dict.fromkeys(
                    [
                        *keys,
                        *([roles.weight] if roles.weight else []),
                        *(needed.columns if needed else []),
                    ]
                )
            ),
        },
        needed=needed,
    )
    return finish_pass(counted, roles)


def _reflect(connection: Connection, schema: str | None, name: str, database: Database) -> Table:
    from sqlalchemy import MetaData, Table

    try:
        return Table(name, MetaData(), schema=schema, autoload_with=connection)
    except Exception as error:
        reason = reason_of(error, database.secret, database.masked)
        raise InputError(
            QUERY_FAILED.format(url=database.masked, table=name, reason=reason)
        ) from None


def _count_table(
    connection: Connection,
    schema: str | None,
    name: str,
    roles: DataRoles,
    sensitive: list[str],
    keys: list[str],
    database: Database,
    policy: Policy | None = None,
) -> tuple[pd.DataFrame, SumsNeeded | None]:
    """One query: rows and summed weight per (sensitive values, prediction, target), with the
    score sums per score bin where the policy needs them."""
    from sqlalchemy import Boolean, Float, Integer, Numeric, case, func, select

    shown = database.masked
    reflected = _reflect(connection, schema, name, database)
    present = [str(column.name) for column in reflected.columns]
    qualified = name if schema is None else f"{schema}.{name}"
    require_columns(present, roles, sensitive, where=f"table {qualified!r}")
    # Reflected Column objects only: the dialect quotes them; the labels are our own names.
    grouped = [reflected.c[column] for column in keys]
    columns: list[Any] = [column.label(f"rai_key_{i}") for i, column in enumerate(grouped)]
    columns.append(func.count().label("rai_rows"))
    if roles.weight is not None:
        raw = reflected.c[roles.weight]
        numeric = isinstance(raw.type, Integer | Numeric | Float)
        sqlite = database.dialect == "sqlite"  # SQLite stores any value in any column
        if isinstance(raw.type, Boolean) or not (numeric or sqlite):
            raise InputError(NOT_NUMERIC.format(column=roles.weight))
        # No cast: a numeric column sums as it is (exactly, for integers and decimals); SQLite's
        # total() is a float that never overflows.
        columns += [
            (func.total(raw) if sqlite else func.sum(raw)).label("rai_weight"),
            func.count(case((raw.is_(None), 1))).label("rai_gaps"),
            func.count(case((raw < 0, 1))).label("rai_negative"),
        ]
        if sqlite:  # elsewhere the column's numeric type is the check
            text = func.typeof(raw).in_(["text", "blob"])
            columns.append(func.count(case((text, 1))).label("rai_bad"))
    needed = None if policy is None else sums_needed(policy, roles, present)
    bins: list[Any] = []
    if needed is not None:
        bins, summed = sum_columns(reflected, needed, roles.weight, connection.dialect)
        columns += [*bins, *summed]
    query = select(*columns).select_from(reflected).group_by(*grouped, *(b.element for b in bins))
    try:
        result = connection.execute(query)
        rows = result.fetchmany(MAX_COMBINATIONS + 1)
        names = list(result.keys())
        result.close()
    except Exception as error:
        reason = reason_of(error, database.secret, shown)
        permission = "permission denied" in reason.lower() or "privilege" in reason.lower()
        message = NO_PERMISSION if permission else QUERY_FAILED
        raise InputError(message.format(url=shown, table=qualified, reason=reason)) from None
    if len(rows) > MAX_COMBINATIONS:
        raise InputError(TOO_MANY.format(table=qualified, limit=MAX_COMBINATIONS, keys=keys))
    cube = pd.DataFrame([tuple(row) for row in rows], columns=names, dtype=object)
    cube = cube.rename(columns={f"rai_key_{i}": column for i, column in enumerate(keys)})
    for column in keys:
        cube[column] = cube[column].map(_plain)
    cube["rai_rows"] = cube["rai_rows"].astype("int64")
    if roles.weight is None:
        cube["rai_weight"] = cube["rai_rows"].astype(float)
    else:
        cube["rai_weight"] = cube["rai_weight"].map(lambda v: math.nan if v is None else float(v))
        if "rai_bad" not in cube:
            cube["rai_bad"] = 0
        # PostgreSQL keeps NaN in a double column (NaN = NaN there): a NaN sum is a missing weight.
        cube["rai_gaps"] = cube["rai_gaps"].astype("int64") + cube["rai_weight"].isna()
    if needed is not None:
        cube = typed_sums(cube, needed)
    return cube, needed


def hashed(keys: list[str], needed: SumsNeeded | None) -> tuple[list[str], list[str]]:
    """The key columns and the summed columns of the count table that its hash covers."""
    if needed is None:
        return keys, []
    bins = [needed.bin_alias(b) for b in needed.bins]
    sums = [raw.alias for raw in needed.raw_sums()]
    sums += [a for c in needed.columns for a in (needed.missing_alias(c), needed.text_alias(c))]
    return [*keys, *bins], [*sums, *(["rai_min", "rai_max"] if needed.score else [])]


def _plain(value: Any) -> Any:
    """A database's exact decimal as the number pandas would hold: int when whole, else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def counts_sha256(
    table: str, cube: pd.DataFrame, keys: list[str], sums: list[str] | None = None
) -> str:
    """SHA-256 of the table name and its count table, independent of the rows' order.

    Each row is its key values (with their types), its row count, its summed weight and then
    its ``sums`` columns (the score sums), each to 12 significant digits: a database may add
    the values in another order from run to run.
    """
    sums = sums or []
    columns = [*keys, "rai_rows", "rai_weight", *sums]
    lines = sorted(
        json.dumps(
            [
                [[type(v).__name__, str(v)] for v in row[: len(keys)]],
                int(row[len(keys)]),
                *(f"{float(v):.12g}" for v in row[len(keys) + 1 :]),
            ]
        )
        for row in cube[columns].itertuples(index=False, name=None)
    )
    header = {"table": table, "keys": keys, **({"sums": sums} if sums else {})}
    digest = hashlib.sha256(json.dumps(header).encode())
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()
