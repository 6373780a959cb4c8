"""Evaluate a policy's checks against prepared data: findings and a verdict, failing closed."""

from __future__ import annotations

from typing import Any

from responsible_ai.checker.context import AuditContext
from responsible_ai.checker.findings import Finding, Measurement
from responsible_ai.checker.registry import MetricSpec, get_metric
from responsible_ai.errors import InputError
from responsible_ai.policy.schema import Check, Policy, severity_rank

__all__ = ["NO_INTERVAL", "evaluate", "verdict_of"]

_NEEDS_HINT = {
    "target": "a target column (data.target in the policy, or --target)",
    "prediction": "predictions (a model with --model, or a prediction column with --prediction)",
    "score": "scores (a score column with data.score, or a model with predict_proba)",
    "model": "a model (--model)",
}


def evaluate(context: AuditContext) -> list[Finding]:
    """Run every check of the policy; one finding per check and grouping.

    Raises
    ------
    InputError
        When a check needs decisions but the predictions are not decisions (a regressor's
        outputs, scores, multi-valued labels without a positive_label): an answer computed from
        them would be meaningless, typically a pass.
    """
    problem = context.data.prediction_problem
    if problem is not None and any(
        check.enabled and "prediction" in get_metric(check.metric).needs
        for check in context.policy.checks
    ):
        raise InputError(problem)
    findings: list[Finding] = []
    for check in context.policy.checks:
        spec = get_metric(check.metric)
        for finding_id, by in _expand(check, spec, context):
            findings.append(_run(context, check, spec, finding_id, by))
    return findings


def _expand(
    check: Check, spec: MetricSpec, context: AuditContext
) -> list[tuple[str, list[str] | None]]:
    if not spec.grouped:
        return [(check.id, None)]
    if check.by_columns is not None:
        return [(check.id, check.by_columns)]
    sensitive = context.data.sensitive
    if not sensitive:
        return [(check.id, [])]
    return [(f"{check.id}[{column}]", [column]) for column in sensitive]


def _missing_needs(spec: MetricSpec, context: AuditContext) -> list[str]:
    data = context.data
    available = {
        "target": data.y_true is not None,
        "prediction": data.y_pred is not None,
        "score": data.score is not None,
        "model": data.model is not None,
    }
    return [need for need in sorted(spec.needs) if not available.get(need, True)]


def _run(
    context: AuditContext, check: Check, spec: MetricSpec, finding_id: str, by: list[str] | None
) -> Finding:
    finding = Finding(
        id=finding_id,
        metric=check.metric,
        status="error",
        severity=check.severity,
        operator=check.must.operator,
        threshold=check.must.threshold,
        by=by,
        reference=check.reference,
        rationale=check.rationale,
    )
    if not check.enabled:
        finding.status = "skipped"
        finding.message = "disabled in the policy (enabled: false)"
        return finding
    missing = _missing_needs(spec, context)
    if missing:
        finding.message = "cannot compute: needs " + " and ".join(_NEEDS_HINT[m] for m in missing)
        return finding
    if by == []:
        finding.message = (
            "cannot compute: no sensitive feature to group by; set `by` on the check or "
            "data.sensitive in the policy (--sensitive)"
        )
        return finding
    try:
        measurement: Measurement = spec.compute_function()(context, check, by)
    except Exception as exc:  # fail closed: any failure is an error finding, never a pass
        finding.message = f"cannot compute: {type(exc).__name__}: {exc}"
        return finding
    finding.evidence = measurement.evidence
    finding.interval = measurement.interval
    if measurement.value is None:
        finding.message = measurement.undefined_reason or "the metric is undefined on this data"
        return finding
    finding.value = float(measurement.value)
    blocking = severity_rank(check.severity) >= severity_rank(context.policy.fail_on)
    if check.decide_on == "interval":
        return _decide_on_interval(finding, check, measurement.interval, blocking)
    holds = check.must.holds(finding.value)
    finding.status = "pass" if holds else ("fail" if blocking else "warn")
    relation = "meets" if holds else "does not meet"
    finding.message = f"value {finding.value:.4g} {relation} {check.must}"
    return finding


NO_INTERVAL = (
    "cannot decide on the interval: {metric} gave no confidence interval here "
    "(set fairness.n_boot above 0, or decide_on: value)"
)


def _decide_on_interval(
    finding: Finding, check: Check, interval: dict[str, Any] | None, blocking: bool
) -> Finding:
    """Pass when the whole interval meets the condition, fail when none of it does."""
    finding.decide_on = "interval"
    low = None if interval is None else interval.get("low")
    high = None if interval is None else interval.get("high")
    if low is None or high is None:
        finding.status = "error"
        finding.message = NO_INTERVAL.format(metric=check.metric)
        return finding
    must = check.must
    inside = low <= must.threshold <= high
    if must.operator == "==":
        all_hold, none_hold = low == high == must.threshold, not inside
    elif must.operator == "!=":
        all_hold, none_hold = not inside, low == high == must.threshold
    else:  # monotone conditions: the endpoints decide for the whole interval
        all_hold = must.holds(low) and must.holds(high)
        none_hold = not must.holds(low) and not must.holds(high)
    level = f"{interval.get('confidence', 0):.0%}" if interval else ""
    span = f"{level} interval [{low:.4g}, {high:.4g}] (value {finding.value:.4g})"
    if all_hold:
        finding.status = "pass"
        finding.message = f"the whole {span} meets {must}"
    elif none_hold:
        finding.status = "fail" if blocking else "warn"
        finding.message = f"the whole {span} violates {must}"
    else:
        finding.status = "insufficient_evidence"
        finding.message = f"the {span} straddles {must}: more data is needed to decide"
    return finding


def verdict_of(findings: list[Finding], policy: Policy) -> str:
    """``fail`` when a blocking check fails, any check errors, or a blocking check lacks evidence.

    Errors fail the verdict at every severity: a check that could not be computed has not shown
    that the model complies.
    """
    threshold = severity_rank(policy.fail_on)
    for finding in findings:
        if finding.status in ("fail", "error"):
            return "fail"
        if (
            finding.status == "insufficient_evidence"
            and severity_rank(finding.severity) >= threshold
        ):
            return "fail"
    return "pass"


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Count of findings per status."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    return counts
