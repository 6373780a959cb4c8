"""Prediction logs to per-window counts, never all rows in memory.

Two readers give the same :class:`~responsible_ai.monitor.windows.WindowCounts`: DuckDB (one scan
with ``GROUPING SETS``: the window is one more ``GROUP BY`` key, out of core) when it is installed,
and batches otherwise (pyarrow for Parquet, pandas chunks for CSV), whose counts are merged batch by
batch. ``N rows`` windows follow the order of the rows in the files (files in name order), so they
are always counted by batches.

Nothing from the user is interpreted as SQL: columns are quoted identifiers, bin edges are numbers
formatted here, file names are passed to DuckDB's readers as values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.monitor.windows import NO_LABEL, SCORE_BINS, WindowCounts

__all__ = ["BAD_TIMESTAMPS", "LogSpec", "count_frame", "count_logs", "file_stamp"]

MISSING = "(missing)"
#: Bytes hashed at each end of a file for its stamp (a Parquet file's footer, a CSV's last rows).
EDGE_BYTES = 1 << 16
BATCH_ROWS = 1 << 18
#: Day windows start on this Monday, so that ``7d`` windows are weeks from Monday.
ORIGIN = pd.Timestamp("1970-01-05")
BAD_TIMESTAMPS = (
    "timestamp column {column!r} has {count} value(s) that are not times (first: {first!r}); "
    "use ISO 8601 such as 2025-01-31T12:00:00, or set monitoring.timestamp"
)
MISSING_PREDICTION = "prediction column {column!r} has {count} missing value(s); drop those rows"
NO_DUCKDB_FOR = "{what} needs {column!r}, which is not in {where}"


@dataclass(frozen=True)
class LogSpec:
    """What to count in the logs: columns, window, the positive label, the features' bins."""

    timestamp: str
    window: tuple[str, int]
    sensitive: list[str]
    prediction: str
    positive_label: str
    target: str | None = None
    score: str | None = None
    numeric: dict[str, list[float]] = field(default_factory=dict)
    categorical: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        wanted = [
            self.timestamp,
            *self.sensitive,
            self.prediction,
            *([self.target] if self.target else []),
            *([self.score] if self.score else []),
            *self.numeric,
            *self.categorical,
        ]
        return list(dict.fromkeys(wanted))


