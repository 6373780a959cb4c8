"""SHAP values on the Spark executors: the sampled rows explained where they are, per partition.

The rows :func:`responsible_ai.engines.sample.sample_with_spark` draws stay a Spark DataFrame;
the explainer (the fitted model inside it, built on the driver exactly as in memory) is
broadcast once, and ``mapInPandas`` explains each partition with it: the same code as on the
driver (``Explainer.compute``), on the rows aligned to the model as on the driver, so the values
are those of the driver path row by row (TreeSHAP explains each row on its own). One collect
brings back the rows the other explain checks read with their SHAP values and model outputs.

Only tree ensembles go to the executors. Linear SHAP is ``coef * (x - mean)`` over a background
drawn from the whole sample (numpy, microseconds per row): a Spark job costs more than it saves,
and the background would need the sample on the driver first. Text files (CSV/TSV) are typed by
pandas' rules on the whole collected sample, so they stay on the driver too.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from responsible_ai.explain._explainers import Attribution

__all__ = [
    "ON_EXECUTORS_MIN_ROWS",
    "explain_on_executors",
    "picked_on_spark",
    "wants_executors",
]

#: ``explain.on_executors: auto`` sends a tree ensemble's sample to a cluster's executors (never
#: on ``local[N]``, whose executors are the driver's own cores) from this many rows. Measured
#: (benchmarks/results/spark_explain.md, local[2], loaded): the executor job costs 0-6 s more
#: than the driver's forked TreeSHAP workers on the same cores; TreeSHAP of a 50-tree depth-8
#: forest runs ~290 rows/s per core, so 5000 rows are ~17 core-seconds: from there a cluster
#: with several times the driver's cores wins back the job's start-up.
ON_EXECUTORS_MIN_ROWS = 5000
_VALUE = "rai_shap_{}"
_OUTPUT, _BASE = "rai_shap_output", "rai_shap_base"


def _final_estimator(model: Any) -> Any:
    from sklearn.pipeline import Pipeline

    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def wants_executors(
    setting: bool | str, model: Any, rows: int, kind: str, spark: Any
) -> str | None:
    """Why the sample stays on the driver (None: explain it on the executors)."""
    from responsible_ai.explain._explainers import _is_tree
    from responsible_ai.explain._parallel import available_cores

    if setting is False:
        return "explain.on_executors: false"
    if not _is_tree(_final_estimator(model)):
        return "only tree ensembles are explained on the executors (linear SHAP is cheap)"
    if kind in ("csv", "tsv"):
        return "text files are typed on the driver, on the whole sample"
    if setting != "auto":
        return None
    context = spark.sparkContext
    if str(context.master).startswith("local") or context.defaultParallelism <= available_cores():
        return "explain.on_executors: auto, and the executors are no more cores than the driver's"
    if rows < ON_EXECUTORS_MIN_ROWS:
        return f"explain.on_executors: auto, and fewer than {ON_EXECUTORS_MIN_ROWS} rows"
    return None


def picked_on_spark(
    joined: Any, kept: list[Any], drawn: Any, strata: list[str], columns: list[str], wanted: float
) -> Any:
    """The sample as a Spark DataFrame, never collected: in each stratum the rows of smallest key
    up to its quota, the rule of ``engines.sample._finish``; every row of the strata is read
    again when the key filter ``drawn`` left a stratum short (as on the driver)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from responsible_ai.engines.sample import _KEY, _QUOTA
    from responsible_ai.engines.spark_engine import _column

    spark = joined.sparkSession
    groups = [_column(c) for c in strata] or [F.lit(0)]
    order = Window.partitionBy(*groups).orderBy(
        F.col(_KEY).asc(), *[_column(c).asc_nulls_last() for c in columns]
    )

    def pick(condition: Any) -> Any:
        survivors = joined.where(condition).select(*kept)
        ranked = survivors.withColumn("rai_rank", F.row_number().over(order))
        picked = ranked.where(F.col("rai_rank") <= F.col(_QUOTA)).drop("rai_rank", _QUOTA)
        # A stratum is one window partition: spread the rows over every executor core again.
        return picked.repartition(max(1, 2 * spark.sparkContext.defaultParallelism)).cache()

    rows = pick(drawn)
    if rows.count() < wanted:
        rows.unpersist()
        rows = pick(F.lit(True))
    return rows


def explain_on_executors(
    rows: Any, model: Any, features: list[str], positive_label: Any, seed: int
) -> tuple[pd.DataFrame, Attribution]:
    """Collect ``rows`` (a Spark DataFrame) with their SHAP values computed per partition.

    Returns the rows (the columns of ``rows`` but the key) in the order of the driver's sample
    (by key, then values) and their values in the same order.
    """
    from pyspark import cloudpickle
    from pyspark.sql import types as T

    from responsible_ai.explain._explainers import Attribution, choose_explainer, positive_label_of

    label = positive_label_of(model, positive_label)
    # Trees take no background: the explainer is the driver's, built on no rows at all.
    explainer = choose_explainer(
        model, features, pd.DataFrame(columns=features), label, random_state=seed, n_jobs=1
    )
    spark = rows.sparkSession
    shared = spark.sparkContext.broadcast(cloudpickle.dumps((model, explainer)))
    extra = [T.StructField(_VALUE.format(i), T.DoubleType()) for i in range(len(features))]
    extra += [T.StructField(_OUTPUT, T.DoubleType()), T.StructField(_BASE, T.DoubleType())]
    schema = T.StructType([*rows.schema.fields, *extra])

    def explain_partition(batches: Any) -> Any:
        import pickle

        from responsible_ai.alignment import align_to_model

        fitted, here = pickle.loads(shared.value)  # our own explainer, pickled by the driver
        for batch in batches:
            if batch.empty:
                continue
            aligned, _notes = align_to_model(fitted, batch.reset_index(drop=True), features)
            found = here.compute(aligned)
            values = pd.DataFrame(
                np.asarray(found.values, dtype=float),
                columns=[_VALUE.format(i) for i in range(len(features))],
            )
            yield pd.concat([batch.reset_index(drop=True), values], axis=1).assign(
                **{_OUTPUT: np.asarray(found.output, dtype=float), _BASE: float(found.base)}
            )

    from responsible_ai.engines.sample import _KEY

    partitions = rows.rdd.getNumPartitions()
    with warnings.catch_warnings():  # PySpark's notice about pandas 3: not the user's
        warnings.simplefilter("ignore", FutureWarning)
        collected = rows.mapInPandas(explain_partition, schema=schema).toPandas()
    shared.unpersist()
    rows.unpersist()
    names = [_VALUE.format(i) for i in range(len(features))]
    columns = [c for c in rows.columns if c != _KEY]
    collected = collected.sort_values(
        [_KEY, *columns], kind="stable", na_position="last"
    ).reset_index(drop=True)
    base = float(collected[_BASE].iloc[0]) if len(collected) else float("nan")
    found = Attribution(
        collected[names].to_numpy(dtype=float),
        base,
        collected[_OUTPUT].to_numpy(dtype=float),
        [
            f"SHAP values computed on the Spark executors (mapInPandas over {partitions} "
            f"partition(s), the explainer broadcast; {explainer.name})"
        ],
    )
    return collected[columns], found
