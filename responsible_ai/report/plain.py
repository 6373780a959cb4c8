"""What a finding and a review state mean, in words a non-specialist reads.

The review app and the reports say the same thing about a check, so the wording lives here once:
short status labels that fit a table cell, what a check measured and requires, what its status
means for the decision, and where the review of a run stands. Every function returns plain text
(no Markup): each output format escapes it its own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.checker.findings import Finding
    from responsible_ai.review import Review, RunReviewState

__all__ = [
    "CHECK_COLUMNS",
    "REVIEW_COLUMNS",
    "SHAP_HEADERS",
    "STATUS_LABELS",
    "CheckCard",
    "check_card",
    "explainer_details",
    "heatmap_caption",
    "metric_in_words",
    "requirement_in_words",
    "review_banner",
    "reviews_frame",
    "shap_sentence",
    "status_label",
    "waterfall_caption",
    "when",
]

#: Statuses as short words that fit a table cell (never cut to "insuffic").
STATUS_LABELS: dict[str, str] = {
    "pass": "pass",
    "fail": "fails",
    "error": "not computed",
    "insufficient_evidence": "lacks evidence",
    "warn": "warning",
    "skipped": "skipped",
    "waived": "waived",
}

_OPERATORS = {
    ">=": "at least",
    ">": "more than",
    "<=": "at most",
    "<": "less than",
    "==": "exactly",
    "!=": "anything but",
}

_ABBREVIATIONS = {
    "TPR": "true positive rate",
    "FPR": "false positive rate",
    "TNR": "true negative rate",
    "FNR": "false negative rate",
}

#: What each column of the checks table means (the app shows it on hover of the header).
CHECK_COLUMNS: dict[str, str] = {
    "status": "What the audit measured: pass, fails, lacks evidence (the confidence interval "
    "straddles the requirement), warning (misses it below the policy's fail_on severity), "
    "not computed (an error, which fails the verdict).",
    "after review": "The status once active waivers are applied.",
    "severity": "How much the policy cares; failures at or above fail_on fail the verdict.",
    "check": "The check's id in the policy.",
    "metric": "The metric id (rai metrics describes each).",
    "by": "The sensitive columns whose groups are compared.",
    "value": "The measured value, rounded to 4 significant digits; the exact value is in the "
    "JSON on the Download page.",
    "requirement": "What the policy requires of the value.",
    "reference": "The rule or source the check implements.",
    "detail": "How the value compares with the requirement.",
}

#: What each column of a reviews table means.
REVIEW_COLUMNS: dict[str, str] = {
    "#": "The review's position in the store's tamper-evident chain.",
    "run": "The run the review decides on.",
    "decision": "approve or reject (the whole run), or waive (one check).",
    "check": "The waived check (empty for a decision on the whole run).",
    "standing": "Whether a waiver still counts: active until its expiry day, replaced by a "
    "later waiver of the same check, or expired.",
    "reviewer": "Who signed the review.",
    "justification": "Why a waived check may fail for now.",
    "comment": "What the reviewer checked.",
    "expires on": "The last day a waiver counts.",
    "recorded": "When the review was recorded (UTC).",
    "hash": "The review's hash in the chain (rai store verify checks it).",
}


def status_label(status: str) -> str:
    """A status as a short word for a cell: ``insufficient_evidence`` -> ``lacks evidence``."""
    return STATUS_LABELS.get(status, status.replace("_", " "))


def metric_in_words(metric: str) -> str:
    """What a metric measures, from the metric registry, without the specialist asides.

    >>> metric_in_words("fairness.equal_opportunity_difference")
    'max minus min group true positive rate'
    """
    from responsible_ai.checker.registry import get_metric

    try:
        summary = get_metric(metric).summary
    except Exception:  # an unknown id (an old stored run): say its name rather than fail
        return metric
    summary = re.sub(r"\s*\(method: [^)]*\)", "", summary)
    summary = re.sub(r"^fairlearn's \w+: ", "", summary)
    for short, long in _ABBREVIATIONS.items():
        summary = re.sub(rf"\b{short}\b", long, summary)
    return summary.strip().rstrip(".")


def requirement_in_words(finding: Finding) -> str:
    """``at least 0.8``; empty when the check has no threshold."""
    if finding.threshold is None:
        return ""
    words = _OPERATORS.get(finding.operator or "", finding.operator or "")
    return f"{words} {finding.threshold:g}"


@dataclass(frozen=True)
class CheckCard:
    """A check as a card says it, once each: what was measured, what is required, what it means."""

    measured: str
    required: str
    meaning: str


def _interval(finding: Finding) -> str:
    from responsible_ai.report.tables import value_interval

    interval = value_interval(finding)
    return f" (95% confidence interval {interval[0]:.4g} to {interval[1]:.4g})" if interval else ""


def _meaning(finding: Finding, status: str, fail_on: str, note: str) -> str:
    from responsible_ai.policy.schema import severity_rank

    blocks = severity_rank(finding.severity) >= severity_rank(fail_on)
    if status == "waived":
        said = f"{note[:1].upper()}{note[1:]}" if note else "Waived"  # "Waived by X until D"
        return f"{said}: it does not block approval while the waiver lasts."
    if status == "fail":
        return (
            "It fails the verdict: the run cannot be approved until the model is fixed or a "
            "reviewer waives this check."
        )
    if status == "error":
        return (
            f"It could not be computed ({finding.message}), so it fails the verdict: the checker "
            "never passes what it could not measure."
        )
    if status == "insufficient_evidence":
        if blocks:
            return (
                "The data cannot decide it: the confidence interval reaches both sides of the "
                "requirement. It blocks approval like a failure until more data decides it or a "
                "reviewer waives it."
            )
        return (
            f"The data cannot decide it, but its severity ({finding.severity}) is below the "
            f"policy's fail_on ({fail_on}): reported, it does not block approval."
        )
    if status == "warn":
        return (
            f"It misses the requirement, but its severity ({finding.severity}) is below the "
            f"policy's fail_on ({fail_on}): a warning that does not block approval."
        )
    if status == "skipped":
        return "It was not run, so it says nothing either way."
    return "It meets the requirement."


def check_card(finding: Finding, status: str, fail_on: str, note: str = "") -> CheckCard:
    """The three sentences of a check card; ``status`` is the one after review (``waived``)."""
    from responsible_ai.report.text import format_value

    by = f", by {', '.join(finding.by)}" if finding.by else ""
    measured = (
        f"{format_value(finding.value)}{_interval(finding)} — "
        f"{metric_in_words(finding.metric)}{by}."
    )
    requirement = requirement_in_words(finding)
    required = f"{requirement}." if requirement else "no threshold: the value is reported."
    meaning = _meaning(finding, status, fail_on, note)
    if note and status != "waived":  # a waiver that has expired: say why it no longer helps
        meaning += f" The {note}, so it no longer counts."
    return CheckCard(measured, required, meaning)


def when(timestamp: str | None) -> str:
    """An ISO timestamp as a reviewer reads it: ``2026-12-01 23:53 UTC``."""
    if not timestamp:
        return "?"
    text = str(timestamp).replace("T", " ")
    return f"{text[:16]} UTC" if len(text) >= 16 else text


def _named(state: RunReviewState) -> str:
    """Each blocking check with why it blocks: ``a fails; b lacks evidence``."""
    return "; ".join(
        [f"{check} fails" for check in state.failing]
        + [f"{check} could not be computed" for check in state.errors]
        + [f"{check} lacks evidence" for check in state.undecided]
    )


def review_banner(state: RunReviewState, verdict: str) -> tuple[str, str]:
    """Where the review of a run stands, as ``(kind, sentence)``.

    ``kind`` is ``error``, ``warning``, ``info`` or ``success`` (how loudly to say it). The
    counts are the review state's own (:attr:`RunReviewState.blocking_text`), so the Overview,
    the Review page and History never disagree.
    """
    by = state.decided_by or "?"
    on = when(state.decided_at)
    if state.state == "approved":
        waived = f", with {len(state.waived)} check(s) waived" if state.waived else ""
        return "success", f"Approved by {by} on {on}{waived}."
    if state.state == "rejected":
        return "error", f"Rejected by {by} on {on}."
    if state.state == "approval lapsed":
        return (
            "warning",
            f"Approval lapsed: {by} approved this run on {on}, but a waiver the approval relied "
            f"on has expired, so the run no longer passes: {state.blocking_text}. "
            f"{_named(state)}. Waive again or decide again on the Review page.",
        )
    if state.blocking:
        return (
            "error",
            f"Not approvable yet: {state.blocking_text}. {_named(state)}. Waive each on the "
            "Review page, with a justification and an expiry date, or reject the run.",
        )
    if verdict == "fail":
        return (
            "info",
            "Every check that failed the verdict is waived; the run awaits a decision and can "
            "be approved on the Review page.",
        )
    return "success", "Every blocking check passes; the run awaits a decision on the Review page."


def reviews_frame(reviews: list[Review], today: date | None = None) -> pd.DataFrame:
    """Reviews as a table, each waiver with its standing (active, replaced by #N, expired)."""
    import pandas as pd

    from responsible_ai.review import waiver_standing

    standing = waiver_standing(reviews, today)
    columns = list(REVIEW_COLUMNS)
    rows: list[dict[str, Any]] = [
        {
            "#": review.seq,
            "run": review.run_id,
            "decision": review.decision,
            "check": review.check_id or "",
            "standing": standing.get(review.seq, ""),
            "reviewer": review.reviewer,
            "justification": review.justification,
            "comment": review.comment,
            "expires on": review.expires_on.isoformat() if review.expires_on else "",
            "recorded": when(review.created_at),
            "hash": review.hash,
        }
        for review in reviews
    ]
    return pd.DataFrame(rows, columns=columns)


#: Readable headers for the columns of an explanation's tables (``rai explain`` names).
SHAP_HEADERS: dict[str, str] = {
    "mean_abs_shap": "mean |SHAP|",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "mean_shap": "mean SHAP",
    "rows": "rows",
    "gap": "gap between groups",
    "gap_ci_low": "gap 95% CI low",
    "gap_ci_high": "gap 95% CI high",
    "is_proxy": "proxy?",
    "contribution": "SHAP (push)",
}


def _toward(positive_label: Any) -> str:
    return f"toward {str(positive_label)!r}" if positive_label is not None else "upward"


def shap_sentence(output_space: str, positive_label: Any) -> str:
    """SHAP in one plain sentence, in the explanation's own units.

    >>> shap_sentence("log-odds of 'good'", "good")[55:]  # doctest: +ELLIPSIS
    "for one applicant, in log-odds of 'good'; a positive value pushes toward 'good', ...
    """
    return (
        f"A SHAP value is a feature's push on the model's output for one applicant, in "
        f"{output_space}; a positive value pushes {_toward(positive_label)}, a negative one away "
        "from it, and the pushes add up from the model's average output to this applicant's."
    )


def waterfall_caption(output_space: str, positive_label: Any) -> str:
    """What the waterfall of one row shows, and what its colours mean."""
    return (
        f"Read from the bottom up: starting at the model's average output (dotted line), each bar "
        f"is one feature's push in {output_space}; red bars push {_toward(positive_label)}, blue "
        "bars away from it. The axis label gives the average and this row's output."
    )


def explainer_details(explanation: Any) -> list[str]:
    """Which explainer ran, why, and on what: for the details a specialist checks."""
    settings = getattr(explanation, "settings", {}) or {}
    details = [
        f"Explainer: {explanation.explainer_name}.",
        f"Why this explainer, and on which columns: {explanation.explainer_reason}.",
        f"Rows explained: {explanation.rows_explained} of {explanation.rows_total}"
        + (
            f" (random seed {settings['random_state']})."
            if settings.get("random_state") is not None
            else "."
        ),
        f"Values in {explanation.output_space}; the model's average output is "
        f"{explanation.expected_value:.4g}.",
    ]
    if getattr(explanation, "sample_note", None):
        details.insert(3, f"Which rows: {explanation.sample_note}.")
    details += [f"How: {line}." for line in getattr(explanation, "compute_details", [])]
    if settings.get("background_size"):
        details.append(
            f"Background rows (what 'average' is measured over): {settings['background_size']}."
        )
    if settings.get("bootstrap"):
        level = settings.get("confidence", 0.95)
        details.append(
            f"Intervals: {level:.0%} percentile bootstrap over {settings['bootstrap']} resamples."
        )
    return details


def heatmap_caption(table: Any, rate: str) -> str:
    """What the intersectional heat map of a group table shows (``table`` is a ``GroupTable``)."""
    from responsible_ai.report.tables import rate_label

    first, second = table.by[0], table.by[1]
    label = rate_label(rate)
    small = (
        f"fewer than {table.min_group_size} rows"
        if table.min_group_size is not None
        else "too few rows to compare reliably"
    )
    return (
        f"Each cell is one group: a value of {first} (rows) with a value of {second} "
        f"(columns). The bold number is that group's {label} and n its number of rows. Darker "
        f"blue means a higher {label}, from white at 0 to dark blue at 1. Cells marked "
        f"(excluded) have {small} and are left out of the comparison; a dash means the rate is "
        "undefined for that group."
    )
