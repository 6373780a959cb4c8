"""The policy's ``monitoring:`` rules, applied to the windows: one finding per rule.

A rule that fires is ``fail`` (or ``warn`` below the policy's ``fail_on``, as checks are); one that
does not is ``pass``; one that cannot be computed on any window is ``error``, never a pass. The
evidence names the window the alert fired in, and the values behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from responsible_ai.checker.findings import Finding, Status
from responsible_ai.errors import InputError
from responsible_ai.fairness.catalog import GROUP_METRICS

if TYPE_CHECKING:
    from responsible_ai.monitor.evaluate import WindowCheck
    from responsible_ai.monitor.sequential import SequentialResult
    from responsible_ai.monitor.settings import DriftRule, SequentialRule, ThresholdRule
    from responsible_ai.policy.schema import Policy

__all__ = ["UNKNOWN_CHECK", "alert_findings", "sequential_inputs"]

UNKNOWN_CHECK = (
    "monitoring.thresholds rule {rule!r} names check {check!r}, which is not a check of the "
    "policy computed from counts; checks: {known}"
)
_SHOWN = 30


def _status(fired: bool, severity: str, policy: Policy) -> Status:
    from responsible_ai.policy.schema import severity_rank

    if not fired:
        return "pass"
    return cast(
        "Status", "fail" if severity_rank(severity) >= severity_rank(policy.fail_on) else "warn"
    )


def _runs(flags: list[bool | None]) -> list[tuple[int, int]]:
    """(start, end) index of every run of True (None breaks a run, like False)."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _threshold(
    rule: ThresholdRule,
    items: list[WindowCheck],
    windows: list[dict[str, Any]],
    policy: Policy,
    full: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[Finding]:
    matched = [i for i in items if i.check.id == rule.check]
    if not matched:
        known = ", ".join(sorted({i.check.id for i in items})) or "(none)"
        raise InputError(UNKNOWN_CHECK.format(rule=rule.id, check=rule.check, known=known))
    findings = []
    for item in matched:
        check = item.check
        severity = rule.severity or check.severity
        results = [w["checks"][item.id] for w in windows]
        statuses = [r["status"] for r in results]
        name = rule.id if len(matched) == 1 else f"{rule.id}[{','.join(item.by)}]"
        base: dict[str, Any] = {
            "id": name,
            "metric": check.metric,
            "severity": severity,
            "by": item.by,
            "reference": check.reference,
            "rationale": check.rationale,
            "operator": check.must.operator,
            "threshold": check.must.threshold,
        }
        if not any(s in ("pass", "fail") for s in statuses):
            reasons = sorted({str(r.get("reason")) for r in results})
            message = f"{item.id} could not be computed in any window: {'; '.join(reasons)}"
            findings.append(Finding(status="error", message=message, **base))
            continue
        runs = [
            r for r in _runs([s == "fail" for s in statuses]) if r[1] - r[0] + 1 >= rule.consecutive
        ]
        fired = bool(runs)
        last = next(r for r in reversed(results) if r["value"] is not None)
        value = last["value"]
        evidence: dict[str, Any] = {
            "consecutive": rule.consecutive,
            "windows_failed": statuses.count("fail"),
            "windows_computed": sum(s in ("pass", "fail") for s in statuses),
            "values": {
                w["window"]: r["value"]
                for w, r in list(zip(windows, results, strict=True))[-_SHOWN:]
            },
        }
        if fired:
            start = runs[0][0]
            at = windows[start + rule.consecutive - 1]
            alert = full(at)["checks"][item.id]  # with its per-group rates
            value = alert["value"]
            evidence.update(
                {
                    "alert_window": at["window"],
                    "first_failing_window": windows[start]["window"],
                    "runs": [[windows[a]["window"], windows[b]["window"]] for a, b in runs],
                    "group_rates": alert["groups"],
                }
            )
            message = (
                f"{item.id} failed {check.must} in {rule.consecutive} consecutive windows, "
                f"first from {windows[start]['window']}; alert in window {at['window']} "
                f"(value {value:.4g})"
            )
        else:
            message = (
                f"{item.id} never failed {check.must} in {rule.consecutive} consecutive windows "
                f"({evidence['windows_failed']} failing window(s) of "
                f"{evidence['windows_computed']})"
            )
        status = _status(fired, severity, policy)
        findings.append(
            Finding(status=status, value=value, message=message, evidence=evidence, **base)
        )
    return findings


