"""Build candidate models (method x setting), audit each with the policy, choose one.

Every candidate refits the model's pipeline on the same training split and is audited on the same
held-out split with the same policy through :func:`responsible_ai.audit` (the same checker, the
same intervals). The original pipeline, refit on the training split, is audited the same way and
is what the cost is measured against. The chosen candidate passes the policy (or the checks of
``mitigation.checks``) and loses the least of the policy's performance metric; a method that
reads the sensitive attribute at decision time is never chosen when the policy forbids it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.mitigate.candidates import (
    ORIGINAL,
    Candidate,
    Trial,
    candidate_trials,
    model_features,
    run_trial,
    unfitted,
)
from responsible_ai.mitigate.choice import blockers, choose, passes, primary_finding
from responsible_ai.mitigate.methods import METHODS, constraint_for_metric
from responsible_ai.policy.loader import LoadedPolicy

__all__ = [
    "Candidate",
    "MitigationResult",
    "Trial",
    "candidate_trials",
    "choose",
    "run_trial",
    "search",
]

NO_TARGET = (
    "mitigation needs the true outcome: set data.target in the policy (a column of the data)"
)
NO_POSITIVE = "mitigation needs the favourable outcome: set data.positive_label in the policy"
UNKNOWN_CHECKS = (
    "mitigation.checks names {ids}, which the policy does not have; its checks: {known}"
)
TOO_FEW_ROWS = (
    "the held-out split has {rows} rows; mitigation needs at least 20 (more data, or a larger "
    "mitigation.test_size)"
)
UNKNOWN_METHODS = "unknown mitigation method(s) {names}; choose from {known}"


@dataclass
class MitigationResult:
    """Every candidate, the original, the choice and why."""

    original: Candidate
    candidates: list[Candidate]
    chosen: Candidate | None
    required: list[str] | None
    unmet: list[str]
    blockers: dict[str, int]
    tried: int
    metric: str
    constraint: str | None
    by: list[str]
    split: dict[str, Any]
    primary_check: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _split(
    frame: pd.DataFrame, target: str, by: list[str], test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    from responsible_ai.mitigate._base import group_labels

    strata = group_labels(frame, [*by, target])
    counts = strata.map(strata.value_counts())
    # strata with a single row cannot be split; they go with the rest unstratified
    stratify: pd.Series | None = strata.where(counts >= 2, "(rare)")
    if stratify is not None and (stratify.value_counts() < 2).any():
        stratify = None
    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=stratify)
    if len(test) < 20:
        raise InputError(TOO_FEW_ROWS.format(rows=len(test)))
    return train, test


def search(
    data: pd.DataFrame,
    loaded: LoadedPolicy,
    model: Any,
    *,
    methods: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    n_jobs: int = 1,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> MitigationResult:
    """Try every method and setting; audit each candidate; choose one.

    Parameters
    ----------
    data : DataFrame
        Features, target and sensitive columns.
    loaded : LoadedPolicy
        The policy (``mitigation:`` section for methods, grid, metric, split, seed).
    model : estimator
        The model whose pipeline is refit (fitted or not; only its parameters are used).
    methods, checks : list of str, optional
        Override ``mitigation.methods`` / ``mitigation.checks``.
    n_jobs : int, default 1
        Candidates fitted and audited in parallel (one core each).
    progress : bool, default False
        Show a tqdm progress bar (on a terminal).
    on_progress : callable, optional
        Called with (candidates done, candidates in all) after each one (the app's bar).

    Returns
    -------
    MitigationResult
    """
    from responsible_ai.mitigate.comparison import score_candidates

    started = time.perf_counter()
    policy = loaded.policy
    settings = policy.mitigation
    roles = policy.data
    if not roles.target or roles.target not in data.columns:
        raise InputError(NO_TARGET)
    if roles.positive_label is None:
        raise InputError(NO_POSITIVE)
    seed = settings.seed if settings.seed is not None else policy.seed
    required = list(checks) if checks is not None else settings.checks
    if required is not None:
        known = [c.id for c in policy.checks]
        unknown = [c for c in required if c not in known]
        if unknown:
            raise InputError(UNKNOWN_CHECKS.format(ids=", ".join(unknown), known=", ".join(known)))
    features = model_features(model, loaded)
    base = unfitted(model)
    split_by = list(dict.fromkeys(roles.sensitive))
    train, test = _split(data, roles.target, split_by, settings.test_size, seed)
    columns: dict[str, Any] = {
        "target": roles.target,
        "positive": roles.positive_label,
        "features": features,
        "seed": seed,
        "deterministic": settings.deterministic,
        "by": split_by,
    }
    original = run_trial(Trial(ORIGINAL, None, None), base, train, test, columns, loaded)
    if original.report is None:
        raise InputError(
            f"the model's pipeline cannot be refit on the training split: {original.error}"
        )
    primary = primary_finding(original.report, loaded, required)
    constraint = settings.constraint or (constraint_for_metric(primary.metric) if primary else None)
    by_setting = settings.by
    by = [by_setting] if isinstance(by_setting, str) else list(by_setting or [])
    if not by:
        by = list(primary.by) if primary is not None and primary.by else split_by
    missing = [c for c in by if c not in data.columns]
    if missing:
        raise InputError(f"mitigation.by names column(s) {missing} that the data does not have")
    columns["by"] = by
    if methods is None and settings.methods is None:  # default: every method the policy allows
        permitted = settings.allow_sensitive_at_decision
        methods = [m for m in METHODS if permitted or not METHODS[m].uses_sensitive_at_decision]
    chosen_methods = list(methods if methods is not None else settings.methods or [])
    unknown = [m for m in chosen_methods if m not in METHODS]
    if unknown:
        raise InputError(UNKNOWN_METHODS.format(names=", ".join(unknown), known=", ".join(METHODS)))
    trials = candidate_trials(
        chosen_methods,
        {k: list(v) for k, v in settings.grid.items()},
        constraint or "demographic_parity",
    )
    candidates = _run_all(trials, base, train, test, columns, loaded, n_jobs, progress, on_progress)
    for candidate in [original, *candidates]:
        if candidate.trial.method != ORIGINAL:
            candidate.uses_sensitive_at_decision = METHODS[
                candidate.trial.method
            ].uses_sensitive_at_decision
        candidate.forbidden = (
            candidate.uses_sensitive_at_decision and not settings.allow_sensitive_at_decision
        )
        candidate.passes = candidate.report is not None and passes(candidate.report, required)
    score_candidates(
        original,
        candidates,
        test[roles.target].to_numpy() == roles.positive_label,
        settings.metric,
        policy.fairness,
        seed,
    )
    chosen = choose(candidates)
    allowed = [c for c in candidates if not c.forbidden]
    blocked = {} if chosen else blockers(allowed, required, policy.fail_on)
    unmet = [name for name, count in blocked.items() if count == len(allowed)]
    return MitigationResult(
        original=original,
        candidates=candidates,
        chosen=chosen,
        required=required,
        unmet=unmet,
        blockers=blocked,
        tried=len(allowed),
        metric=settings.metric,
        constraint=constraint,
        by=by,
        split={
            "train_rows": len(train),
            "test_rows": len(test),
            "test_size": settings.test_size,
            "seed": seed,
            "stratified_by": [*split_by, roles.target],
        },
        primary_check=primary.id if primary is not None else None,
        settings=settings.model_dump(),
        seconds=round(time.perf_counter() - started, 3),
    )


def _run_all(
    trials: list[Trial],
    base: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: dict[str, Any],
    loaded: LoadedPolicy,
    n_jobs: int,
    progress: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    from joblib import Parallel, delayed
    from tqdm import tqdm

    jobs = (delayed(run_trial)(t, base, train, test, columns, loaded) for t in trials)
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    bar = tqdm(
        runner(jobs),
        total=len(trials),
        desc="candidates",
        unit="model",
        disable=not progress,
        leave=False,
    )
    done: list[Candidate] = []
    for candidate in bar:
        done.append(candidate)
        if on_progress is not None:
            on_progress(len(done), len(trials))
    return done
