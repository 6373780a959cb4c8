"""Candidates: one method x setting, built around the model's pipeline, fitted on the training
split and audited on the held-out split (the original pipeline, refit, is one too)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.mitigate.methods import METHODS
from responsible_ai.policy.loader import LoadedPolicy
from responsible_ai.report.model import Report

__all__ = [
    "NOT_CLONABLE",
    "NO_FEATURES",
    "ORIGINAL",
    "Candidate",
    "Trial",
    "candidate_trials",
    "model_features",
    "run_trial",
    "unfitted",
]

NO_FEATURES = (
    "cannot tell which columns the model takes: it has no feature_names_in_; fit it on a "
    "DataFrame, or set data.features in the policy"
)
NOT_CLONABLE = (
    "the model cannot be refit ({problem}); mitigation refits the model's own pipeline, so "
    "give a scikit-learn estimator or Pipeline"
)
ORIGINAL = "original"


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


def model_features(model: Any, loaded: LoadedPolicy) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(c) for c in names]
    if loaded.policy.data.features:
        return list(loaded.policy.data.features)
    raise InputError(NO_FEATURES)


def unfitted(model: Any) -> Any:
    from sklearn.base import clone

    try:
        return clone(model)
    except Exception as exc:  # not an estimator: a clear input error, not a crash
        raise InputError(NOT_CLONABLE.format(problem=f"{type(exc).__name__}: {exc}")) from None


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
        estimator, inputs = unfitted(base), features
    else:
        method = METHODS[trial.method]
        build = method.build(
            unfitted(base),
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
