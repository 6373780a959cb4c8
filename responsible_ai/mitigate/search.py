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

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.mitigate.methods import METHODS, constraint_for_metric
from responsible_ai.policy.loader import LoadedPolicy
from responsible_ai.policy.schema import severity_rank
from responsible_ai.report.model import Report

__all__ = [
    "Candidate",
    "MitigationResult",
    "Trial",
    "candidate_trials",
    "choose",
    "run_trial",
    "search",
]

NO_TARGET = "mitigation needs the true outcome: set data.target in the policy (or --target)"
NO_POSITIVE = "mitigation needs the favourable outcome: set data.positive_label in the policy"
NO_FEATURES = (
    "cannot tell which columns the model takes: it has no feature_names_in_; fit it on a "
    "DataFrame, or set data.features in the policy"
)
NOT_CLONABLE = (
    "the model cannot be refit ({problem}); mitigation refits the model's own pipeline, so "
    "give a scikit-learn estimator or Pipeline"
)
UNKNOWN_CHECKS = (
    "mitigation.checks names {ids}, which the policy does not have; its checks: {known}"
)
TOO_FEW_ROWS = (
    "the held-out split has {rows} rows; mitigation needs at least 20 (more data, or a larger "
    "mitigation.test_size)"
)
ORIGINAL = "original"
UNKNOWN_METHODS = "unknown mitigation method(s) {names}; choose from {known}"


@dataclass(frozen=True)
class Trial:
    """One candidate to build: a method, its setting and constraint."""

    method: str
    setting: float | None
    constraint: str | None

    @property
    def name(self) -> str:
        if self.method == ORIGINAL:
            return ORIGINAL
        knob = METHODS[self.method].knob
        setting = "exact" if self.setting is None else f"{knob}={self.setting:g}"
        constraint = f", {self.constraint}" if self.constraint else ""
        return f"{self.method}({setting}{constraint})"


@dataclass
class Candidate:
    """A fitted candidate and its audit on the held-out split."""

    trial: Trial
    model: Any
    report: Report | None
    predictions: np.ndarray | None
    fit_seconds: float
    error: str | None = None
    uses_sensitive_at_decision: bool = False
    forbidden: bool = False
    passes: bool = False
    performance: float | None = None
    cost: dict[str, Any] | None = None
    report_rows: Any = None  # index of the held-out rows the report audited


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


def _features(model: Any, loaded: LoadedPolicy) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(c) for c in names]
    if loaded.policy.data.features:
        return list(loaded.policy.data.features)
    raise InputError(NO_FEATURES)


def _unfitted(model: Any) -> Any:
    from sklearn.base import clone

    try:
        return clone(model)
    except Exception as exc:  # not an estimator: a clear input error, not a crash
        raise InputError(NOT_CLONABLE.format(problem=f"{type(exc).__name__}: {exc}")) from None


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


def _primary(report: Report, loaded: LoadedPolicy, required: list[str] | None) -> Any:
    """The first blocking fairness finding the original does not pass (else the first one)."""
    policy = loaded.policy
    fairness = [
        f for f in report.checks if f.metric.startswith("fairness.") and f.status != "skipped"
    ]
    if required is not None:
        fairness = [f for f in fairness if _check_id(f.id) in required] or fairness

    def blocking(finding: Any) -> bool:
        return severity_rank(finding.severity) >= severity_rank(policy.fail_on)

    # a blocking failure first, then blocking lack of evidence, then any non-pass, then any
    ordered = (
        [f for f in fairness if blocking(f) and f.status in ("fail", "error")]
        + [f for f in fairness if blocking(f) and f.status == "insufficient_evidence"]
        + [f for f in fairness if f.status != "pass"]
        + fairness
    )
    for finding in ordered:
        if constraint_for_metric(finding.metric) is not None:
            return finding
    return fairness[0] if fairness else None


def _check_id(finding_id: str) -> str:
    return finding_id.split("[", 1)[0]