def _text(values: pd.Series) -> pd.Series:
    """Values as the text DuckDB's ``CAST(... AS VARCHAR)`` gives; missing stays None.

    Text, integer and boolean columns (what logs hold) are converted column-wise; other types
    value by value (the same text, 30 times slower).
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        text = values.to_numpy(dtype=object)
        text[values.isna().to_numpy()] = None
    elif dtype == np.bool_:
        text = np.where(values.to_numpy(), "true", "false").astype(object)
    elif isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.integer):
        text = values.to_numpy().astype(str).astype(object)
    else:
        return _text_by_value(values)
    return pd.Series(text, index=values.index)  # the type .map infers: text, missing as NaN


def _text_by_value(values: pd.Series) -> pd.Series:
    """One value at a time: ``str`` of the Python value, booleans as DuckDB writes them."""

    def one(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        if isinstance(value, np.generic):
            value = value.item()
        return str(value)

    return values.astype(object).map(one)


def _window_of(frame: pd.DataFrame, spec: LogSpec, first_row: int) -> pd.Series:
    kind, size = spec.window
    if kind == "rows":
        index = (first_row + np.arange(len(frame))) // size
        return pd.Series([f"row {i * size:012d}" for i in index], index=frame.index)
    raw = frame[spec.timestamp]
    # ISO 8601 only, offsets honoured, naive times as UTC: what DuckDB reads the same way
    # ("03/01/2025" is March or January: refused by both readers).
    times = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    bad = times.isna()
    if bad.any():
        raise InputError(
            BAD_TIMESTAMPS.format(
                column=spec.timestamp, count=int(bad.sum()), first=str(raw[bad].iloc[0])
            )
        )
    naive = times.dt.tz_convert(None)
    step = pd.Timedelta(days=size)
    starts = ORIGIN + ((naive - ORIGIN) // step) * step
    return starts.dt.strftime("%Y-%m-%d")


def count_frame(frame: pd.DataFrame, spec: LogSpec, first_row: int = 0) -> WindowCounts:
    """The counts of one batch of rows (also of the reference, as one window).

    Raises
    ------
    InputError
        A timestamp that is not a time, or a missing prediction.
    """
    out = pd.DataFrame({"window": _window_of(frame, spec, first_row)})
    for column in spec.sensitive:
        out[column] = _text(frame[column]).fillna(MISSING)
    predicted = _text(frame[spec.prediction])
    if predicted.isna().any():
        count = int(predicted.isna().sum())
        raise InputError(MISSING_PREDICTION.format(column=spec.prediction, count=count))
    out["predicted"] = (predicted == spec.positive_label).to_numpy()
    if spec.target is not None:
        actual = _text(frame[spec.target])
        out["actual"] = np.where(
            actual.isna(), NO_LABEL, (actual == spec.positive_label).astype(np.int64)
        )
    else:
        out["actual"] = NO_LABEL
    out["rows"] = 1
    keys = ["window", *spec.sensitive, "predicted"]
    groups = out.groupby([*keys, "actual"], sort=False)["rows"].sum().reset_index()
    if spec.score is not None:
        score = pd.to_numeric(frame[spec.score], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(score)
        scored = out.loc[keep, keys].copy()
        scored["bin"] = np.clip(np.floor(score[keep] * SCORE_BINS), 0, SCORE_BINS - 1).astype(
            np.int64
        )
        scored["rows"] = 1
        scored["score_sum"] = score[keep]
        scores = scored.groupby([*keys, "bin"], sort=False)[["rows", "score_sum"]].sum()
        scores = scores.reset_index()
    else:
        scores = WindowCounts.empty(spec.sensitive).scores
    features = [_feature_counts(frame, out["window"], spec, name) for name in _features(spec)]
    counts = WindowCounts(
        list(spec.sensitive),
        groups,
        scores,
        pd.concat(features, ignore_index=True)
        if features
        else WindowCounts.empty(spec.sensitive).features,
        rows_total=len(frame),
    )
    return counts.normalised()


def _features(spec: LogSpec) -> list[str]:
    return [*spec.numeric, *spec.categorical]


def _feature_counts(
    frame: pd.DataFrame, window: pd.Series, spec: LogSpec, name: str
) -> pd.DataFrame:
    if name in spec.numeric:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(values)
        codes = np.searchsorted(np.asarray(spec.numeric[name]), values, side="left")
        bins = np.where(missing, MISSING, codes.astype(str))
        sums = np.where(missing, 0.0, values)
    else:
        bins = _text(frame[name]).fillna(MISSING).to_numpy(dtype=object)
        sums = np.zeros(len(frame))
    table = pd.DataFrame({"window": window.to_numpy(), "bin": bins, "rows": 1, "value_sum": sums})
    table = table.groupby(["window", "bin"], sort=False)[["rows", "value_sum"]].sum().reset_index()
    table.insert(1, "feature", name)
    return table


def count_logs(
    files: list[Path], kind: str, spec: LogSpec, *, first_row: int = 0, engine: str = "auto"
) -> WindowCounts:
    """Count every file of one format (``parquet``, ``csv``, ``tsv``).

    ``engine`` is ``auto`` (DuckDB when installed and the windows are by time), ``duckdb`` or
    ``batches``. ``auto`` never chooses by the logs' size: a monitor continued with ``--follow``
    keeps the reader it began with (the two read CSV text such as ``NA`` differently).
    """
    use_duckdb = engine == "duckdb" or (
        engine == "auto" and spec.window[0] == "days" and _has_duckdb()
    )
    if use_duckdb and spec.window[0] == "days":
        from responsible_ai.monitor.duckdb_windows import count_with_duckdb

        counts = count_with_duckdb(files, kind, spec)
    else:
        counts = WindowCounts.empty(spec.sensitive)
        row = first_row
        for batch in _batches(files, kind, spec):
            part = count_frame(batch, spec, row)
            row += len(batch)
            counts = counts.merge(part)
    from responsible_ai.engines.sources import files_sha256

    counts.files = {str(path): files_sha256([path]) for path in files}
    counts.stamps = {str(path): file_stamp(path) for path in files}
    return counts


def file_stamp(path: Path) -> list[Any]:
    """``[size, mtime_ns, sha256 of the first and last 64 KiB]``: what ``--follow`` compares
    to tell that an already counted file changed without reading all of it again.

    An append, a rewrite or a truncation changes the size or the modification time; an edit
    in place that keeps both (a copy over the file with its time restored) is still caught
    when it touches either end, which holds a Parquet file's footer (every row group's
    offsets and statistics) and a CSV's last rows. Only a same-size edit in the middle of a
    file whose time was put back goes unnoticed: ``--follow`` says so in its docs.
    """
    import hashlib

    info = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(EDGE_BYTES))
        if info.st_size > EDGE_BYTES:
            handle.seek(max(info.st_size - EDGE_BYTES, EDGE_BYTES))
            digest.update(handle.read(EDGE_BYTES))
    return [int(info.st_size), int(info.st_mtime_ns), digest.hexdigest()]


def _has_duckdb() -> bool:
    from responsible_ai._modules import module_exists

    return module_exists("duckdb")


def _batches(files: list[Path], kind: str, spec: LogSpec) -> Iterator[pd.DataFrame]:
    from responsible_ai.engines.cube import require_columns
    from responsible_ai.policy.schema import DataRoles

    roles = DataRoles(prediction=spec.prediction, target=spec.target, score=spec.score)
    for path in files:
        if kind == "parquet":
            import pyarrow.parquet as pq

            from responsible_ai.data_files import check_parquet

            present = list(check_parquet(path).names)
            _require(present, spec, roles, str(path), require_columns)
            for batch in pq.ParquetFile(path).iter_batches(
                batch_size=BATCH_ROWS, columns=spec.columns
            ):
                yield batch.to_pandas()
        else:
            sep = "\t" if kind == "tsv" else ","
            header = pd.read_csv(path, sep=sep, nrows=0, dtype=str)
            _require(list(header.columns), spec, roles, str(path), require_columns)
            yield from pd.read_csv(
                path, sep=sep, dtype=str, usecols=spec.columns, chunksize=BATCH_ROWS
            )


def _require(present: list[str], spec: LogSpec, roles: Any, where: str, check: Any) -> None:
    check(present, roles, spec.sensitive, where=where)
    for column in [spec.timestamp if spec.window[0] == "days" else None, *_features(spec)]:
        if column is not None and column not in present:
            raise InputError(f"column {column!r} is not in {where}")


def environment_engine() -> str:
    """``RAI_MONITOR_ENGINE`` (``duckdb`` / ``batches``), default ``auto``."""
    return os.environ.get("RAI_MONITOR_ENGINE", "auto")
