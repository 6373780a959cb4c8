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
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupCounts

if TYPE_CHECKING:
    from collections.abc import Hashable

    from responsible_ai.inputs import AuditData
    from responsible_ai.policy.schema import DataRoles

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
    # A count longer than 2 s would draw DuckDB's progress bar on stdout, into the report.
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
    data: str | os.PathLike[str], roles: DataRoles, bys: list[list[str]]
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """Count every grouping of ``data`` inside DuckDB; the audit's data and its counts cache."""
    if roles.prediction is None:
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
            table = _count_table(con, files, kind, pattern, roles, sensitive, labels)
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
            "per-group counts only"
        ],
        source={
            "path": pattern,
            "sha256": hashed.result(),
            "columns": len(dict.fromkeys([*sensitive, *labels])),
            "files": len(files),
        },
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
) -> pd.DataFrame:
    """One scan: rows and summed weight per (sensitive values, prediction, target)."""
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
        select = ", ".join(_quote(c) for c in keys)
        query = (
            f"SELECT {select}, count(*) AS rai_rows, sum({weight}) AS rai_weight{checks} "
            f"FROM rai_source GROUP BY ALL"
        )
        table = con.execute(query).df()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0][:300]
        raise InputError(DUCKDB_FAILED.format(pattern=pattern, reason=reason)) from None
    check_cube(table, roles)
    return table
