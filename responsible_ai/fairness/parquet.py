"""Fairness audits of Parquet files larger than memory: read in batches, count, merge the counts.

``audit()`` and ``rai check`` take this path on their own when the data is a ``.parquet`` file,
every enabled check of the policy is a fairness metric computed from decision counts or score
sums, no model is given (the predictions are a column of the file) and the roles are column
names. Only the columns the audit uses are read, one batch at a time; each batch is counted per
group and the counts merged, so memory grows with the number of groups, not with the number of
rows. The numbers equal those of an in-memory audit of the same file. With score or regression
checks, each batch becomes the engines' count table with score sums
(:func:`responsible_ai.engines.sums.frame_count_table`) and the tables add up. ROC AUC and
the LL144 scoring rate come from the same table's fine score bins
(:mod:`responsible_ai.fairness.binned_auc`) on a folder or glob of Parquet files; one file with
such checks is read into memory (exact there), as is a policy with other families.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.data_files import check_data_file, check_parquet
from responsible_ai.engines.counts import MAX_LABELS, CountsPass, finish_pass
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupCounts, count_groups, merge_counts
from responsible_ai.inputs import MISSING_GROUP, AuditData

if TYPE_CHECKING:
    from responsible_ai.engines.sources import BackgroundHash
    from responsible_ai.fairness.score_sums import SumsNeeded
    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = ["BATCH_ROWS", "groupings", "prepare_streamed", "streams"]

BATCH_ROWS = 1 << 18

MISSING_LABEL = "{role} column {column!r} has missing value(s); drop or fill those rows"
NEGATIVE_WEIGHT = "weight column {column!r} has negative values"
MISSING_COLUMN = "{role} column {column!r} is not in {path}{hint}"
NOT_PARQUET = "cannot read {path} as parquet: {error}"


def streams(data: Any, policy: Policy, model: Any, roles_given: list[Any]) -> bool:
    """Whether an audit of ``data`` should stream its counts from a Parquet file."""
    if not isinstance(data, str | os.PathLike) or model is not None:
        return False
    if Path(data).suffix.lower() not in (".parquet", ".pq") and not _parquet_parts(data):
        return False
    if any(role is not None and not isinstance(role, str) for role in roles_given):
        return False
    from responsible_ai.fairness.catalog import DISPARITIES
    from responsible_ai.fairness.score_sums import FROM_BINS, from_sums

    checks = [check for check in policy.checks if check.enabled]
    binned = any(
        FROM_BINS & set(DISPARITIES[c.metric].group_metrics)
        for c in checks
        if c.metric in DISPARITIES
    )
    if binned and not _parquet_parts(data):  # one file fits in memory: ROC AUC exact there
        return False
    return bool(checks) and all(from_sums(check.metric) for check in checks)


def _parquet_parts(data: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of a folder or a glob of them (none for anything else)."""
    from responsible_ai.engines.sources import data_sources

    text = os.fspath(data)
    if Path(text).is_file() or not (Path(text).is_dir() or any(c in text for c in "*?[")):
        return []
    try:
        files, kind = data_sources(text)
    except InputError:
        return []
    return files if kind == "parquet" else []


def _from_prediction_counts(metric: str) -> bool:
    """Whether a metric derives from the counts of decisions alone (not from rows or scores)."""
    from responsible_ai.fairness.catalog import DISPARITIES, GROUP_METRICS

    disparity = DISPARITIES.get(metric)
    return disparity is not None and all(
        GROUP_METRICS[name].kind in ("rate", "mean_of") for name in disparity.group_metrics
    )


def groupings(policy: Policy, sensitive: list[str]) -> list[list[str]]:
    """Every ``by`` the policy's checks group by, as ``evaluate`` expands them."""
    found: list[list[str]] = []
    for check in policy.checks:
        if not check.enabled:
            continue
        bys = [check.by_columns] if check.by_columns is not None else [[c] for c in sensitive]
        found += [by for by in bys if by not in found]
    return found


