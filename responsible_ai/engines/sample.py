"""Explanations on DuckDB and Spark: a seeded, stratified sample of rows collected to the driver.

SHAP values need rows and the model, which an engine's counts do not bring back; a sample does.
Each stratum (a combination of the sensitive values and the label) gets its proportional share of
the sample, and at least ``min_rows_per_group`` rows (or all of its rows), the rule of
:func:`responsible_ai.explain._sample.stratified_sample`. Within a stratum the rows kept are those
with the smallest key, a hash of the seed and the row's values: the same data and seed give the
same sample whatever the order of the files, the partitions or the threads. A filter on the key
(each stratum keeps a share a little above its quota) lets only a few more rows than the sample
leave the engine; the driver then keeps the smallest keys of each stratum.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = [
    "EngineSample",
    "explain_sample",
    "sample_columns",
    "sample_with_duckdb",
    "sample_with_spark",
    "spark_session_for_run",
]

SAMPLE_FAILED = "{engine} could not sample the rows to explain: {reason}"
_KEY, _QUOTA, _TOTAL = "rai_key", "rai_quota", "rai_total"
# A stratum's filter keeps (quota + _SIGMAS * sqrt(quota) + _SPARE) / rows of its rows: fewer
# than its quota survive with probability below 1e-6; then the stratum is read again in full.
_SIGMAS, _SPARE = 5.0, 10.0


@dataclass
class EngineSample:
    """Rows an engine sampled for the explanation, and what they are a sample of."""

    frame: pd.DataFrame
    rows_total: int
    engine: str
    strata: list[str]
    features: list[str] = field(default_factory=list)
    #: For the data notes: the sample, and whether the model reproduces the stored predictions.
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the report says about the explained rows."""
        if len(self.frame) >= self.rows_total:
            return f"explained on all {self.rows_total} rows, collected from {self.engine}"
        by = " and ".join(self.strata) if self.strata else "nothing (a simple random sample)"
        return (
            f"explained on a stratified sample of {len(self.frame)} of {self.rows_total} rows "
            f"({self.engine}; strata: {by}; seeded)"
        )


def _features(model: Any, columns: list[str], roles: DataRoles) -> list[str]:
    from responsible_ai.inputs import _model_features

    return _model_features(model, pd.DataFrame(columns=columns), roles)


def sample_columns(model: Any, columns: list[str], roles: DataRoles) -> tuple[list[str], list[str]]:
    """(columns to collect, strata columns): the model's features, sensitive, label, weight."""
    features = _features(model, columns, roles)
    label = roles.target or (roles.prediction if roles.prediction in columns else None)
    strata = list(dict.fromkeys([*roles.sensitive, *([label] if label else [])]))
    wanted = [*features, *strata, roles.target, roles.prediction, roles.weight]
    kept = [c for c in dict.fromkeys(c for c in wanted if c) if c in columns]
    return kept, strata


def _finish(
    survivors: pd.DataFrame, strata: list[str], columns: list[str], text: bool, wanted: float
) -> tuple[pd.DataFrame, bool]:
    """The smallest keys of each stratum, in key order; and whether the strata came up short of
    the ``wanted`` rows (the sum of their quotas): then the caller reads them again in full."""
    if survivors.empty:
        return survivors.reindex(columns=columns), True
    ordered = survivors.sort_values([_KEY, *columns], kind="stable", na_position="last")
    if strata:
        rank = ordered.groupby(strata, dropna=False, sort=False).cumcount()
    else:
        rank = pd.Series(range(len(ordered)), index=ordered.index)
    kept = ordered.loc[rank.to_numpy() < ordered[_QUOTA].to_numpy(), columns].reset_index(drop=True)
    short = len(kept) < wanted
    if text:  # CSV read as text by the engine: typed by pandas' CSV rules, as in memory
        from responsible_ai.engines.cube import infer_like_pandas

        for column in columns:
            kept[column], _note = infer_like_pandas(kept[column], column)
    return kept, short


