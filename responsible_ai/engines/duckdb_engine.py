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

import glob
import hashlib
import io
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.data_files import TABLE_SUFFIXES, check_data_file, check_parquet
from responsible_ai.engines.counts import MAX_LABELS, CountsPass, finish_pass
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupCounts, group_index
from responsible_ai.inputs import MISSING_GROUP

if TYPE_CHECKING:
    from collections.abc import Hashable

    from responsible_ai.inputs import AuditData
    from responsible_ai.policy.schema import DataRoles

__all__ = ["DEFAULT_MEMORY_LIMIT", "MEMORY_ENV", "count_with_duckdb", "data_sources"]

#: DuckDB's memory limit unless ``RAI_DUCKDB_MEMORY`` (e.g. ``4GB``) says otherwise.
DEFAULT_MEMORY_LIMIT = "2GB"
MEMORY_ENV = "RAI_DUCKDB_MEMORY"
MAX_FILES = 100_000

NOT_INSTALLED = "the duckdb engine needs DuckDB: pip install 'responsible-ai[duckdb]'"
NO_FILES = "no data files match {pattern}: give a CSV/Parquet file, a folder of them, or a glob"
MIXED_KINDS = (
    "{pattern} mixes {kinds} files: the duckdb engine reads one format at a time; "
    "narrow the glob (for example {pattern_hint})"
)
MISSING_COLUMN = "{role} column {column!r} is not in {pattern}{hint}"
MISSING_LABEL = "{role} column {column!r} has missing value(s); drop or fill those rows"
NOT_NUMERIC = "weight column {column!r} must be numeric"
NEGATIVE_WEIGHT = "weight column {column!r} has negative values"
BAD_MEMORY = "{env}={value!r} is not a DuckDB memory size; use a number and a unit, e.g. 4GB"
DUCKDB_FAILED = "DuckDB could not read {pattern}: {reason}"

_GLOB_CHARS = frozenset("*?[")