def _batches(path: Path, roles: dict[str, list[str]], batch_rows: int) -> Iterator[pd.DataFrame]:
    import difflib

    import pyarrow.parquet as pq

    check_parquet(path, [c for wanted in roles.values() for c in wanted])
    try:
        file = pq.ParquetFile(path)
    except Exception as exc:
        raise InputError(NOT_PARQUET.format(path=path, error=exc)) from exc
    present = list(file.schema_arrow.names)
    for role, wanted in roles.items():
        for column in wanted:
            if column not in present:
                close = difflib.get_close_matches(column, present, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InputError(
                    MISSING_COLUMN.format(role=role, column=column, path=path, hint=hint)
                )
    columns = list(dict.fromkeys(c for wanted in roles.values() for c in wanted))
    for batch in file.iter_batches(batch_size=batch_rows, columns=columns):
        yield batch.to_pandas()


def prepare_streamed(
    path: str | os.PathLike[str],
    roles: DataRoles,
    bys: list[list[str]],
    batch_rows: int | None = None,
    policy: Policy | None = None,
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """Count every grouping of a Parquet file (or a folder or glob of them) in one pass over
    its batches.

    With ``policy`` and score or regression checks, each batch becomes a count table with the
    score sums (as DuckDB's) and the tables add up (:func:`_streamed_sums`).

    Returns
    -------
    data : AuditData
        With an empty ``frame`` (the file's columns, no rows) and zero-length role arrays.
    counts : dict
        Per-run cache entries ``("fairness.counts", by, "prediction") -> GroupCounts``.
    """
    from responsible_ai.engines.sources import BackgroundHash

    batch_rows = batch_rows or BATCH_ROWS
    many = _parquet_parts(path)
    files = many or [check_data_file(path)]
    needed = _needed(files[0], policy, roles)
    if needed is not None:
        where = os.fspath(path) if many else str(files[0])
        return _streamed_sums(files, where, roles, bys, batch_rows, needed)
    if roles.prediction is None:
        raise InputError(
            "a streamed Parquet audit needs a prediction column (data.prediction or "
            "--prediction); give a model only with data that fits in memory"
        )
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    extra = [roles.target, roles.prediction, roles.weight, roles.score]
    columns = list(dict.fromkeys([*sensitive, *(c for c in extra if c is not None)]))
    label = roles.positive_label
    seen: dict[str, set[Any]] = {roles.prediction: set()}
    if roles.target is not None:
        seen[roles.target] = set()
    parts: dict[tuple[str, ...], GroupCounts | None] = {tuple(by): None for by in bys}
    rows = dropped = batches = 0
    missing_groups: dict[str, int] = {}
    wanted = {"sensitive": sensitive}
    for role in ("target", "prediction", "weight", "score"):
        wanted[role] = [c for c in [getattr(roles, role)] if c is not None]
    # Every byte hashed on a thread while pyarrow and NumPy count (both release the GIL).
    hashed = BackgroundHash(files)
    for batch in _each_batch(files, wanted, batch_rows, hashed):
        batches += 1
        for column, values in seen.items():
            if len(values) < MAX_LABELS:
                values.update(
                    v.item() if isinstance(v, np.generic) else v
                    for v in batch[column].dropna().unique()
                )
        batch, dropped_here = _resolve_missing(
            batch, sensitive, roles.missing_sensitive, missing_groups
        )
        dropped += dropped_here
        rows += len(batch)
        if len(batch) == 0:
            continue
        y_pred = _label_array(batch, roles.prediction, "prediction", label)
        y_true = _label_array(batch, roles.target, "target", label) if roles.target else None
        weight = _weights(batch, roles.weight)
        for by in bys:
            counts = count_groups(batch, by, y_pred, y_true, weight)
            previous = parts[tuple(by)]
            parts[tuple(by)] = counts if previous is None else merge_counts([previous, counts])
    counted = CountsPass(
        parts=parts,
        seen=seen,
        rows=rows,
        dropped=dropped,
        missing_groups=missing_groups,
        notes=[
            f"streamed from {f'{len(files)} Parquet file(s)' if many else 'Parquet'} in "
            f"{batches} batch(es) of up to {batch_rows} rows: "
            "per-group counts only"
        ],
        source={
            "path": os.fspath(path) if many else str(files[0]),
            "sha256": hashed.result(),
            "columns": len(columns),
            "files": len(files),
        },
        columns=columns,
    )
    return finish_pass(counted, roles)


def _each_batch(
    files: list[Path], wanted: dict[str, list[str]], batch_rows: int, hashed: BackgroundHash
) -> Iterator[pd.DataFrame]:
    """The batches of every file; a failure here or in the loop over them stops the hashing."""
    try:
        for file in files:
            yield from _batches(file, wanted, batch_rows)
    except BaseException:  # GeneratorExit too: the loop over the batches raised
        hashed.stop()
        raise


def _resolve_missing(
    batch: pd.DataFrame, columns: list[str], policy: str, counted: dict[str, int]
) -> tuple[pd.DataFrame, int]:
    dropped = 0
    for column in columns:
        missing = batch[column].isna()
        count = int(missing.sum())
        if not count:
            continue
        counted[column] = counted.get(column, 0) + count
        if policy == "drop":
            batch = batch.loc[~missing]
            dropped += count
        else:
            batch[column] = batch[column].astype(object).where(~missing, MISSING_GROUP)
    return batch, dropped


def _label_array(batch: pd.DataFrame, column: str, role: str, label: Any) -> np.ndarray:
    values = batch[column]
    if values.isna().any():
        raise InputError(MISSING_LABEL.format(role=role, column=column))
    return (values == (1 if label is None else label)).to_numpy(dtype=bool)


def _weights(batch: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    try:
        weight = batch[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"weight column {column!r} must be numeric") from None
    if np.isnan(weight).any():
        raise InputError(MISSING_LABEL.format(role="weight", column=column))
    if (weight < 0).any():
        raise InputError(NEGATIVE_WEIGHT.format(column=column))
    return weight


def _needed(file: Path, policy: Policy | None, roles: DataRoles) -> SumsNeeded | None:
    if policy is None:
        return None
    from responsible_ai.fairness.score_sums import sums_needed

    present = list(check_parquet(file).names)  # one refusal, worded as for every Parquet file
    return sums_needed(policy, roles, present)


def _streamed_sums(
    files: list[Path],
    where: str,
    roles: DataRoles,
    bys: list[list[str]],
    batch_rows: int,
    needed: SumsNeeded,
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """The count table with score sums, batch by batch (of every file), then the engines'
    common path."""
    from responsible_ai.engines.cube import check_cube, pass_from_cube
    from responsible_ai.engines.sources import files_sha256
    from responsible_ai.engines.sums import frame_count_table, merge_count_tables

    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    labels = [c for c in (roles.prediction, roles.target) if c is not None]
    keys = list(dict.fromkeys([*sensitive, *labels]))
    wanted = {"sensitive": sensitive, "summed": needed.columns}
    for role in ("target", "prediction", "weight", "score"):
        wanted[role] = [c for c in [getattr(roles, role)] if c is not None]
    tables, batches = [], 0
    for batch in (b for file in files for b in _batches(file, wanted, batch_rows)):
        batches += 1
        tables.append(frame_count_table(batch, keys, roles.weight, needed))
    bins = [needed.bin_alias(b) for b in needed.bins if needed.score is not None]
    table = merge_count_tables(tables, [*keys, *bins])
    check_cube(table, roles)
    counted = pass_from_cube(
        table,
        roles,
        bys,
        typed=True,
        notes=[
            f"streamed from Parquet in {batches} batch(es) of up to {batch_rows} rows: "
            "per-group counts only and score sums"
        ],
        source={
            "path": where,
            "sha256": files_sha256(files),
            "columns": len(dict.fromkeys([*keys, *needed.columns])),
            "files": len(files),
        },
        needed=needed,
    )
    return finish_pass(counted, roles)