def sample_with_duckdb(
    data: str | os.PathLike[str],
    model: Any,
    roles: DataRoles,
    size: int,
    *,
    min_per_group: int,
    seed: int,
) -> EngineSample:
    """A stratified, seeded sample of ``data`` (Parquet/CSV files) read by DuckDB."""
    import duckdb

    from responsible_ai.engines.duckdb_engine import _connect, _relation
    from responsible_ai.engines.sources import data_sources

    files, kind = data_sources(data)
    spill = Path(tempfile.mkdtemp(prefix="rai-duckdb-"))
    try:
        con = _connect(spill)
        try:
            source = _relation(con, files, kind)
            columns, strata = sample_columns(model, list(source.columns), roles)
            source.create_view("rai_source")
            survivors = _duckdb_survivors(con, columns, strata, size, min_per_group, seed, 1.0)
            wanted = float(survivors["rai_wanted"].iloc[0]) if len(survivors) else math.inf
            frame, short = _finish(survivors, strata, columns, kind != "parquet", wanted)
            if short:  # read every row of the strata again: exact, slower
                survivors = _duckdb_survivors(
                    con, columns, strata, size, min_per_group, seed, math.inf
                )
                frame, _short = _finish(survivors, strata, columns, kind != "parquet", 0)
        finally:
            con.close()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0][:300]
        raise InputError(SAMPLE_FAILED.format(engine="DuckDB", reason=reason)) from None
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    total = int(survivors[_TOTAL].iloc[0]) if len(survivors) else 0
    features = [c for c in columns if c in _features(model, columns, roles)]
    return EngineSample(frame, total, "DuckDB", strata, features)


def _duckdb_survivors(
    con: Any,
    columns: list[str],
    strata: list[str],
    size: int,
    min_per_group: int,
    seed: int,
    spare: float,
) -> pd.DataFrame:
    from responsible_ai.engines.duckdb_engine import _quote

    picked = ", ".join(_quote(c) for c in columns)
    groups = ", ".join(_quote(c) for c in strata) or "NULL AS rai_all"
    joined = " AND ".join(f"s.{_quote(c)} IS NOT DISTINCT FROM q.{_quote(c)}" for c in strata)
    share = (
        "1e300"
        if math.isinf(spare)
        else f"(rai_quota + {_SIGMAS} * sqrt(rai_quota) + {_SPARE}) / rai_rows"
    )
    query = f"""
        WITH sizes AS (SELECT {groups}, count(*) AS rai_rows FROM rai_source GROUP BY ALL),
        keyed AS (SELECT {picked}, hash({int(seed)}, {picked}) AS rai_key FROM rai_source),
        quotas AS (
            SELECT *, least(rai_rows, greatest(round({int(size)} * rai_rows / rai_total),
                                               {int(min_per_group)})) AS rai_quota
            FROM (SELECT *, sum(rai_rows) OVER () AS rai_total FROM sizes)
        )
        SELECT s.*, q.rai_quota, q.rai_total,
               (SELECT sum(rai_quota) FROM quotas) AS rai_wanted
        FROM keyed s JOIN quotas q ON {joined or "TRUE"}
        WHERE CAST(s.rai_key AS DOUBLE) < least(1.0, {share}) * 18446744073709551616.0
           OR {share} >= 1.0
    """
    return con.execute(query).df()


@contextlib.contextmanager
def spark_session_for_run() -> Iterator[Any]:
    """The notebook's active session, or one started for the run and stopped after it."""
    from responsible_ai.engines.spark_session import spark_session

    spark, started = spark_session(None)
    try:
        yield spark
    finally:
        if started:
            spark.stop()


