"""Before and after: the performance cost of each candidate with its interval, the comparison
table of every check, and the Pareto front of fairness against performance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai._resampling import resample_counts

if TYPE_CHECKING:
    from responsible_ai.fairness.settings import FairnessSettings
    from responsible_ai.mitigate.search import Candidate, MitigationResult

__all__ = ["metric_value", "mitigation_section", "pareto_front", "score_candidates"]


def _from_cells(tp: Any, fp: Any, fn: Any, tn: Any, metric: str) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "accuracy":
            return (tp + tn) / (tp + fp + fn + tn)
        if metric == "balanced_accuracy":
            return 0.5 * (tp / (tp + fn) + tn / (tn + fp))
        return 2 * tp / (2 * tp + fp + fn)  # f1 of the favourable class


def metric_value(y_true: np.ndarray, y_pred: np.ndarray, metric: str, weights: Any = None) -> Any:
    """Accuracy, balanced accuracy or F1 (of the favourable class); ``weights`` may be 2-D
    (one row of resampling counts per bootstrap replicate)."""
    t, p = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    w = np.ones(len(t)) if weights is None else weights
    return _from_cells(w @ (t & p), w @ (~t & p), w @ (t & ~p), w @ (~t & ~p), metric)


def score_candidates(
    original: Candidate,
    candidates: list[Candidate],
    y_true: np.ndarray,
    metric: str,
    fairness: FairnessSettings,
    seed: int,
) -> None:
    """Set ``performance`` and ``cost`` (original minus candidate, paired bootstrap interval).

    Every candidate is resampled with the same bootstrap rows as the original, so the interval is
    that of the difference on the same applicants, not of two independent estimates.
    """
    rng = np.random.default_rng(seed)
    n = len(y_true)
    n_boot = fairness.n_boot
    counts = resample_counts(n, n_boot, rng) if n_boot else None
    level = fairness.confidence
    if original.predictions is None:
        return
    before = float(metric_value(y_true, original.predictions, metric))
    before_boot = (
        None if counts is None else metric_value(y_true, original.predictions, metric, counts)
    )
    original.performance = before
    original.cost = {"value": 0.0, "low": 0.0, "high": 0.0, "confidence": level}
    for candidate in candidates:
        if candidate.predictions is None:
            continue
        after = float(metric_value(y_true, candidate.predictions, metric))
        candidate.performance = after
        cost: dict[str, Any] = {
            "value": before - after,
            "low": None,
            "high": None,
            "confidence": level,
        }
        if counts is not None and before_boot is not None:
            diff = before_boot - metric_value(y_true, candidate.predictions, metric, counts)
            diff = diff[np.isfinite(diff)]
            if len(diff):
                tail = (1.0 - level) / 2 * 100
                cost["low"], cost["high"] = (
                    float(v) for v in np.percentile(diff, [tail, 100 - tail])
                )
        candidate.cost = cost


def _better(operator: str | None) -> int:
    """+1 when larger values of the check are better, -1 when smaller are."""
    return 1 if operator in (">=", ">") else -1


def pareto_front(points: list[dict[str, Any]], operator: str | None) -> list[str]:
    """Names of the points no other point beats on both performance and the fairness value."""
    sign = _better(operator)
    usable = [p for p in points if p["performance"] is not None and p["fairness"] is not None]
    front = []
    for p in usable:
        dominated = any(
            q["performance"] >= p["performance"]
            and sign * q["fairness"] >= sign * p["fairness"]
            and (q["performance"] > p["performance"] or sign * q["fairness"] > sign * p["fairness"])
            for q in usable
        )
        if not dominated:
            front.append(p["name"])
    return front


def _row(candidate: Candidate, reference: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    from responsible_ai.checker.findings import finite

    report = candidate.report
    checks = []
    for finding in report.checks if report is not None else []:
        interval = finding.interval or {}
        checks.append(
            {
                "id": finding.id,
                "status": finding.status,
                "value": finding.value,
                "low": interval.get("low"),
                "high": interval.get("high"),
                "threshold": finding.threshold,
                "operator": finding.operator,
            }
        )
    trial = candidate.trial
    flagged = candidate.uses_sensitive_at_decision
    legal = None
    if flagged:
        legal = "uses the sensitive attribute at decision time"
        if reference:
            legal += f": disparate treatment under {reference.strip()}"
        if candidate.forbidden:
            legal += " (forbidden by the policy: never chosen)"
    return finite(
        {
            "name": trial.name,
            "method": trial.method,
            "setting": trial.setting,
            "constraint": trial.constraint,
            "verdict": report.verdict if report is not None else None,
            "passes": candidate.passes,
            "uses_sensitive_at_decision": flagged,
            "disparate_treatment": bool(flagged and (reference or candidate.forbidden)),
            "forbidden": candidate.forbidden,
            "legal_note": legal,
            "performance": candidate.performance,
            "cost": candidate.cost,
            "fit_seconds": round(candidate.fit_seconds, 4),
            "error": candidate.error,
            "checks": checks,
        }
    )


def mitigation_section(result: MitigationResult) -> dict[str, Any]:
    """The report's ``mitigation`` section (JSON-ready): every candidate, the choice, the front."""
    reference = result.settings.get("disparate_treatment_reference")
    original = _row(result.original, reference, result.settings)
    rows = [_row(c, reference, result.settings) for c in result.candidates]
    primary = result.primary_check
    operator = None
    points = []
    for row in [original, *rows]:
        found = next((c for c in row["checks"] if c["id"] == primary), None)
        if found is not None:
            operator = found["operator"]
        points.append(
            {
                "name": row["name"],
                "performance": row["performance"],
                "fairness": found["value"] if found else None,
                "passes": row["passes"],
                "forbidden": row["forbidden"],
            }
        )
    chosen = result.chosen.trial.name if result.chosen is not None else None
    if chosen is not None:
        reason = (
            f"{chosen} passes {_what(result.required)} with the smallest loss of "
            f"{result.metric} among {sum(r['passes'] and not r['forbidden'] for r in rows)} "
            "passing candidate(s)"
        )
        if original["passes"]:  # a candidate is written, but the user should know
            reason += (
                f"; the original model passes {_what(result.required)} on the same held-out rows "
                "too, so mitigation is not needed for them"
            )
    elif result.unmet:
        reason = (
            f"none of the {result.tried} allowed candidate(s) passes {_what(result.required)}: "
            f"none meets {', '.join(result.unmet)}"
        )
    else:
        shown = ", ".join(f"{name} blocks {count}" for name, count in result.blockers.items())
        reason = (
            f"none of the {result.tried} allowed candidate(s) passes {_what(result.required)}; "
            f"each fails a different check ({shown} of {result.tried})"
        )
    return {
        "chosen": chosen,
        "reason": reason,
        "metric": result.metric,
        "constraint": result.constraint,
        "by": result.by,
        "required_checks": result.required,
        "unmet_checks": result.unmet,
        "blocking_checks": result.blockers,
        "split": result.split,
        "allow_sensitive_at_decision": result.settings.get("allow_sensitive_at_decision"),
        "disparate_treatment_reference": reference,
        "original": original,
        "candidates": rows,
        "pareto": {
            "fairness_check": primary,
            "operator": operator,
            "points": points,
            "front": pareto_front(points, operator),
        },
        "seconds": result.seconds,
    }


def _what(required: list[str] | None) -> str:
    return "the policy" if required is None else "the checks " + ", ".join(required)