def candidate_trials(
    methods: Sequence[str], grid: dict[str, list[float]], constraint: str | None
) -> list[Trial]:
    """Method x setting (x the constraint, for methods that enforce one)."""
    trials: list[Trial] = []
    for name in methods:
        method = METHODS[name]
        settings = grid.get(name) or list(method.defaults)
        if method.constraints:
            usable = constraint if constraint in method.constraints else method.constraints[0]
            if constraint is not None and constraint not in method.constraints:
                # the nearest constraint the method can enforce: equal opportunity for odds
                usable = (
                    "true_positive_rate_parity"
                    if "true_positive_rate_parity" in method.constraints
                    else usable
                )
        else:
            usable = None
        if name == "threshold_optimizer" and usable == "equalized_odds":
            # fairlearn has no relaxed (tolerance) version of equalized odds: one exact candidate
            trials.append(Trial(name, None, usable))
            continue
        trials += [Trial(name, float(value), usable) for value in settings]
    return trials


def run_trial(
    trial: Trial,
    base: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: dict[str, Any],
    loaded: LoadedPolicy,
) -> Candidate:
    """Fit one candidate on the training split and audit it on the held-out split."""
    from threadpoolctl import threadpool_limits

    from responsible_ai.auditing import audit

    target, positive, features, by = (columns[k] for k in ("target", "positive", "features", "by"))
    seed = columns["seed"]
    if trial.method == ORIGINAL:
        estimator, inputs = _unfitted(base), features
    else:
        method = METHODS[trial.method]
        build = method.build(
            _unfitted(base),
            by,
            trial.constraint,
            trial.setting,
            positive,
            seed,
            columns["deterministic"],
        )
        estimator, inputs = build, list(dict.fromkeys([*features, *by]))
    started = time.perf_counter()
    try:
        with threadpool_limits(limits=1):  # one core per candidate: they run side by side
            estimator.fit(train[inputs], train[target])
    except Exception as exc:
        seconds = time.perf_counter() - started
        return Candidate(trial, None, None, None, seconds, error=f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    report = audit(test, loaded, model=estimator)
    predictions = (
        np.asarray(estimator.predict(test[list(estimator.feature_names_in_)]) == positive)
        if hasattr(estimator, "feature_names_in_")
        else None
    )
    return Candidate(trial, estimator, report, predictions, seconds, report_rows=test.index)


def _passes(report: Report, required: list[str] | None) -> bool:
    if required is None:
        return report.passed
    wanted = [f for f in report.checks if _check_id(f.id) in required]
    return bool(wanted) and all(f.status == "pass" for f in wanted)


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
    features = _features(model, loaded)
    base = _unfitted(model)
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
    primary = _primary(original.report, loaded, required)
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
        candidate.passes = candidate.report is not None and _passes(candidate.report, required)
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
    blockers = {} if chosen else _blockers(allowed, required, policy.fail_on)
    unmet = [name for name, count in blockers.items() if count == len(allowed)]
    return MitigationResult(
        original=original,
        candidates=candidates,
        chosen=chosen,
        required=required,
        unmet=unmet,
        blockers=blockers,
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


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    """The passing, allowed candidate with the smallest cost (the first of equals), or None.

    A forbidden candidate (sensitive attribute at decision time where the policy forbids it) is
    never chosen, however well it does.
    """
    eligible = [c for c in candidates if c.passes and not c.forbidden and c.cost is not None]
    if not eligible:
        return None
    return min(eligible, key=lambda c: float(c.cost["value"]) if c.cost else np.inf)


def _blocks(finding: Any, required: list[str] | None, fail_on: str) -> bool:
    """Whether this finding keeps its candidate from being chosen."""
    if required is not None:
        return _check_id(finding.id) in required and finding.status != "pass"
    if finding.status in ("fail", "error"):
        return True
    blocking = severity_rank(finding.severity) >= severity_rank(fail_on)
    return finding.status == "insufficient_evidence" and blocking


def _blockers(
    candidates: list[Candidate], required: list[str] | None, fail_on: str
) -> dict[str, int]:
    """For each finding that keeps some allowed candidate from being chosen: how many it keeps."""
    counts: dict[str, int] = {}
    for candidate in candidates:
        if candidate.report is None:
            counts["(fit failed)"] = counts.get("(fit failed)", 0) + 1
            continue
        for finding in candidate.report.checks:
            if _blocks(finding, required, fail_on):
                counts[finding.id] = counts.get(finding.id, 0) + 1
        if required is not None:  # a required check the candidate's audit did not produce
            produced = {_check_id(f.id) for f in candidate.report.checks}
            for check_id in required:
                if check_id not in produced:
                    counts[check_id] = counts.get(check_id, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


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
