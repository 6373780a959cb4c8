"""Prediction logs to per-window counts, never all rows in memory.

Two readers give the same :class:`~responsible_ai.monitor.windows.WindowCounts`: DuckDB (one scan
with ``GROUPING SETS``: the window is one more ``GROUP BY`` key, out of core) for large logs when it
is installed, and batches otherwise (pyarrow for Parquet, pandas chunks for CSV), each counted in
NumPy (:mod:`~responsible_ai.monitor.grouping`) and merged batch by batch. ``N rows`` windows
follow the order of the rows in the files (files in name order), so they are always counted by
batches.

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
from responsible_ai.monitor.grouping import Coded, coded, coded_text, count_by
from responsible_ai.monitor.windows import NO_LABEL, SCORE_BINS, WindowCounts

__all__ = ["BAD_TIMESTAMPS", "BATCHES_UP_TO", "LogSpec", "count_frame", "count_logs", "file_stamp"]

MISSING = "(missing)"
#: Bytes hashed at each end of a file for its stamp (a Parquet file's footer, a CSV's last rows).
EDGE_BYTES = 1 << 16
BATCH_ROWS = 1 << 18
#: ``auto`` counts logs up to this size in batches (faster than DuckDB's start on a day of logs).
BATCHES_UP_TO = 16 << 20
#: Day windows start on this Monday, so that ``7d`` windows are weeks from Monday.
ORIGIN = pd.Timestamp("1970-01-05")
BAD_TIMESTAMPS = (
    "timestamp column {column!r} has {count} value(s) that are not times (first: {first!r}); "
    "use ISO 8601 such as 2025-01-31T12:00:00, or set monitoring.timestamp"
)
INFINITE_SCORES = "score column {column!r} has {count} infinite value(s); scores are in [0, 1]"
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


def _windows(frame: pd.DataFrame, spec: LogSpec, first_row: int) -> Coded:
    """Each row's window, coded (a window's name is formatted once, not once per row)."""
    kind, size = spec.window
    if kind == "rows":
        index = coded((first_row + np.arange(len(frame), dtype=np.int64)) // size)
        names = np.array([f"row {i * size:012d}" for i in index.values.tolist()], dtype=object)
        return Coded(index.codes, names)
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
    steps = coded(((naive - ORIGIN) // step).to_numpy(dtype=np.int64))
    starts = ORIGIN + pd.to_timedelta(steps.values * size, unit="D")
    return Coded(steps.codes, np.asarray(starts.strftime("%Y-%m-%d"), dtype=object))


def count_frame(frame: pd.DataFrame, spec: LogSpec, first_row: int = 0) -> WindowCounts:
    """The counts of one batch of rows (also of the reference, as one window).

    Raises
    ------
    InputError
        A timestamp that is not a time, or a missing prediction.
    """
    window = _windows(frame, spec, first_row)
    keys = {"window": window}
    for column in spec.sensitive:
        keys[column] = coded_text(frame[column], _text, MISSING)[0]
    predicted, missing = coded_text(frame[spec.prediction], _text, None)
    if missing:
        raise InputError(MISSING_PREDICTION.format(column=spec.prediction, count=missing))
    keys["predicted"] = predicted.by_value(predicted.values == spec.positive_label)
    if spec.target is not None:
        actual = coded_text(frame[spec.target], _text, None)[0]
        labels = np.array(
            [NO_LABEL if pd.isna(v) else int(v == spec.positive_label) for v in actual.values],
            dtype=np.int64,
        )
        label = actual.by_value(labels)
    else:
        label = Coded(np.zeros(len(frame), dtype=np.int64), np.array([NO_LABEL], dtype=np.int64))
    names = list(keys)
    groups = count_by({**keys, "actual": label}, {}, [*names, "actual", "rows"])
    if spec.score is not None:
        score = pd.to_numeric(frame[spec.score], errors="coerce").to_numpy(dtype=float)
        if np.isinf(score).any():  # DuckDB refuses them too (its score bin is an integer)
            count = int(np.isinf(score).sum())
            raise InputError(INFINITE_SCORES.format(column=spec.score, count=count))
        keep = ~np.isnan(score)
        kept = {name: key.where(keep) for name, key in keys.items()}
        bins = np.clip(np.floor(score[keep] * SCORE_BINS), 0, SCORE_BINS - 1).astype(np.int64)
        kept["bin"] = Coded(bins, np.arange(SCORE_BINS, dtype=np.int64))
        scores = count_by(kept, {"score_sum": score[keep]}, [*names, "bin", "rows", "score_sum"])
    else:
        scores = WindowCounts.empty(spec.sensitive).scores
    features = [_feature_counts(frame, window, spec, name) for name in _features(spec)]
    counts = WindowCounts(
        list(spec.sensitive),
        groups,
        scores,
        pd.concat(features, ignore_index=True).sort_values(
            ["window", "feature", "bin"], kind="stable", ignore_index=True
        )
        if features
        else WindowCounts.empty(spec.sensitive).features,
        rows_total=len(frame),
    )
    return counts


def _features(spec: LogSpec) -> list[str]:
    return [*spec.numeric, *spec.categorical]


def _feature_counts(frame: pd.DataFrame, window: Coded, spec: LogSpec, name: str) -> pd.DataFrame:
    if name in spec.numeric:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(values)
        edges = np.asarray(spec.numeric[name])
        codes = np.where(missing, len(edges) + 1, np.searchsorted(edges, values, side="left"))
        texts = np.array([*map(str, range(len(edges) + 1)), MISSING], dtype=object)
        bins = Coded(codes.astype(np.int64), texts)
        sums = np.where(missing, 0.0, values)
    else:
        bins = coded_text(frame[name], _text, MISSING)[0]
        sums = np.zeros(len(frame))
    table = count_by(
        {"window": window, "bin": bins},
        {"value_sum": sums},
        ["window", "bin", "rows", "value_sum"],
        sort=False,  # the features table is sorted once, all features together
    )
    table.insert(1, "feature", name)
    return table


def count_logs(
    files: list[Path], kind: str, spec: LogSpec, *, first_row: int = 0, engine: str = "auto"
) -> WindowCounts:
    """Count every file of one format (``parquet``, ``csv``, ``tsv``).

    ``engine`` is ``auto``, ``duckdb`` or ``batches``. ``auto`` takes DuckDB when it is installed
    and the windows are by time, except for Parquet logs of at most :data:`BATCHES_UP_TO` bytes
    (a day of logs, what ``--follow`` reads: counted in batches before DuckDB would have
    started). Both readers give the same counts on typed Parquet columns (property-tested), so
    a Parquet monitor begun with one continues with the other. CSV logs stay with one reader:
    the two parse some texts differently (``1_000`` as a number, ``20250101T120000`` as a time,
    an unterminated quote).
    """
    use_duckdb = engine == "duckdb" or (
        engine == "auto"
        and spec.window[0] == "days"
        and (kind != "parquet" or _size(files) > BATCHES_UP_TO)
        and _has_duckdb()
    )
    if use_duckdb and spec.window[0] == "days":
        from responsible_ai.monitor.duckdb_windows import count_with_duckdb

        counts = count_with_duckdb(files, kind, spec)
    else:
        counts = WindowCounts.empty(spec.sensitive)
        row = first_row
        for number, batch in enumerate(_batches(files, kind, spec)):
            part = count_frame(batch, spec, row)
            row += len(batch)
            counts = part if number == 0 else counts.merge(part)
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


def _size(files: list[Path]) -> int:
    return sum(path.stat().st_size for path in files)


def _has_duckdb() -> bool:
    from responsible_ai._modules import module_exists

    return module_exists("duckdb")


def _batches(files: list[Path], kind: str, spec: LogSpec) -> Iterator[pd.DataFrame]:
    from responsible_ai.engines.cube import require_columns
    from responsible_ai.policy.schema import DataRoles

    roles = DataRoles(prediction=spec.prediction, target=spec.target, score=spec.score)
    for path in files:
        if kind == "parquet":
            yield from _parquet_batches(path, spec, roles, require_columns)
        else:
            yield from _text_batches(path, kind, spec, roles, require_columns)


def _parquet_batches(path: Path, spec: LogSpec, roles: Any, check: Any) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from responsible_ai.data_files import check_parquet

    present = list(check_parquet(path).names)
    _require(present, spec, roles, str(path), check)
    batches = pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=spec.columns)
    while True:
        try:  # a row group whose pages are damaged shows only when it is read
            batch = next(batches, None)
        except (pa.ArrowException, OSError, ValueError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise InputError(f"cannot read {path} as Parquet: {reason}") from None
        if batch is None:
            return
        yield batch.to_pandas()


def _text_batches(
    path: Path, kind: str, spec: LogSpec, roles: Any, check: Any
) -> Iterator[pd.DataFrame]:
    """A CSV or TSV file in chunks of text; what pandas cannot read is said as ``rai check``
    says it (a byte that is not UTF-8, no header, a row longer than the header)."""
    import warnings

    from responsible_ai.data_files import refuse_binary, text_table_error

    refuse_binary(path, kind)
    sep = "\t" if kind == "tsv" else ","
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            header = pd.read_csv(path, sep=sep, nrows=0, dtype=str)
            _require(list(header.columns), spec, roles, str(path), check)
            # Every column read, then the monitor's kept: with usecols, pandas would let a row
            # longer than the header through (DuckDB and rai check refuse it).
            # index_col=False: a row longer than the header is refused, never made an index.
            chunks = pd.read_csv(path, sep=sep, dtype=str, chunksize=BATCH_ROWS, index_col=False)
            wanted = [c for c in spec.columns if c in header.columns]  # row windows: no time
            while True:
                chunk = next(chunks, None)
                if chunk is None:
                    return
                yield chunk[wanted]
        except (UnicodeDecodeError, pd.errors.ParserWarning, ValueError, OSError) as exc:
            raise text_table_error(path, kind, exc) from None


def _require(present: list[str], spec: LogSpec, roles: Any, where: str, check: Any) -> None:
    check(present, roles, spec.sensitive, where=where)
    for column in [spec.timestamp if spec.window[0] == "days" else None, *_features(spec)]:
        if column is not None and column not in present:
            raise InputError(f"column {column!r} is not in {where}")


def environment_engine() -> str:
    """``RAI_MONITOR_ENGINE`` (``duckdb`` / ``batches``), default ``auto``."""
    return os.environ.get("RAI_MONITOR_ENGINE", "auto")
