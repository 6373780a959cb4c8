"""Per-window counts from one DuckDB scan: ``GROUPING SETS`` over the window and the keys.

One query counts the groups table, the score bins and every feature's bins: each is one grouping
set, told apart by ``GROUPING()``. Values are cast to text as the batch reader renders them, so
that both readers give the same counts.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from responsible_ai.engines.sums import CSV_MISSING_TEXTS
from responsible_ai.errors import InputError
from responsible_ai.monitor.reading import BAD_TIMESTAMPS, MISSING, MISSING_PREDICTION, LogSpec
from responsible_ai.monitor.windows import NO_LABEL, SCORE_BINS, WindowCounts

__all__ = ["count_with_duckdb"]

DUCKDB_FAILED = "DuckDB could not read {where}: {reason}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(column: str) -> str:
    return f"CAST({_quote(column)} AS VARCHAR)"


def _bin_search(value: str, edges: list[float], low: int, high: int) -> str:
    """SQL for ``searchsorted(edges, value, side='left')`` restricted to bins low..high."""
    if low == high:
        return str(low)
    middle = (low + high) // 2
    edge = repr(float(edges[middle]))
    return (
        f"CASE WHEN {value} <= {edge} THEN {_bin_search(value, edges, low, middle)} "
        f"ELSE {_bin_search(value, edges, middle + 1, high)} END"
    )


def count_with_duckdb(files: list[Path], kind: str, spec: LogSpec) -> WindowCounts:
    """Count ``files`` (one format) in one DuckDB scan; day windows only."""
    import duckdb

    from responsible_ai.engines.duckdb_engine import _connect, _relation

    where = str(files[0]) if len(files) == 1 else f"{len(files)} {kind} files"
    spill = Path(tempfile.mkdtemp(prefix="rai-monitor-"))
    try:
        con = _connect(spill)
        try:
            source = _relation(con, files, kind)
            present = list(source.columns)
            for column in spec.columns:
                if column not in present:
                    raise InputError(f"column {column!r} is not in {where}")
            # Times as UTC whatever this machine's zone (a naive time is read as UTC, an offset
            # honoured), as the batch reader's pandas.to_datetime(utc=True) reads them.
            con.execute("SET TimeZone = 'UTC'")
            source.create_view("rai_source")
            con.execute(_logs_view(spec, kind))
            table = con.execute(_query(spec)).df()
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0][:300]
            raise InputError(DUCKDB_FAILED.format(where=where, reason=reason)) from None
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return _split(table, spec)


def _logs_view(spec: LogSpec, kind: str) -> str:
    """The view ``rai_logs``: the columns the monitor reads; in CSV, the texts pandas reads as
    missing (``NA``, ``null``, ``nan``, ...) are missing here too, so both readers count alike."""
    if kind == "parquet":
        return "CREATE VIEW rai_logs AS SELECT * FROM rai_source"
    missing = ", ".join("'" + text.replace("'", "''") + "'" for text in CSV_MISSING_TEXTS)
    columns = [
        f"CASE WHEN {_quote(c)} IN ({missing}) THEN NULL ELSE {_quote(c)} END AS {_quote(c)}"
        for c in spec.columns
    ]
    return f"CREATE VIEW rai_logs AS SELECT {', '.join(columns)} FROM rai_source"


def _query(spec: LogSpec) -> str:
    _, days = spec.window
    ts = f"CAST(TRY_CAST({_quote(spec.timestamp)} AS TIMESTAMPTZ) AS TIMESTAMP)"
    label = "'" + spec.positive_label.replace("'", "''") + "'"
    select = [
        f"CASE WHEN {ts} IS NULL THEN NULL ELSE strftime(time_bucket(INTERVAL '{days} days', "
        f"{ts}, TIMESTAMP '1970-01-05'), '%Y-%m-%d') END AS rai_window",
        *[f"COALESCE({_text(c)}, '{MISSING}') AS s{i}" for i, c in enumerate(spec.sensitive)],
        f"{_text(spec.prediction)} = {label} AS rai_predicted",
        f"{_text(spec.prediction)} IS NULL AS rai_no_prediction",
        (
            f"CASE WHEN {_quote(spec.target)} IS NULL THEN {NO_LABEL} "
            f"WHEN {_text(spec.target)} = {label} THEN 1 ELSE 0 END AS rai_actual"
            if spec.target
            else f"{NO_LABEL} AS rai_actual"
        ),
    ]
    score = f"TRY_CAST({_quote(spec.score)} AS DOUBLE)" if spec.score else "NULL::DOUBLE"
    select.append(f"{score} AS rai_score")
    select.append(
        f"CASE WHEN {score} IS NULL OR isnan({score}) THEN NULL "
        f"ELSE LEAST(GREATEST(CAST(floor({score} * {SCORE_BINS}) AS BIGINT), 0), "
        f"{SCORE_BINS - 1}) END AS rai_bin"
    )
    features = [*spec.numeric, *spec.categorical]
    typed = ["*"]
    for i, name in enumerate(features):
        if name in spec.numeric:
            typed.append(f"TRY_CAST({_quote(name)} AS DOUBLE) AS rai_typed{i}")
            value = f"rai_typed{i}"
            edges = spec.numeric[name]
            search = _bin_search(value, edges, 0, len(edges)) if edges else "0"
            select.append(
                f"CASE WHEN {value} IS NULL OR isnan({value}) THEN '{MISSING}' ELSE "
                f"CAST({search} AS VARCHAR) END AS f{i}"
            )
            select.append(
                f"CASE WHEN {value} IS NULL OR isnan({value}) THEN 0.0 ELSE {value} END AS v{i}"
            )
        else:
            select.append(f"COALESCE({_text(name)}, '{MISSING}') AS f{i}")
            select.append(f"0.0 AS v{i}")
    keys = ["rai_window", *[f"s{i}" for i in range(len(spec.sensitive))], "rai_predicted"]
    sets = [
        f"({', '.join([*keys, 'rai_actual'])})",
        f"({', '.join([*keys, 'rai_bin'])})",
        *[f"(rai_window, f{i})" for i in range(len(features))],
        "(rai_no_prediction)",
    ]
    grouped = [*keys, "rai_actual", "rai_bin", *[f"f{i}" for i in range(len(features))]]
    aggregates = [
        "count(*) AS rai_rows",
        "sum(rai_score) AS rai_score_sum",
        *[f"sum(v{i}) AS rai_value_sum{i}" for i in range(len(features))],
        *[f"GROUPING({c}) AS g_{c}" for c in ["rai_actual", "rai_bin", "rai_no_prediction"]],
        *[f"GROUPING(f{i}) AS g_f{i}" for i in range(len(features))],
    ]
    return (
        f"SELECT {', '.join([*grouped, 'rai_no_prediction', *aggregates])} FROM "
        f"(SELECT {', '.join(select)} FROM (SELECT {', '.join(typed)} FROM rai_logs)) "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )


def _split(table: pd.DataFrame, spec: LogSpec) -> WindowCounts:
    missing_prediction = table[(table["g_rai_no_prediction"] == 0) & table["rai_no_prediction"]]
    if len(missing_prediction):
        count = int(missing_prediction["rai_rows"].sum())
        raise InputError(MISSING_PREDICTION.format(column=spec.prediction, count=count))
    table = table[table["g_rai_no_prediction"] == 1]
    if table["rai_window"].isna().any():
        count = int(
            table.loc[table["rai_window"].isna() & (table["g_rai_actual"] == 0)].rai_rows.sum()
        )
        raise InputError(
            BAD_TIMESTAMPS.format(column=spec.timestamp, count=count, first="(see the logs)")
        )
    names = {f"s{i}": c for i, c in enumerate(spec.sensitive)}
    names.update({"rai_window": "window", "rai_predicted": "predicted", "rai_rows": "rows"})
    keys = ["window", *spec.sensitive, "predicted"]
    renamed = table.rename(columns=names)
    groups = renamed[renamed["g_rai_actual"] == 0][[*keys, "rai_actual", "rows"]]
    groups = groups.rename(columns={"rai_actual": "actual"})
    groups["actual"] = groups["actual"].astype(np.int64)
    groups["predicted"] = groups["predicted"].astype(bool)
    scored = renamed[(renamed["g_rai_bin"] == 0) & renamed["rai_bin"].notna()]
    scores = scored[[*keys, "rai_bin", "rows", "rai_score_sum"]].rename(
        columns={"rai_bin": "bin", "rai_score_sum": "score_sum"}
    )
    scores["bin"] = scores["bin"].astype(np.int64)
    scores["predicted"] = scores["predicted"].astype(bool)
    parts = []
    for i, name in enumerate([*spec.numeric, *spec.categorical]):
        part = renamed[renamed[f"g_f{i}"] == 0][["window", f"f{i}", "rows", f"rai_value_sum{i}"]]
        part = part.rename(columns={f"f{i}": "bin", f"rai_value_sum{i}": "value_sum"})
        part.insert(1, "feature", name)
        parts.append(part)
    features = (
        pd.concat(parts, ignore_index=True)
        if parts
        else WindowCounts.empty(spec.sensitive).features
    )
    counts = WindowCounts(
        list(spec.sensitive),
        groups.reset_index(drop=True),
        scores.reset_index(drop=True),
        features,
        rows_total=int(groups["rows"].sum()),
    )
    return counts.normalised()
