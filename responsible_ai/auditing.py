"""``audit``: the one-call API behind every face (notebook, CLI, app)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from responsible_ai.checker.context import AuditContext
from responsible_ai.checker.evaluate import evaluate, verdict_of
from responsible_ai.errors import InputError
from responsible_ai.inputs import AuditData, prepare, read_table
from responsible_ai.policy.loader import (
    LoadedPolicy,
    load_policy,
    policy_from_dict,
    require_checks,
)
from responsible_ai.policy.schema import Policy
from responsible_ai.report.model import Report

__all__ = ["audit", "package_versions"]

PathLike = str | os.PathLike[str]
_ROLE_ARRAY_PREFIX = "__rai_"
URL_NOT_FOR_ENGINE = "url names a database for engine='sql', not for engine={engine!r}"


def audit(
    data: pd.DataFrame | PathLike,
    policy: Policy | LoadedPolicy | dict[str, Any] | PathLike,
    *,
    model: Any = None,
    prediction: str | Sequence[Any] | None = None,
    target: str | Sequence[Any] | None = None,
    score: str | Sequence[Any] | None = None,
    sensitive: str | Sequence[str] | None = None,
    positive_label: Any = None,
    trust_model: bool = False,
    seed: int | None = None,
    allow_extends_path: Sequence[PathLike] = (),
    submit: bool | str = False,
    data_name: str | None = None,
    engine: str | None = None,
    url: Any = None,
    train: pd.DataFrame | PathLike | None = None,
) -> Report:
    """Audit a model (or its predictions) on data against a policy.

    Parameters
    ----------
    data : DataFrame, path or table name
        The evaluation data: a DataFrame, or a CSV / Parquet file; with ``engine="sql"``, a
        table or view of the database at ``url`` (``schema.table`` for another schema).
    policy : Policy, dict or path
        A policy file (YAML), a validated :class:`Policy`, or a dict in the policy format.
    model : estimator or path, optional
        A fitted scikit-learn-compatible estimator, or a ``.skops`` file. Pickle and joblib files
        are refused unless ``trust_model=True``.
    prediction, target, score : str or array-like, optional
        Column names, or arrays of the same length as the data. Override the policy's roles.
    sensitive : str or list of str, optional
        Sensitive feature columns; override ``data.sensitive`` of the policy.
    positive_label : optional
        The favourable outcome; overrides the policy.
    trust_model : bool, default False
        Allow loading pickle / joblib model files, which can run arbitrary code.
    seed : int, optional
        Overrides the policy's seed.
    allow_extends_path : list of paths, optional
        Folders outside the policy's own folder (and the shipped packs) that its ``extends`` may
        name.
    submit : bool or str, default False
        Record the run for review: True for ``$RAI_SUBMIT`` or the default local store, or a
        store URL / path, or ``https://host`` of the API (token in ``$RAI_TOKEN``). The run id
        and app URL are in ``report.submission``.
    data_name : str, optional
        For data given as a DataFrame: the file it came from (an upload's name), so that the
        report names it instead of "(in memory)". The hash stays that of the frame.
    engine : {"pandas", "duckdb", "spark", "sql"}, optional
        Where the per-group counts are computed (see :mod:`responsible_ai.engines`). Default:
        DuckDB for a folder, a glob or files of 1 GiB and more when it is installed and the
        policy needs decision counts only; Spark for a Spark DataFrame (the active session;
        ``$RAI_SPARK_MASTER`` or ``local[2]`` for files); sql when ``url`` is given; else
        pandas.
    url : str, sqlalchemy.engine.URL or sqlalchemy.engine.Engine, optional
        The database of ``engine="sql"`` (default ``$RAI_SQL_URL``), e.g.
        ``postgresql://user@host/db`` with the password in ``$PGPASSWORD``; its password is
        never shown (see :mod:`responsible_ai.engines.sql_engine`).
    train : DataFrame or path, optional
        The model's training data, for membership inference and the poisoning screen; overrides
        ``data.train`` of the policy.

    Returns
    -------
    Report
        ``report.passed``, ``report.to_json()``, ``report.to_dataframe()``; renders in Jupyter.

    Raises
    ------
    PolicyError
        The policy is invalid, or would check nothing (no enabled check).

    Examples
    --------
    >>> from responsible_ai import audit
    >>> from responsible_ai.datasets import load_german_credit
    >>> german = load_german_credit()
    >>> frame = german.data.assign(approved=german.data["credit"])
    >>> report = audit(frame, "policies/eeoc-four-fifths.yaml", prediction="approved",
    ...                target="credit", sensitive=["sex"], positive_label="good")
    >>> report.verdict
    'pass'
    """
    started = time.perf_counter()
    loaded = _load_policy(policy, allow_extends_path)
    require_checks(loaded)  # a policy with nothing enabled would pass anything
    active = loaded.policy
    if seed is not None:
        active = active.model_copy(update={"seed": seed})

    from responsible_ai.engines.choose import choose_engine

    if url is not None and engine not in (None, "sql"):
        raise InputError(URL_NOT_FOR_ENGINE.format(engine=engine))
    engine = "sql" if url is not None else engine
    chosen = choose_engine(data, active, model, [prediction, target, score], engine)
    if chosen is not None:
        given = {"prediction": prediction, "target": target, "score": score}
        given |= {"sensitive": sensitive, "positive_label": positive_label}
        if chosen in ("spark", "duckdb") and isinstance(model, str | os.PathLike):
            from responsible_ai.models import load_model

            given["model_path"] = str(model)
            model = load_model(Path(model), trust_model=trust_model)
        given["model"] = model
        given["url"] = url
        streamed = _audit_streamed(data, loaded, active, given, started, chosen)
        return _submitted(streamed, submit, loaded, data)

    data_path: Path | None = None
    if isinstance(data, str | os.PathLike):
        data_path = Path(data)
        frame = read_table(data_path)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise InputError(
            f"data must be a pandas DataFrame or a CSV/Parquet path; got {type(data).__name__}"
        )

    frame, overrides = _attach_arrays(frame, prediction=prediction, target=target, score=score)
    if sensitive is not None:
        overrides["sensitive"] = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if positive_label is not None:
        overrides["positive_label"] = positive_label
    roles = active.data.model_copy(update=overrides)
    if model is not None and roles.prediction is not None and "prediction" in overrides:
        raise InputError("give either a model or a prediction column, not both")
    if model is not None:
        roles = roles.model_copy(update={"prediction": None})

    model_path: Path | None = None
    if isinstance(model, str | os.PathLike):
        from responsible_ai.models import load_model

        model_path = Path(model)
        model = load_model(model_path, trust_model=trust_model)

    prepared = prepare(
        frame,
        roles,
        model,
        data_path=data_path,
        model_path=model_path,
        group_columns=_grouping_columns(active),
        data_name=data_name,
    )
    if train is not None or roles.train is not None:
        from responsible_ai.robustness.training import load_training_data

        needed = list((prepared.model_source or {}).get("features", [])) + [
            c for c in [roles.target] if c is not None
        ]
        prepared.train, prepared.train_source = load_training_data(
            train, roles.train, loaded, needed
        )
    report = _report(AuditContext(prepared, active), loaded, started)
    return _submitted(report, submit, loaded, data)


def _submitted(report: Report, submit: bool | str, loaded: LoadedPolicy, data: Any) -> Report:
    """The report, recorded for review first when ``submit`` asks for it."""
    if submit is False or submit is None:
        return report
    from responsible_ai.store.submit import collect_provenance, policy_texts

    # A policy given as a dict or object has no file: its validated form is what ran.
    texts = policy_texts(report) if loaded.files else {"<inline>": loaded.policy.model_dump_json()}
    folder = Path(str(data)) if isinstance(data, str | os.PathLike) else None
    report.submit(
        None if submit is True else submit, policy_text=texts, provenance=collect_provenance(folder)
    )
    return report


def _audit_streamed(
    data: Any,
    loaded: LoadedPolicy,
    active: Policy,
    given: dict[str, Any],
    started: float,
    engine: str,
) -> Report:
    """A fairness-only audit from per-group counts computed by an engine (Parquet batches with
    pandas, :mod:`responsible_ai.fairness.parquet`; or DuckDB, :mod:`responsible_ai.engines`)."""
    from responsible_ai.fairness.parquet import groupings, prepare_streamed

    overrides: dict[str, Any] = {
        role: given[role] for role in ("prediction", "target", "score") if given[role] is not None
    }
    if given["sensitive"] is not None:
        sensitive = given["sensitive"]
        overrides["sensitive"] = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if given["positive_label"] is not None:
        overrides["positive_label"] = given["positive_label"]
    roles = active.data.model_copy(update=overrides)
    bys = groupings(active, list(roles.sensitive))
    model, sample = given.get("model"), None
    if engine == "duckdb":
        from responsible_ai.engines.duckdb_engine import count_with_duckdb
        from responsible_ai.engines.sample import explain_sample

        prepared, counts = count_with_duckdb(data, roles, bys, active)
        sample = explain_sample(data, engine, model, roles, active)
    elif engine == "sql":
        from responsible_ai.engines.sql_engine import count_with_sql

        url = given.get("url")
        prepared, counts = count_with_sql(str(data), roles, bys, url=url, policy=active)
    elif engine == "spark":
        from responsible_ai.engines.sample import explain_sample, spark_session_for_run
        from responsible_ai.engines.spark_engine import count_with_spark

        if model is not None:
            roles = roles.model_copy(update={"prediction": None})
        with spark_session_for_run():  # one session for the counts and the sample
            prepared, counts = count_with_spark(data, roles, bys, model=model, policy=active)
            sample = explain_sample(data, engine, model, roles, active)
    else:
        prepared, counts = prepare_streamed(Path(str(data)), roles, bys, policy=active)
    if engine in ("duckdb", "spark") and model is not None:
        from responsible_ai.hashing import sha256_file, sha256_object

        path = given.get("model_path")
        prepared.model = model
        prepared.model_source = {
            "path": path,
            "sha256": sha256_file(path) if path else sha256_object(model),
            "type": f"{type(model).__module__}.{type(model).__qualname__}",
        }
        if sample is not None:
            prepared.model_source["features"] = sample.features
            prepared.notes += sample.notes
    context = AuditContext(prepared, active)
    if sample is not None:  # explain.* checks explain these rows (explain/checks.py)
        context.cached("explain.engine_sample", _constant(sample))
    for key, value in counts.items():
        context.cached(key, _constant(value))
    return _report(context, loaded, started)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _report(context: AuditContext, loaded: LoadedPolicy, started: float) -> Report:
    prepared, active = context.data, context.policy
    findings = evaluate(context)
    report = Report(
        verdict=verdict_of(findings, active),
        checks=findings,
        policy={
            "name": active.name,
            "version": active.version,
            "fail_on": active.fail_on,
            "path": str(loaded.path) if loaded.path else None,
            "files": loaded.files,
        },
        inputs=_inputs(prepared, loaded),
        roles=_roles(prepared),
        data_notes=prepared.notes,
        versions=package_versions(),
        seed=active.seed,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_seconds=round(time.perf_counter() - started, 3),
    )
    report.explanation = context.computed("explain.explanation")
    return report


def _load_policy(
    policy: Policy | LoadedPolicy | dict[str, Any] | PathLike,
    allow_extends_path: Sequence[PathLike],
) -> LoadedPolicy:
    if isinstance(policy, LoadedPolicy):
        return policy
    if isinstance(policy, Policy):
        return LoadedPolicy(policy=policy, path=None)
    if isinstance(policy, dict):
        return LoadedPolicy(policy=policy_from_dict(policy), path=None)
    return load_policy(policy, allow_extends_path=allow_extends_path)


def _attach_arrays(
    frame: pd.DataFrame, **roles: str | Sequence[Any] | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Column names pass through; arrays become columns of the frame (lengths must match)."""
    overrides: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for role, value in roles.items():
        if value is None:
            continue
        if isinstance(value, str):
            overrides[role] = value
            continue
        values = list(value) if not hasattr(value, "__len__") else value
        if len(values) != len(frame):
            raise InputError(
                f"{role} has {len(values)} values but the data has {len(frame)} rows; "
                f"they must have the same length"
            )
        column = f"{_ROLE_ARRAY_PREFIX}{role}"
        extra[column] = pd.Series(values).to_numpy()
        overrides[role] = column
    if extra:
        frame = frame.assign(**extra)
    return frame, overrides


def _grouping_columns(policy: Policy) -> list[str]:
    """Columns named in a check's ``by``: checked to exist and missing values handled up front."""
    columns: list[str] = []
    for check in policy.checks:
        if check.enabled:
            columns += [c for c in check.by_columns or [] if c not in columns]
    return columns


def _inputs(prepared: AuditData, loaded: LoadedPolicy) -> dict[str, Any]:
    return {
        "data": prepared.source,
        "policy": {"path": str(loaded.path), "sha256": loaded.sha256} if loaded.path else None,
        "model": prepared.model_source,
    } | ({"train": prepared.train_source} if prepared.train_source else {})


def _roles(prepared: AuditData) -> dict[str, Any]:
    roles = prepared.roles.model_dump()
    positive = roles.get("positive_label")
    if positive is not None and not isinstance(positive, str | int | float | bool):
        roles["positive_label"] = str(positive)
    return roles


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages whose behaviour shapes the numbers."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    names = ("responsible-ai", "numpy", "pandas", "scikit-learn", "fairlearn", "scipy")
    for name in (*names, "adversarial-robustness-toolbox"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions
