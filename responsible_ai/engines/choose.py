"""Which engine an audit runs on: asked for (``--engine``), or chosen by the data's size."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.engines import ENGINES
from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from responsible_ai.policy.schema import Policy

__all__ = ["AUTO_DUCKDB_BYTES", "choose_engine"]

#: Files (summed) at least this large are counted by DuckDB when it is installed and the policy
#: needs only counts and score sums: pandas would need several times their size in memory.
AUTO_DUCKDB_BYTES = 1 << 30

UNKNOWN_ENGINE = "unknown engine {name!r}; choose one of {choices}"
NEEDS_FILES = (
    "the duckdb engine reads files: give DATA as a CSV/Parquet file, folder or glob "
    "(a DataFrame is audited in memory by pandas)"
)
NEEDS_COLUMN_PREDICTIONS = (
    "the duckdb engine counts predictions stored with the data; a model's predictions need the "
    "rows in memory: add a prediction column (--prediction) or drop --engine duckdb (a model is "
    "taken with the predictions when the policy has explain.* checks, to explain a sample)"
)
NEEDS_TABLE = (
    "the sql engine reads a table of the database: give DATA as a table or view name "
    "(schema.table for another schema); to audit a query, create a view of it"
)
SQL_NEEDS_COLUMN_PREDICTIONS = (
    "the sql engine counts predictions stored in the table; a model's predictions need the "
    "rows in memory: add a prediction column (--prediction) or drop --engine sql"
)
NEEDS_ROWS = (
    "check {check!r} ({metric}) needs each row, which the {engine} engine does not bring back; "
    "use --engine pandas, or a policy of fairness metrics from counts, score sums and score "
    "bins (not privacy, nor the checks that need the training data)"
)

# A table cannot be read by the pandas engine: the alternative is reading it into a DataFrame.
SQL_NEEDS_ROWS = (
    "check {check!r} ({metric}) needs each row, which the sql engine does not bring back; "
    "audit the rows in memory (audit(pandas.read_sql_table(...), ...)), or use a policy of "
    "fairness metrics from counts, score sums and score bins (not privacy, explanations or "
    "checks of a model)"
)


NEEDS_MODEL = (
    "check {check!r} ({metric}) needs a model: give it (--model) and the {engine} engine runs "
    "it on a stratified sample of explain.engine_sample_size rows, or use --engine pandas"
)
#: Engines that collect a sample of rows for the explain.* checks (engines/sample.py).
SAMPLING_ENGINES = ("duckdb", "spark")
#: Checks of a model that run on the engine's sample as the explain.* checks do: they need the
#: model and rows, not all rows (membership inference and the poisoning screen need the training
#: data in memory, so they stay refused on an engine).
SAMPLED_METRICS = (
    "robustness.perturbation_flip_rate",
    "robustness.evasion_success_rate",
    "robustness.evasion_median_perturbation",
    "fairness.robustness_gap",
    "fairness.counterfactual_flip_rate",
)


def runs_on_sample(metric: str) -> bool:
    """Whether a check of ``metric`` runs on the rows an engine samples for the model."""
    return metric.startswith("explain.") or metric in SAMPLED_METRICS


def _explains(policy: Policy) -> bool:
    return any(c.enabled and runs_on_sample(c.metric) for c in policy.checks)


def _counts_only_problem(policy: Policy, engine: str = "duckdb", model: Any = None) -> str | None:
    """The first check the engine cannot compute from its counts and score sums, or None.

    On DuckDB and Spark the explain.* checks (and the model's robustness and counterfactual
    checks) run on a sample, when there is a model to explain.
    """
    from responsible_ai.fairness.score_sums import from_sums

    message = SQL_NEEDS_ROWS if engine == "sql" else NEEDS_ROWS
    for check in policy.checks:
        if not check.enabled or from_sums(check.metric):
            continue
        if runs_on_sample(check.metric) and engine in SAMPLING_ENGINES:
            if model is None:
                return NEEDS_MODEL.format(check=check.id, metric=check.metric, engine=engine)
            continue
        return message.format(check=check.id, metric=check.metric, engine=engine)
    return None


def _refuse_rows(
    policy: Policy,
    roles_given: list[Any],
    engine: str,
    model: Any = None,
    model_refused: str = "",
) -> None:
    """Refuse what an engine that brings back only counts cannot do: a model, role arrays, a
    check that needs each row."""
    explained = engine in SAMPLING_ENGINES and _explains(policy)  # the model explains a sample
    if model is not None and model_refused and not explained:
        raise InputError(model_refused)
    if any(role is not None and not isinstance(role, str) for role in roles_given):
        raise InputError(f"the {engine} engine takes roles as column names, not arrays")
    problem = _counts_only_problem(policy, engine, model)
    if problem is not None:
        raise InputError(problem)


def _total_bytes(data: Any) -> int:
    from responsible_ai.engines.sources import data_sources

    try:
        files, _kind = data_sources(data)
    except InputError:
        return 0
    return sum(os.stat(p).st_size for p in files)


def choose_engine(
    data: Any, policy: Policy, model: Any, roles_given: list[Any], requested: str | None
) -> str | None:
    """``"duckdb"``, ``"spark"``, ``"sql"``, ``"pandas"`` (Parquet streamed in batches) or None
    (in memory).

    Raises
    ------
    InputError
        An unknown engine, or an engine asked for what it cannot do (with the alternative).
    """
    from responsible_ai.fairness.parquet import streams

    if requested is not None and requested not in ENGINES:
        raise InputError(UNKNOWN_ENGINE.format(name=requested, choices=", ".join(ENGINES)))
    from responsible_ai.engines.spark_engine import is_spark_frame

    is_path = isinstance(data, str | os.PathLike)
    if requested == "spark" or is_spark_frame(data):
        if requested not in (None, "spark"):
            raise InputError(f"a Spark DataFrame is counted by Spark, not by {requested}")
        if not (is_path or is_spark_frame(data)):
            raise InputError("the spark engine reads files or a Spark DataFrame")
        _refuse_rows(policy, roles_given, "spark", model)  # a model predicts on the executors
        return "spark"
    if requested == "sql":
        if not isinstance(data, str):
            raise InputError(NEEDS_TABLE)
        _refuse_rows(policy, roles_given, "sql", model, SQL_NEEDS_COLUMN_PREDICTIONS)
        return "sql"
    if requested == "duckdb":
        if not is_path:
            raise InputError(NEEDS_FILES)
        _refuse_rows(policy, roles_given, "duckdb", model, NEEDS_COLUMN_PREDICTIONS)
        return "duckdb"
    streamed = streams(data, policy, model, roles_given)
    if (
        requested is None
        and is_path
        and model is None
        and all(role is None or isinstance(role, str) for role in roles_given)
        and _counts_only_problem(policy) is None
        and importlib.util.find_spec("duckdb") is not None
        and (_is_many(data) or _total_bytes(data) >= AUTO_DUCKDB_BYTES)
    ):
        return "duckdb"
    return "pandas" if streamed else None


def _is_many(data: Any) -> bool:
    """A folder or a glob that holds data files: only an engine that reads many can audit it.

    A path that exists as a file is that file, whatever characters its name has; a folder or a
    glob without data files is left to the usual reader, which says what is wrong with it.
    """
    from responsible_ai.engines.sources import data_sources

    text = os.fspath(data)
    path = Path(text)
    if path.is_file() or not (path.is_dir() or any(c in text for c in "*?[")):
        return False
    try:
        data_sources(text)
    except InputError:
        return False
    return True
