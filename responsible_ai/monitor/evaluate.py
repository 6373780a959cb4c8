"""Everything measured per window: the policy's fairness checks, drift per column, performance.

All of it from the window's counts (:mod:`~responsible_ai.monitor.windows`); each window's result is
plain JSON-ready data, so that it can be stored, served and drawn as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.fairness.catalog import DISPARITIES, GROUP_METRICS
from responsible_ai.fairness.rates import compare, group_rate
from responsible_ai.monitor.drift import drift
from responsible_ai.monitor.performance import estimate_performance, window_counts

if TYPE_CHECKING:
    from responsible_ai.monitor.profile import FeatureProfile, ReferenceProfile
    from responsible_ai.monitor.windows import WindowCounts
    from responsible_ai.policy.schema import Check, Policy

__all__ = ["WindowCheck", "evaluate_windows", "window_checks"]

NO_GROUPS = "fewer than 2 groups with at least {size} row(s)"
NO_LABELS = "no labels yet"
UNSUPPORTED_METHOD = (
    "method {method!r} is not monitored per window (use between_groups or to_overall)"
)


@dataclass(frozen=True)
class WindowCheck:
    """One check of the policy, evaluated per window: its id (``id[by]`` when expanded)."""

    id: str
    check: Check
    by: list[str]

    @property
    def needs_labels(self) -> bool:
        return any(
            "target" in GROUP_METRICS[m].needs for m in DISPARITIES[self.check.metric].group_metrics
        )


def window_checks(policy: Policy) -> tuple[list[WindowCheck], list[str]]:
    """The checks that derive from per-group counts (expanded over sensitive columns), and a
    note for each one left out."""
    found: list[WindowCheck] = []
    notes: list[str] = []
    for check in policy.checks:
        if not check.enabled:
            continue
        disparity = DISPARITIES.get(check.metric)
        if disparity is None or not all(
            GROUP_METRICS[m].kind in ("rate", "mean_of") for m in disparity.group_metrics
        ):
            notes.append(
                f"check {check.id!r} ({check.metric}) is not computed from counts: not monitored"
            )
            continue
        bys = [check.by_columns] if check.by_columns else [[c] for c in policy.data.sensitive]
        for by in bys:
            name = check.id if check.by_columns or len(bys) == 1 else f"{check.id}[{by[0]}]"
            found.append(WindowCheck(name, check, by))
    return found, notes


def _labels(counts: Any) -> list[str]:
    return list(counts.labels)


def _check_value(
    table: pd.DataFrame, item: WindowCheck, min_size: int, confidence: float
) -> dict[str, Any]:
    from responsible_ai.fairness.simultaneous import wilson_intervals

    counts = window_counts(table, item.by, labelled=item.needs_labels)
    if counts is None:
        return {"value": None, "status": "insufficient_evidence", "reason": NO_LABELS, "groups": {}}
    disparity = DISPARITIES[item.check.metric]
    method = str(item.check.params.get("method", "between_groups"))
    sizes = counts.group_rows
    usable = sizes >= min_size
    groups: dict[str, Any] = {}
    values = []
    for metric in disparity.group_metrics:
        rates = group_rate(counts.cells, metric)
        low, high = wilson_intervals(counts, metric, confidence)
        groups[metric] = {
            label: [_num(r), _num(lo), _num(hi), int(n)]
            for label, r, lo, hi, n in zip(_labels(counts), rates, low, high, sizes, strict=True)
        }
        if method not in ("between_groups", "to_overall"):
            return {
                "value": None,
                "status": "error",
                "reason": UNSUPPORTED_METHOD.format(method=method),
                "groups": groups,
            }
        overall = group_rate(counts.overall().cells, metric)[0]
        defined = rates[usable]
        if int((~np.isnan(defined)).sum()) < 2:
            values.append(np.nan)
            continue
        values.append(float(compare(defined, disparity.comparison, method, overall)))
    worst = _worst(values, disparity.comparison)
    if worst is None:
        reason = NO_GROUPS.format(size=min_size)
        return {
            "value": None,
            "status": "insufficient_evidence",
            "reason": reason,
            "groups": groups,
        }
    status = "pass" if item.check.must.holds(worst) else "fail"
    return {"value": worst, "status": status, "groups": groups}


def _worst(values: list[float], comparison: str) -> float | None:
    defined = [v for v in values if not np.isnan(v)]
    if len(defined) < len(values) or not defined:
        return None
    return min(defined) if comparison in ("ratio", "group_min") else max(defined)


def _num(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _drift_of(
    profile: FeatureProfile,
    bins_at: np.ndarray,
    rows_at: np.ndarray,
    sums_at: np.ndarray,
    method: str,
    threshold: float | None,
) -> dict[str, Any] | None:
    from responsible_ai.monitor.reading import MISSING

    present = bins_at != MISSING
    if rows_at[present].sum() == 0:
        return None
    cur_rows = dict(zip(bins_at[present].tolist(), rows_at[present].tolist(), strict=True))
    cur_sums = dict(zip(bins_at[present].tolist(), sums_at[present].tolist(), strict=True))
    names = set(profile.counts) | set(cur_rows)
    bins = sorted(names, key=int) if profile.kind == "numeric" else sorted(names)
    ref = np.array([profile.counts.get(b, 0) for b in bins], dtype=float)
    cur = np.array([cur_rows.get(b, 0) for b in bins], dtype=float)
    ref_at = np.array([profile.sums.get(b, 0.0) for b in bins]) / np.maximum(ref, 1)
    cur_at = np.array([cur_sums.get(b, 0.0) for b in bins]) / np.maximum(cur, 1)
    result = drift(method, profile.kind, bins, ref, cur, ref_at, cur_at, threshold)
    return {
        "method": result.method,
        "score": result.score,
        "threshold": result.threshold,
        "drifted": result.drifted,
        "missing": int(rows_at[~present].sum()),
    }


def _feature_arrays(features: pd.DataFrame) -> dict[tuple[str, str], tuple[Any, Any, Any]]:
    """``(window, feature) -> (bins, rows, value sums)`` as NumPy arrays, in one pass."""
    if len(features) == 0:
        return {}
    ordered = features.sort_values(["window", "feature"], kind="stable")
    keys = list(zip(ordered["window"].astype(str), ordered["feature"].astype(str), strict=True))
    bins = ordered["bin"].astype(str).to_numpy(dtype=object)
    rows = ordered["rows"].to_numpy(dtype=float)
    sums = ordered["value_sum"].to_numpy(dtype=float)
    out: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            out[keys[start]] = (bins[start:i], rows[start:i], sums[start:i])
            start = i
    return out


def evaluate_windows(
    counts: WindowCounts,
    policy: Policy,
    profile: ReferenceProfile | None,
    checks: list[WindowCheck],
) -> list[dict[str, Any]]:
    """One JSON-ready dict per window: rows, checks, drift, performance per group."""
    settings = policy.monitoring
    assert settings is not None
    methods = _drift_methods(policy)
    min_size = policy.fairness.min_group_size
    confidence = policy.fairness.confidence
    groups, scores = _plain_text(counts.groups), _plain_text(counts.scores)
    by_window = {name: part for name, part in groups.groupby("window", sort=False)}
    scores_by = {name: part for name, part in scores.groupby("window", sort=False)}
    features_by = _feature_arrays(counts.features)
    results = []
    for name in counts.windows:
        table = by_window.get(name, groups.iloc[:0])
        rows = int(table["rows"].sum())
        labelled = int(table.loc[table["actual"] >= 0, "rows"].sum())
        result: dict[str, Any] = {"window": name, "rows": rows, "labelled": labelled}
        result["checks"] = {c.id: _check_value(table, c, min_size, confidence) for c in checks}
        result["drift"] = {}
        if profile is not None:
            for feature, (method, threshold) in methods.items():
                part = features_by.get((name, feature))
                if part is not None and feature in profile.features:
                    result["drift"][feature] = _drift_of(
                        profile.features[feature], *part, method, threshold
                    )
        result["performance"] = _performance(
            table, scores_by.get(name), policy, profile, confidence
        )
        results.append(result)
    return results


def _plain_text(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: many small per-window selections are faster on them
    than on Arrow-backed strings."""
    table = table.copy()
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]) or table[column].dtype == object:
            table[column] = table[column].astype(object)
    return table


