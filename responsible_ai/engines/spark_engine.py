"""The Spark engine: the count table from one ``groupBy`` on the executors.

``audit(spark_df, policy)`` in a notebook (Databricks-style: the active session is used) and
``rai check DATA --engine spark [--spark-master URL]`` (a session is started for the run, local
``local[2]`` unless ``--spark-master`` / ``RAI_SPARK_MASTER`` names a cluster) group the rows by
sensitive values, prediction and target on the executors; only that table is collected to the
driver. A model's predictions are computed on the executors too: the model, loaded on the driver
through the trusted loader, is broadcast and applied to each partition with ``mapInPandas``.
Everything after the count table is :mod:`responsible_ai.engines.cube`, as for DuckDB.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.engines.counts import finish_pass
from responsible_ai.engines.cube import NOT_NUMERIC, check_cube, pass_from_cube, require_columns
from responsible_ai.engines.sources import BackgroundHash, data_sources
from responsible_ai.engines.spark_session import MASTER_ENV, spark_session
from responsible_ai.engines.sums import (
    CSV_MISSING_TEXTS,
    spark_bin_keys,
    spark_number,
    spark_sums,
)
from responsible_ai.errors import InputError
from responsible_ai.fairness.score_sums import SumsNeeded, summed_only, sums_needed

if TYPE_CHECKING:
    from responsible_ai.fairness.groups import GroupCounts
    from responsible_ai.inputs import AuditData
    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = ["MASTER_ENV", "PREDICTION_COLUMN", "count_with_spark", "is_spark_frame"]

#: Where a model's predictions go on the executors (a column of its own, never the user's).
PREDICTION_COLUMN = "rai_model_prediction"

SPARK_FAILED = "Spark could not count the data: {reason}"
MODEL_FAILED = "the model could not predict on the Spark data: {reason}"


def is_spark_frame(data: Any) -> bool:
    """A PySpark DataFrame (classic or Spark Connect), recognised without importing PySpark."""
    module = type(data).__module__
    return module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


def _column(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _read(spark: Any, data: Any, typed_text: bool) -> tuple[Any, str, dict[str, Any], list[Path]]:
    """The DataFrame, its format (``parquet``, ``csv``, ``tsv`` or ``spark``), its source and
    its files (none for a DataFrame)."""
    if is_spark_frame(data):
        return data, "spark", {"path": None, "sha256": None, "spark": "DataFrame"}, []
    files, kind = data_sources(data)
    names = [str(p) for p in files]
    if kind == "parquet":
        frame = spark.read.parquet(*names)
    else:  # text, typed by pandas' rules on the count table (as for DuckDB)
        frame = spark.read.csv(
            names, header=True, inferSchema=False, sep="\t" if kind == "tsv" else ","
        )
    source = {"path": os.fspath(data), "sha256": None, "files": len(files)}
    return frame, kind, source, files


def _with_predictions(frame: Any, model: Any, features: list[str], label_type: str) -> Any:
    """``frame`` with the model's predictions, computed per partition on the executors."""
    spark = frame.sparkSession
    shared = spark.sparkContext.broadcast(model)
    from pyspark.sql import types as T

    kinds = {"string": T.StringType(), "boolean": T.BooleanType(), "bigint": T.LongType()}
    prediction = T.StructField(PREDICTION_COLUMN, kinds.get(label_type, T.DoubleType()))
    schema = T.StructType([*frame.schema.fields, prediction])  # a new schema: never the input's

    def predict(batches: Any) -> Any:
        from responsible_ai.alignment import align_to_model

        fitted = shared.value
        for batch in batches:
            # The same alignment as in memory (CSV digits read as numbers, categories...).
            aligned, _notes = align_to_model(fitted, batch[features], features)
            predicted = np.asarray(fitted.predict(aligned))
            yield batch.assign(**{PREDICTION_COLUMN: predicted})

    return frame.mapInPandas(predict, schema=schema)


def _label_type(model: Any) -> str:
    classes = list(getattr(model, "classes_", []))
    if classes and all(isinstance(c, str | np.str_) for c in classes):
        return "string"
    if classes and all(isinstance(c, bool | np.bool_) for c in classes):
        return "boolean"
    if classes and all(isinstance(c, int | np.integer) for c in classes):
        return "bigint"
    return "double"