def sample_with_spark(
    data: Any,
    model: Any,
    roles: DataRoles,
    size: int,
    *,
    min_per_group: int,
    seed: int,
) -> EngineSample:
    """A stratified, seeded sample of ``data`` (a Spark DataFrame or files) on the executors."""
    from pyspark.sql import functions as F

    from responsible_ai.engines.spark_engine import _column, _read

    with spark_session_for_run() as spark:
        frame, kind, _source, _files = _read(spark, data, typed_text=False)
        columns, strata = sample_columns(model, list(frame.columns), roles)
        try:
            keyed = frame.select(*[_column(c) for c in columns]).withColumn(
                _KEY, F.xxhash64(F.lit(int(seed)), *[_column(c) for c in columns])
            )
            renamed = {c: f"rai_stratum_{i}" for i, c in enumerate(strata)}
            sizes = (
                keyed.groupBy(*[_column(c).alias(renamed[c]) for c in strata])
                .agg(F.count(F.lit(1)).alias("rai_rows"))
                .cache()  # one row per stratum, read three times
            )
            total = int(sizes.agg(F.sum("rai_rows")).first()[0] or 0)
            quota = F.least(
                F.col("rai_rows"),
                F.greatest(
                    F.round(F.lit(size) * F.col("rai_rows") / F.lit(max(total, 1))),
                    F.lit(min_per_group),
                ),
            ).cast("long")
            quotas = sizes.withColumn(_QUOTA, quota)
            wanted = float(quotas.agg(F.sum(_QUOTA)).first()[0] or 0)
            share = (F.col(_QUOTA) + _SIGMAS * F.sqrt(F.col(_QUOTA)) + _SPARE) / F.col("rai_rows")
            # xxhash64 is a signed 64-bit integer: uniform on [-2**63, 2**63).
            limit = F.lit(-(2.0**63)) + F.least(F.lit(1.0), share) * F.lit(2.0**64)
            condition = [keyed[_column_name(c)].eqNullSafe(quotas[renamed[c]]) for c in strata]
            joined = keyed.join(F.broadcast(quotas), on=condition or None, how="inner")
            kept = [*[_column(c) for c in columns], F.col(_KEY), F.col(_QUOTA)]

            def collect(condition: Any, goal: float) -> tuple[pd.DataFrame, bool]:
                with warnings.catch_warnings():  # PySpark's notice about pandas 3: not the user's
                    warnings.simplefilter("ignore", FutureWarning)
                    picked = joined.where(condition).select(*kept).toPandas()
                picked.columns = [*columns, _KEY, _QUOTA]
                return _finish(picked, strata, columns, kind in ("csv", "tsv"), goal)

            drawn = (share >= 1.0) | (F.col(_KEY).cast("double") < limit)
            sample, short = collect(drawn, wanted)
            if short:  # read every row of the strata again: exact, slower
                sample, _short = collect(F.lit(True), 0)
        except InputError:
            raise
        except Exception as exc:
            reason = (
                str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            )
            raise InputError(SAMPLE_FAILED.format(engine="Spark", reason=reason)) from None
    features = [c for c in columns if c in _features(model, columns, roles)]
    return EngineSample(sample, total, "Spark", strata, features)


def _column_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def explain_sample(
    data: Any, engine: str, model: Any, roles: DataRoles, policy: Policy
) -> EngineSample | None:
    """The rows to explain when the policy has enabled ``explain.*`` checks (or other checks that
    run on the sample, :func:`~responsible_ai.engines.choose.runs_on_sample`) and a model."""
    from responsible_ai.engines.choose import runs_on_sample

    wanted = any(c.enabled and runs_on_sample(c.metric) for c in policy.checks)
    if model is None or not wanted:
        return None
    settings = policy.explain
    sample = sample_with_duckdb if engine == "duckdb" else sample_with_spark
    drawn = sample(
        data,
        model,
        roles,
        settings.engine_sample_size,
        min_per_group=settings.min_rows_per_group,
        seed=policy.seed,
    )
    # Missing sensitive values as in memory: their own group, or dropped (data.missing_sensitive).
    from responsible_ai.inputs import _resolve_missing_groups

    sensitive = [c for c in roles.sensitive if c in drawn.frame.columns]
    drawn.frame = _resolve_missing_groups(
        drawn.frame.copy(), sensitive, roles.missing_sensitive, []
    )
    drawn.notes = [drawn.note + " for the explain.* checks"]
    if roles.prediction is not None and roles.prediction in drawn.frame.columns:
        drawn.notes.append(_agreement(model, drawn, roles.prediction))
    return drawn


def _agreement(model: Any, drawn: EngineSample, prediction: str) -> str:
    """Whether the explained model is the one whose stored predictions were counted."""
    from responsible_ai.alignment import align_to_model

    inputs, _notes = align_to_model(model, drawn.frame[drawn.features], drawn.features)
    try:
        predicted = pd.Series(model.predict(inputs)).astype(str).to_numpy()
    except Exception as exc:
        raise InputError(f"the model could not predict on the sampled rows: {exc}") from None
    same = int((predicted == drawn.frame[prediction].astype(str).to_numpy()).sum())
    return (
        f"the model reproduces the stored prediction {prediction!r} on {same} of "
        f"{len(drawn.frame)} sampled rows"
    )