def _drift_methods(policy: Policy) -> dict[str, tuple[str, float | None]]:
    """Each watched column's method and threshold: the first drift rule naming it wins."""
    settings = policy.monitoring
    assert settings is not None
    chosen: dict[str, tuple[str, float | None]] = {}
    for rule in settings.drift:
        for feature in rule.features or settings.features:
            chosen.setdefault(feature, (rule.method, rule.threshold))
    for feature in settings.features:
        chosen.setdefault(feature, ("auto", None))
    return chosen


def _performance(
    table: pd.DataFrame,
    scores: pd.DataFrame | None,
    policy: Policy,
    profile: ReferenceProfile | None,
    confidence: float,
) -> dict[str, Any]:
    settings = policy.monitoring
    assert settings is not None
    out: dict[str, Any] = {}
    calibration = profile.calibration if profile is not None else None
    for column in policy.data.sensitive:
        realised = window_counts(table, [column], labelled=True)
        per_metric: dict[str, Any] = {}
        for metric in settings.estimated_performance:
            groups: dict[str, Any] = {}
            if realised is not None:
                rates = group_rate(realised.cells, metric)
                for label, rate, n in zip(realised.labels, rates, realised.group_rows, strict=True):
                    groups[label] = {"realised": _num(rate), "labelled": int(n)}
            estimate = (
                None
                if scores is None
                else estimate_performance(scores, [column], metric, calibration, confidence)
            )
            if estimate is not None:
                for i, label in enumerate(estimate.groups):
                    groups.setdefault(label, {"realised": None, "labelled": 0})
                    groups[label].update(
                        {
                            "estimated": _num(estimate.value[i]),
                            "low": _num(estimate.low[i]),
                            "high": _num(estimate.high[i]),
                        }
                    )
            per_metric[metric] = groups
        out[column] = per_metric
    return out
