"""The DuckDB engine: every grouping's counts from one ``GROUP BY`` inside DuckDB.

DuckDB scans the Parquet or CSV files (one file, a folder, or a glob of many) out of core, under a
memory limit and spilling to a temporary folder, and returns one small table: the rows and summed
weights per combination of sensitive values, prediction and target. Everything after that (which
label is positive, missing sensitive values, the counts of each grouping) is computed from that
table with the same rules as the pandas engine, so both give the same counts.

Nothing from the user is interpreted as SQL: columns are quoted identifiers, files are passed to
DuckDB's readers as values, and DuckDB never installs or loads extensions (it stays offline).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.data_files import check_parquet
from responsible_ai.engines.counts import finish_pass
from responsible_ai.engines.cube import NOT_NUMERIC, check_cube, pass_from_cube, require_columns
from responsible_ai.engines.sources import BackgroundHash, data_sources
from responsible_ai.engines.sums import CSV_MISSING_TEXTS, SqlDialect, sql_bin_keys, sql_sums
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupCounts
from responsible_ai.fairness.score_sums import SumsNeeded, summed_only, sums_needed

if TYPE_CHECKING:
    from collections.abc import Hashable

    from responsible_ai.inputs import AuditData
    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = ["DEFAULT_MEMORY_LIMIT", "MEMORY_ENV", "count_with_duckdb", "data_sources"]


#: DuckDB's memory limit unless ``RAI_DUCKDB_MEMORY`` (e.g. ``4GB``) says otherwise.
DEFAULT_MEMORY_LIMIT = "2GB"
MEMORY_ENV = "RAI_DUCKDB_MEMORY"

NOT_INSTALLED = "the duckdb engine needs DuckDB: pip install 'responsible-ai[duckdb]'"
BAD_MEMORY = "{env}={value!r} is not a DuckDB memory size; use a number and a unit, e.g. 4GB"
DUCKDB_FAILED = "DuckDB could not read {pattern}: {reason}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _memory_limit() -> str:
    value = os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT).strip()
    number = value.rstrip("KMGTBkmgtib ")
    try:
        ok = float(number) > 0 and value[len(number) :].strip().upper() in (
            "KB",
            "MB",
            "GB",
            "TB",
            "KIB",
            "MIB",
            "GIB",
            "TIB",
        )
    except ValueError:
        ok = False
    if not ok:
        raise InputError(BAD_MEMORY.format(env=MEMORY_ENV, value=value))
    return value


def _connect(spill: Path) -> Any:
    try:
        import duckdb
    except ImportError:
        raise InputError(NOT_INSTALLED) from None
    con = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": _memory_limit(),
            "threads": max(1, os.cpu_count() or 1),
            "temp_directory": str(spill),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    # DuckDB draws a progress bar on stdout for scans over 2 s: it would corrupt a report
    # written to stdout (rai check --format json).
    con.execute("SET enable_progress_bar = false")
    return con


def _relation(con: Any, files: list[Path], kind: str) -> Any:
    names = [str(p) for p in files]
    if kind == "parquet":
        for path in files:
            check_parquet(path)
        return con.read_parquet(names)
    # Every value as text, as the pandas reader would first see it; types are inferred below on
    # the distinct values of the (small) counts table, by pandas' own CSV rules.
    return con.read_csv(names, header=True, all_varchar=True, sep="\t" if kind == "tsv" else ",")


def count_with_duckdb(
    data: str | os.PathLike[str],
    roles: DataRoles,
    bys: list[list[str]],
    policy: Policy | None = None,
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """Count every grouping of ``data`` inside DuckDB; the audit's data and its counts cache.

    With ``policy``, the sums its score and regression checks need are computed in the same
    scan (:mod:`responsible_ai.engines.sums`).
    """
    if roles.prediction is None and not summed_only(policy):
        raise InputError(
            "the duckdb engine needs a prediction column (data.prediction or --prediction): "
            "it counts the decisions stored with the data"
        )
    pattern = os.fspath(data)
    files, kind = data_sources(data)
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    labels = [c for c in (roles.prediction, roles.target) if c is not None]
    spill = Path(tempfile.mkdtemp(prefix="rai-duckdb-"))
    hashed = BackgroundHash(files)  # every byte read while DuckDB counts: the two overlap
    try:
        con = _connect(spill)
        try:
            table, needed = _count_table(
                con, files, kind, pattern, roles, sensitive, labels, policy
            )
        finally:
            con.close()
    except BaseException:
        hashed.stop()
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    memory = os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)
    counted = pass_from_cube(
        table,
        roles,
        bys,
        typed=kind == "parquet",
        notes=[
            f"counted by DuckDB over {len(files)} {kind} file(s) (memory limit {memory}): "
            "per-group counts only" + (" and score sums" if needed is not None else "")
        ],
        source={
            "path": pattern,
            "sha256": hashed.result(),
            "columns": len(dict.fromkeys([*sensitive, *labels])),
            "files": len(files),
        },
        needed=needed,
    )
    return finish_pass(counted, roles)


def _count_table(
    con: Any,
    files: list[Path],
    kind: str,
    pattern: str,
    roles: DataRoles,
    sensitive: list[str],
    labels: list[str],
    policy: Policy | None = None,
) -> tuple[pd.DataFrame, SumsNeeded | None]:
    """One scan: rows and summed weight per (sensitive values, prediction, target), with the
    score sums per score bin where the policy needs them."""
    import duckdb

    try:
        source = _relation(con, files, kind)
        present = list(source.columns)
        types = dict(zip(present, (str(t) for t in source.types), strict=True))
        require_columns(present, roles, sensitive, where=pattern)
        source.create_view("rai_source")
        keys = [*sensitive, *[c for c in labels if c not in sensitive]]
        weight = "1.0"
        checks = ""
        if roles.weight is not None:
            if types[roles.weight] == "BOOLEAN":
                raise InputError(NOT_NUMERIC.format(column=roles.weight))
            raw = _quote(roles.weight)
            weight = f"TRY_CAST({raw} AS DOUBLE)"
            # The weight's checks ride on the same scan: not numeric, missing, negative.
            checks = (
                f", count(*) FILTER (WHERE {raw} IS NOT NULL AND {weight} IS NULL) AS rai_bad"
                f", count(*) FILTER (WHERE {raw} IS NULL OR isnan({weight})) AS rai_gaps"
                f", count(*) FILTER (WHERE {weight} < 0) AS rai_negative"
            )
        needed = None if policy is None else sums_needed(policy, roles, present)
        select = ", ".join(_quote(c) for c in keys)
        if needed is not None:
            texts = CSV_MISSING_TEXTS if kind != "parquet" else ()
            dialect = SqlDialect(_quote, lambda c: f"TRY_CAST({c} AS DOUBLE)", _is_nan, texts)
            summed = [*sql_bin_keys(needed, dialect), *sql_sums(needed, dialect, weight)]
            checks += "".join(f", {item}" for item in summed)
        query = (
            f"SELECT {select}, count(*) AS rai_rows, sum({weight}) AS rai_weight{checks} "
            f"FROM rai_source GROUP BY ALL"
        )
        table = con.execute(query).df()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0][:300]
        raise InputError(DUCKDB_FAILED.format(pattern=pattern, reason=reason)) from None
    check_cube(table, roles)
    return table, needed


def _is_nan(number: str) -> str:
    return f"coalesce(isnan({number}), false)"