def _drift(rule: DriftRule, windows: list[dict[str, Any]], policy: Policy) -> Finding:
    settings = policy.monitoring
    assert settings is not None
    features = rule.features or settings.features
    per_feature: dict[str, Any] = {}
    alerted = []
    computed = 0
    for feature in features:
        results = [w["drift"].get(feature) for w in windows]
        computed += sum(r is not None for r in results)
        flags = [None if r is None else bool(r["drifted"]) for r in results]
        runs = [r for r in _runs(flags) if r[1] - r[0] + 1 >= rule.consecutive]
        done = [r for r in results if r is not None]
        entry: dict[str, Any] = {
            "method": done[0]["method"] if done else None,
            "windows_drifted": sum(bool(f) for f in flags),
            "windows_computed": len(done),
        }
        if runs:
            at = runs[0][0] + rule.consecutive - 1
            entry.update(
                {
                    "alert_window": windows[at]["window"],
                    "first_drifted_window": windows[runs[0][0]]["window"],
                    "score": results[at]["score"],
                    "threshold": results[at]["threshold"],
                }
            )
            alerted.append(feature)
        per_feature[feature] = entry
    base: dict[str, Any] = {
        "id": rule.id,
        "metric": "monitor.drift",
        "severity": rule.severity,
        "by": None,
    }
    if not computed:
        message = (
            f"drift of {', '.join(features)} could not be computed in any window (no reference?)"
        )
        return Finding(status="error", message=message, **base)
    first = min(alerted, key=lambda f: per_feature[f]["alert_window"]) if alerted else ""
    if alerted:
        message = (
            f"drift in {', '.join(alerted)} for {rule.consecutive} consecutive window(s); first "
            f"{first} ({per_feature[first]['method']}) in window "
            f"{per_feature[first]['alert_window']}"
        )
    else:
        message = (
            f"no drift in {len(features)} column(s) for {rule.consecutive} consecutive window(s)"
        )
    return Finding(
        status=_status(bool(alerted), rule.severity, policy),
        value=float(len(alerted)),
        operator="==",
        threshold=0.0,
        message=message,
        evidence={
            "consecutive": rule.consecutive,
            "alerted": alerted,
            "features": per_feature,
            **({"alert_window": per_feature[first]["alert_window"]} if alerted else {}),
        },
        **base,
    )


def sequential_inputs(
    rule: SequentialRule, windows: list[dict[str, Any]], counts: Any
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Each window's numerator and denominator of ``rule.metric`` per group of ``rule.by``."""
    from responsible_ai.monitor.performance import window_counts

    spec = GROUP_METRICS[rule.metric]
    labelled = "target" in spec.needs
    # One count over (window, group) for every window at once, not one per window.
    grouped = window_counts(counts.groups, ["window", rule.by], labelled=labelled)
    hits: dict[str, dict[str, float]] = {}
    sizes: dict[str, dict[str, float]] = {}
    if grouped is not None:
        cells = grouped.row_cells
        numerator = np.sum([cells[c] for c in spec.numerator], axis=0).tolist()
        denominator = np.sum([cells[c] for c in spec.denominator], axis=0).tolist()
        for (name, group), h, n in zip(grouped.groups, numerator, denominator, strict=True):
            label = str(group)  # GroupCounts.labels of the one column rule.by
            hits.setdefault(str(name), {})[label] = float(h)
            sizes.setdefault(str(name), {})[label] = float(n)
    names = [w["window"] for w in windows]
    return [hits.get(n, {}) for n in names], [sizes.get(n, {}) for n in names]


def _sequential(rule: SequentialRule, result: SequentialResult, policy: Policy) -> Finding:
    alarm = result.alarm
    base: dict[str, Any] = {
        "id": rule.id,
        "metric": f"monitor.sequential.{rule.metric}",
        "severity": rule.severity,
        "by": [rule.by],
        "operator": "<",
        "threshold": result.threshold,
    }
    best = result.best()
    if best is None or not result.computed:
        message = f"no window has two groups of {rule.by!r} to compare"
        return Finding(status="error", message=message, **base)
    shown = alarm or best
    evidence: dict[str, Any] = {
        "test": "betting e-process, sub-Gaussian bets per window (anytime-valid)",
        "tolerance": rule.tolerance,
        "alpha": rule.alpha,
        "pair": [shown.high, shown.low],
        "log_wealth_boundary": result.threshold,
        # The whole path: the dashboard draws it against its boundary.
        "log_wealth": dict(zip(shown.windows, shown.log_wealth, strict=True)),
        "gaps": dict(zip(shown.windows, shown.gaps, strict=True)),
    }
    if alarm is not None:
        at = alarm.windows.index(str(alarm.alarm_window))
        value = alarm.log_wealth[at]
        evidence["alert_window"] = alarm.alarm_window
        message = (
            f"{rule.metric} of {alarm.high!r} exceeds {alarm.low!r}'s by more than "
            f"{rule.tolerance:g}: the sequential test crossed its boundary in window "
            f"{alarm.alarm_window} (false-alarm chance <= {rule.alpha:g} over all windows)"
        )
    else:
        value = max(best.log_wealth, default=0.0)
        message = (
            f"no evidence that a {rule.metric} gap by {rule.by} exceeds {rule.tolerance:g} "
            f"(largest log wealth {value:.3g} < {result.threshold:.3g})"
        )
    return Finding(
        status=_status(alarm is not None, rule.severity, policy),
        value=float(value),
        message=message,
        evidence=evidence,
        **base,
    )


def alert_findings(
    policy: Policy,
    items: list[WindowCheck],
    windows: list[dict[str, Any]],
    sequential: dict[str, SequentialResult],
    full: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> list[Finding]:
    """One finding per rule of ``policy.monitoring``, in the policy's order.

    ``full``: a window of ``windows`` with its per-group numbers, when ``windows`` may hold
    only what the rules read (see :attr:`MonitorState.entries`)."""
    settings = policy.monitoring
    assert settings is not None
    findings: list[Finding] = []
    for rule in settings.thresholds:
        findings += _threshold(rule, items, windows, policy, full or (lambda w: w))
    findings += [_drift(rule, windows, policy) for rule in settings.drift]
    findings += [_sequential(r, sequential[r.id], policy) for r in settings.sequential]
    return findings