def count_with_spark(
    data: Any,
    roles: DataRoles,
    bys: list[list[str]],
    *,
    model: Any = None,
    master: str | None = None,
    policy: Policy | None = None,
) -> tuple[AuditData, dict[Hashable, GroupCounts]]:
    """Count every grouping of ``data`` (a Spark DataFrame or files) with Spark.

    With ``policy``, the sums its score and regression checks need are aggregated in the same
    ``groupBy`` (:mod:`responsible_ai.engines.sums`).
    """
    spark, started = spark_session(master)
    try:
        frame, kind, source, files = _read(spark, data, typed_text=model is not None)
        if model is not None:
            from responsible_ai.inputs import _model_features

            features = _model_features(model, pd.DataFrame(columns=frame.columns), roles)
            sensitive = [c for by in bys for c in by]
            kept = [roles.target, roles.weight, roles.score, *sensitive, *features]
            if policy is not None:  # the regression columns the checks name
                summed = sums_needed(policy, roles, list(frame.columns))
                kept += summed.columns if summed is not None else []
            frame = frame.select(
                *[_column(c) for c in dict.fromkeys(c for c in kept if c and c in frame.columns)]
            )
            frame = _with_predictions(frame, model, features, _label_type(model))
            roles = roles.model_copy(update={"prediction": PREDICTION_COLUMN})
        if roles.prediction is None and not summed_only(policy):
            raise InputError(
                "the spark engine needs a prediction column (--prediction) or a model (--model)"
            )
        needed = None if policy is None else sums_needed(policy, roles, list(frame.columns))
        texts = CSV_MISSING_TEXTS if kind in ("csv", "tsv") else ()
        # Every byte hashed while the executors count (a DataFrame has no files to hash).
        with BackgroundHash(files) if files else contextlib.nullcontext() as hashed:
            table = _count_table(frame, roles, bys, needed, texts)
            if hashed is not None:
                source["sha256"] = hashed.result()
    finally:
        if started:
            spark.stop()
    check_cube(table, roles)
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    described = "a Spark DataFrame" if kind == "spark" else f"{source['files']} {kind} file(s)"
    predicted = "; the model predicted on the executors" if model is not None else ""
    counted = pass_from_cube(
        table,
        roles,
        bys,
        typed=kind in ("parquet", "spark") or model is not None,
        notes=[
            f"counted by Spark over {described}{predicted}: per-group counts only"
            + (" and score sums" if needed is not None else "")
        ],
        source={**source, "columns": len(dict.fromkeys([*sensitive, roles.prediction]))},
        needed=needed,
    )
    return finish_pass(counted, roles)


def _count_table(
    frame: Any,
    roles: DataRoles,
    bys: list[list[str]],
    needed: SumsNeeded | None = None,
    missing_texts: tuple[str, ...] = (),
) -> pd.DataFrame:
    from pyspark.sql import functions as F

    present = list(frame.columns)
    sensitive = list(dict.fromkeys(c for by in bys for c in by))
    labels = [c for c in (roles.prediction, roles.target) if c is not None]
    require_columns(present, roles, sensitive, where="the Spark data")
    keys = list(dict.fromkeys([*sensitive, *labels]))
    aggregates = [F.count(F.lit(1)).alias("rai_rows")]
    weight = F.lit(1.0)
    if roles.weight is None:
        aggregates.append(F.count(F.lit(1)).cast("double").alias("rai_weight"))
    else:
        if dict(frame.dtypes)[roles.weight] == "boolean":
            raise InputError(NOT_NUMERIC.format(column=roles.weight))
        raw = _column(roles.weight)
        weight = spark_number(raw)
        aggregates += [
            F.sum(weight).alias("rai_weight"),
            F.count(F.when(raw.isNotNull() & weight.isNull(), 1)).alias("rai_bad"),
            F.count(F.when(raw.isNull() | F.isnan(weight), 1)).alias("rai_gaps"),
            F.count(F.when(weight < 0, 1)).alias("rai_negative"),
        ]
    groups = [_column(c) for c in keys]
    if needed is not None:
        aggregates += spark_sums(needed, _column, weight, missing_texts)
        groups += spark_bin_keys(needed, _column)
    try:
        with warnings.catch_warnings():  # PySpark's notice about pandas 3: not the user's
            warnings.simplefilter("ignore", FutureWarning)
            table = frame.groupBy(*groups).agg(*aggregates).toPandas()
    except InputError:
        raise
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if "PythonException" in type(exc).__name__ or "predict" in reason:
            raise InputError(MODEL_FAILED.format(reason=reason)) from None
        raise InputError(SPARK_FAILED.format(reason=reason)) from None
    table.columns = [*keys, *table.columns[len(keys) :]]
    return table