def data_sources(data: str | os.PathLike[str]) -> tuple[list[Path], str]:
    """The data files behind ``data`` (a file, a folder, or a glob) and their format.

    Raises
    ------
    InputError
        Nothing matches, a match is not a regular non-empty file, or the formats are mixed.
    """
    text = os.fspath(data)
    if any(c in text for c in _GLOB_CHARS):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if not Path(p).is_dir())
    elif Path(text).is_dir():
        found = sorted(
            p for p in Path(text).rglob("*") if p.suffix.lower() in TABLE_SUFFIXES and p.is_file()
        )
    else:
        found = [Path(text)]
    if not found:
        raise InputError(NO_FILES.format(pattern=text))
    if len(found) > MAX_FILES:
        raise InputError(f"{text} matches {len(found)} files; at most {MAX_FILES} are read")
    kinds = {TABLE_SUFFIXES.get(p.suffix.lower()) for p in found}
    for path in found:
        check_data_file(path)
    if None in kinds:
        odd = next(p for p in found if TABLE_SUFFIXES.get(p.suffix.lower()) is None)
        raise InputError(f"{odd} is not a CSV, TSV or Parquet file (by its suffix)")
    if len(kinds) > 1:
        named = " and ".join(sorted(str(k) for k in kinds))
        hint = str(Path(text) / "*.parquet") if Path(text).is_dir() else "*.parquet"
        raise InputError(MIXED_KINDS.format(pattern=text, kinds=named, pattern_hint=hint))
    return found, str(kinds.pop())


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
    return duckdb.connect(
        ":memory:",
        config={
            "memory_limit": _memory_limit(),
            "threads": max(1, os.cpu_count() or 1),
            "temp_directory": str(spill),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )


def _relation(con: Any, files: list[Path], kind: str) -> Any:
    names = [str(p) for p in files]
    if kind == "parquet":
        for path in files:
            check_parquet(path)
        return con.read_parquet(names)
    # Every value as text, as the pandas reader would first see it; types are inferred below on
    # the distinct values of the (small) counts table, by pandas' own CSV rules.
    return con.read_csv(names, header=True, all_varchar=True, sep="\t" if kind == "tsv" else ",")


def _infer_like_pandas(values: pd.Series) -> pd.Series:
    """Text values typed as ``pandas.read_csv`` types that column (from its distinct values)."""
    distinct = pd.unique(values.dropna())
    if len(distinct) == 0:
        return values
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
    return values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype(object)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


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
    try:
        con = _connect(spill)
        try:
            table, scanned = _count_table(con, files, kind, pattern, roles, sensitive, labels)
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    if kind != "parquet":
        for column in [*sensitive, *labels]:
            table[column] = _infer_like_pandas(table[column])
    seen = {c: {v for v in table[c] if not _missing(v)} for c in labels}
    for column in labels:
        if len(seen[column]) > MAX_LABELS:
            seen[column] = set(sorted(seen[column], key=str)[:MAX_LABELS])
    table, dropped, missing_groups = _resolve_missing(table, sensitive, roles.missing_sensitive)
    label = 1 if roles.positive_label is None else roles.positive_label
    parts = {tuple(by): _group_counts(table, by, roles, label) for by in bys}
    memory = os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)
    counted = CountsPass(
        parts=parts,
        seen=seen,
        rows=scanned - dropped,
        dropped=dropped,
        missing_groups=missing_groups,
        notes=[
            f"counted by DuckDB over {len(files)} {kind} file(s) (memory limit {memory}): "
            "per-group counts only"
        ],
        source={
            "path": pattern,
            "sha256": _files_sha256(files),
            "columns": len(dict.fromkeys([*sensitive, *labels])),
            "files": len(files),
        },
        columns=list(
            dict.fromkeys([*sensitive, *labels, *([roles.weight] if roles.weight else [])])
        ),
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
) -> tuple[pd.DataFrame, int]:
    """One scan: rows and summed weight per (sensitive values, prediction, target)."""
    import difflib

    import duckdb

    try:
        source = _relation(con, files, kind)
        present = list(source.columns)
        types = dict(zip(present, (str(t) for t in source.types), strict=True))
        wanted = [("sensitive", c) for c in sensitive] + [
            (role, getattr(roles, role))
            for role in ("target", "prediction", "weight")
            if getattr(roles, role) is not None
        ]
        for role, column in wanted:
            if column not in present:
                close = difflib.get_close_matches(column, present, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InputError(
                    MISSING_COLUMN.format(role=role, column=column, pattern=pattern, hint=hint)
                )
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
    for column in keys:
        table[column] = (
            table[column].astype(object).map(lambda v: v.item() if isinstance(v, np.generic) else v)
        )
    if roles.weight is not None:
        if table["rai_bad"].sum():
            raise InputError(NOT_NUMERIC.format(column=roles.weight))
        if table["rai_gaps"].sum():
            raise InputError(MISSING_LABEL.format(role="weight", column=roles.weight))
        if table["rai_negative"].sum():
            raise InputError(NEGATIVE_WEIGHT.format(column=roles.weight))
    for column in labels:  # a missing label is a group key of its own (NULL, or NaN)
        if table[column].map(_missing).any():
            role = "prediction" if column == roles.prediction else "target"
            raise InputError(MISSING_LABEL.format(role=role, column=column))
    return table, int(table["rai_rows"].sum())


def _resolve_missing(
    table: pd.DataFrame, sensitive: Sequence[str], policy: str
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Missing sensitive values grouped or dropped, column by column as the pandas engine does."""
    dropped = 0
    counted: dict[str, int] = {}
    for column in sensitive:
        missing = table[column].map(_missing).to_numpy(dtype=bool)
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
    assert roles.prediction is not None
    index = group_index(table, by)
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


def _files_sha256(files: list[Path]) -> str:
    """One file: its SHA-256. Several: the SHA-256 of their names and hashes, in path order."""
    from responsible_ai.hashing import sha256_file

    if len(files) == 1:
        return sha256_file(files[0])
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()
