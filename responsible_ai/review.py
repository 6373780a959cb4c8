"""Review decisions on audit runs: who decided what, which waivers still count, what changed.

A reviewer approves or rejects a whole run, or waives one check that does not pass. A waiver needs
a justification and an expiry date; once the date has passed the waiver no longer counts and the
check is back to its measured status. A run can be approved only when no check still fails its
verdict: every blocking failure must be waived first (the store fails closed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from responsible_ai.errors import InputError
from responsible_ai.policy.versions import LOOSENED, TIGHTENED, UNCHANGED, meets, requirement_change

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.checker.findings import Finding


class Report(Protocol):
    """What a review reads of a report (a :class:`responsible_ai.report.model.Report`).

    A protocol, not an import: the HTML report renders reviews, so this module must not import
    the report package back.
    """

    @property
    def checks(self) -> list[Finding]: ...

    @property
    def policy(self) -> dict[str, Any]: ...


__all__ = [
    "DECISIONS",
    "EffectiveFinding",
    "Review",
    "RunReviewState",
    "compare_runs",
    "effective_findings",
    "effective_verdict",
    "run_review_state",
    "today_utc",
    "validate_review",
    "waiver_standing",
]

DECISIONS: tuple[str, ...] = ("approve", "reject", "waive")
WAIVABLE = ("fail", "warn", "error", "insufficient_evidence")

NO_REVIEWER = "enter the reviewer's name: every decision is signed"
NO_COMMENT = "write a comment: say what you checked and why you decided so"
NO_JUSTIFICATION = "a waiver needs a justification: why may this check fail for now?"
NO_EXPIRY = "a waiver needs an expiry date: waivers are temporary"
SAME_WAIVER = (
    "check {check!r} already has this waiver (review #{seq} by {reviewer}, until {until}): "
    "nothing new to record; change the justification or the expiry date to replace it"
)


def today_utc() -> date:
    """Today's date in UTC, the calendar waivers expire by."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Review:
    """One signed decision on a run (``check_id`` None) or on one of its checks.

    Attributes
    ----------
    decision : {"approve", "reject", "waive"}
    expires_on : datetime.date or None
        Last day a waiver counts; None for approvals and rejections.
    seq, prev_hash, hash : int, str, str
        Position in the store's tamper-evident chain (0 and empty before it is stored).
    """

    run_id: int
    decision: str
    reviewer: str
    comment: str
    check_id: str | None = None
    justification: str = ""
    expires_on: date | None = None
    created_at: str = ""
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    def is_active_waiver(self, today: date) -> bool:
        """A waiver that still counts on ``today`` (its expiry day included)."""
        return self.decision == "waive" and self.expires_on is not None and today <= self.expires_on

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "run_id": self.run_id,
            "check_id": self.check_id,
            "decision": self.decision,
            "reviewer": self.reviewer,
            "comment": self.comment,
            "justification": self.justification,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "created_at": self.created_at,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class EffectiveFinding:
    """A finding as it stands after reviews: ``status`` is ``waived`` under an active waiver."""

    finding: Finding
    status: str
    waiver: Review | None = None
    note: str = ""


@dataclass(frozen=True)
class RunReviewState:
    """Where the review of a run stands.

    ``state`` is ``pending`` (no run decision yet), ``approved``, ``rejected``, or
    ``approval lapsed`` (approved, but a waiver it relied on has since expired).
    """

    state: str
    effective_verdict: str
    decided_by: str | None = None
    decided_at: str | None = None
    waived: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    #: ``blocking`` split by why: fail, error (could not be computed), insufficient_evidence.
    failing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)

    @property
    def blocking_text(self) -> str:
        """What still fails the verdict, counted by why: ``1 fails, 1 lacks evidence``.

        The one wording of these counts for the app, History and ``rai store runs``.
        """
        parts = []
        if self.failing:
            parts.append(
                f"{len(self.failing)} fails"
                if len(self.failing) == 1
                else f"{len(self.failing)} fail"
            )
        if self.errors:
            parts.append(f"{len(self.errors)} could not be computed")
        if self.undecided:
            lack = "lacks" if len(self.undecided) == 1 else "lack"
            parts.append(f"{len(self.undecided)} {lack} evidence")
        return ", ".join(parts) if parts else "nothing blocks"


def _latest_waivers(reviews: list[Review]) -> dict[str, Review]:
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: r.seq):
        if review.decision == "waive" and review.check_id is not None:
            latest[review.check_id] = review
    return latest


def effective_findings(
    report: Report, reviews: list[Review], today: date | None = None
) -> list[EffectiveFinding]:
    """Each finding of ``report`` with the status it has once active waivers are applied."""
    today = today or today_utc()
    waivers = _latest_waivers(reviews)
    result = []
    for finding in report.checks:
        waiver = waivers.get(finding.id)
        if waiver is None or finding.status not in WAIVABLE:
            result.append(EffectiveFinding(finding, finding.status))
        elif waiver.is_active_waiver(today):
            until = waiver.expires_on.isoformat() if waiver.expires_on else "?"
            note = f"waived by {waiver.reviewer} until {until}"
            result.append(EffectiveFinding(finding, "waived", waiver, note))
        else:
            until = waiver.expires_on.isoformat() if waiver.expires_on else "?"
            note = f"waiver by {waiver.reviewer} expired on {until}"
            result.append(EffectiveFinding(finding, finding.status, waiver, note))
    return result


def _blocking(report: Report, effective: list[EffectiveFinding]) -> list[str]:
    """Ids of the checks that still make the verdict fail (the rule of ``verdict_of``)."""
    from responsible_ai.checker.evaluate import verdict_of
    from responsible_ai.policy.schema import Policy

    policy = Policy.model_construct(name="review", fail_on=report.policy.get("fail_on", "high"))
    return [
        item.finding.id
        for item in effective
        if item.status != "waived" and verdict_of([item.finding], policy) == "fail"
    ]


def effective_verdict(report: Report, reviews: list[Review], today: date | None = None) -> str:
    """``pass`` when every check that fails the verdict is under an active waiver."""
    return "fail" if _blocking(report, effective_findings(report, reviews, today)) else "pass"


def run_review_state(
    report: Report, reviews: list[Review], today: date | None = None
) -> RunReviewState:
    """The review state of a run from its reviews (all of them, in chain order)."""
    effective = effective_findings(report, reviews, today)
    blocking = _blocking(report, effective)
    waived = [item.finding.id for item in effective if item.status == "waived"]
    expired = [
        item.finding.id
        for item in effective
        if item.waiver is not None and item.status != "waived" and item.finding.status in WAIVABLE
    ]
    status = {item.finding.id: item.status for item in effective}
    split: dict[str, Any] = {
        "failing": [c for c in blocking if status[c] == "fail"],
        "errors": [c for c in blocking if status[c] == "error"],
        "undecided": [c for c in blocking if status[c] not in ("fail", "error")],
    }
    decisions = [r for r in sorted(reviews, key=lambda r: r.seq) if r.check_id is None]
    verdict = "fail" if blocking else "pass"
    if not decisions:
        return RunReviewState(
            "pending", verdict, waived=waived, expired=expired, blocking=blocking, **split
        )
    last = decisions[-1]
    state = "approved" if last.decision == "approve" else "rejected"
    if state == "approved" and blocking:
        state = "approval lapsed"
    return RunReviewState(
        state,
        verdict,
        decided_by=last.reviewer,
        decided_at=last.created_at,
        waived=waived,
        expired=expired,
        blocking=blocking,
        **split,
    )


def active_waiver(reviews: list[Review], check_id: str, today: date | None = None) -> Review | None:
    """The waiver that counts for ``check_id`` on ``today`` (the latest one), or None."""
    waiver = _latest_waivers(reviews).get(check_id)
    return waiver if waiver is not None and waiver.is_active_waiver(today or today_utc()) else None


def waiver_standing(reviews: list[Review], today: date | None = None) -> dict[int, str]:
    """For each waiver (by ``seq``): ``active until D``, ``replaced by #N`` or ``expired on D``.

    A later waiver of the same check replaces the earlier one (only the latest counts), so the
    reviews table says which waiver is in force.
    """
    today = today or today_utc()
    latest = _latest_waivers(reviews)
    standing: dict[int, str] = {}
    for review in reviews:
        if review.decision != "waive" or review.check_id is None:
            continue
        until = review.expires_on.isoformat() if review.expires_on else "?"
        current = latest[review.check_id]
        if current.seq != review.seq:
            standing[review.seq] = f"replaced by #{current.seq}"
        elif review.is_active_waiver(today):
            standing[review.seq] = f"active until {until}"
        else:
            standing[review.seq] = f"expired on {until}"
    return standing


def validate_review(
    report: Report, existing: list[Review], review: Review, today: date | None = None
) -> Review:
    """Check a new review against its run; returns it with text fields stripped.

    Raises
    ------
    InputError
        With one message naming what is missing or not allowed, and how to fix it.
    """
    today = today or today_utc()
    review = replace(
        review,
        reviewer=review.reviewer.strip(),
        comment=review.comment.strip(),
        justification=review.justification.strip(),
    )
    if review.decision not in DECISIONS:
        raise InputError(
            f"unknown decision {review.decision!r}; choose one of {', '.join(DECISIONS)}"
        )
    if not review.reviewer:
        raise InputError(NO_REVIEWER)
    if not review.comment:
        raise InputError(NO_COMMENT)
    if review.decision == "waive":
        waiver = _validate_waiver(report, review, today)
        _refuse_same_waiver(existing, waiver, today)
        return waiver
    if review.check_id is not None:
        raise InputError(
            f"{review.decision} applies to the whole run; to accept a failing check "
            f"({review.check_id}) for a time, waive it"
        )
    if review.decision == "approve":
        blocking = _blocking(report, effective_findings(report, existing, today))
        if blocking:
            raise InputError(
                f"cannot approve: {len(blocking)} check(s) fail the verdict and are not waived "
                f"({', '.join(blocking)}); waive each with a justification and an expiry date, "
                f"or reject the run"
            )
    return replace(review, expires_on=None)


def _validate_waiver(report: Report, review: Review, today: date) -> Review:
    ids = [f.id for f in report.checks]
    if review.check_id is None:
        raise InputError("choose the check to waive: a waiver applies to one check")
    if review.check_id not in ids:
        raise InputError(
            f"check {review.check_id!r} is not in this run; its checks are {', '.join(ids)}"
        )
    status = next(f.status for f in report.checks if f.id == review.check_id)
    if status not in WAIVABLE:
        raise InputError(
            f"check {review.check_id!r} has status {status}: only a check that "
            f"does not pass can be waived"
        )
    if not review.justification:
        raise InputError(NO_JUSTIFICATION)
    if review.expires_on is None:
        raise InputError(NO_EXPIRY)
    if review.expires_on <= today:
        raise InputError(
            f"the expiry date {review.expires_on.isoformat()} is not in the future; "
            f"choose a date after {today.isoformat()}"
        )
    return review


def _refuse_same_waiver(existing: list[Review], review: Review, today: date) -> None:
    """A second identical waiver (a double click, a retried request) records nothing.

    A waiver that differs (another justification or expiry) replaces the one in force; the
    reviews table marks the earlier one ``replaced by #N``.
    """
    assert review.check_id is not None
    current = active_waiver(existing, review.check_id, today)
    if (
        current is not None
        and current.justification == review.justification
        and current.expires_on == review.expires_on
    ):
        raise InputError(
            SAME_WAIVER.format(
                check=review.check_id,
                seq=current.seq,
                reviewer=current.reviewer,
                until=current.expires_on.isoformat() if current.expires_on else "?",
            )
        )


_STATUS_RANK = {
    "pass": 0,
    "skipped": 0,
    "warn": 1,
    "insufficient_evidence": 2,
    "fail": 3,
    "error": 3,
}


def compare_runs(before: Report, after: Report) -> pd.DataFrame:
    """Compare two runs check by check, requirements side by side.

    A status that improved only because the requirement was loosened (the value after would
    not meet the requirement before) is never called ``better``: a reviewer comparing an edited
    policy with its pack must see that the bar moved, not the model.

    Returns
    -------
    DataFrame
        One row per check id of either run: ``check``, ``metric``, ``requirement_before``,
        ``requirement_after`` (``>= 0.8``), ``requirement`` (``requirement loosened``,
        ``requirement tightened``, ``requirement unchanged`` or ``requirement changed``),
        ``status_before``, ``status_after``, ``value_before``, ``value_after``, ``threshold``
        (after) and ``change`` (one of ``new``, ``removed``, ``better``, ``worse``,
        ``passes only because the requirement was loosened`` (or ``changed``), ``improves
        only because the requirement was loosened`` (or ``changed``), ``fails only because the
        requirement was tightened``, ``value changed``, ``same``).
    """
    import pandas as pd

    old = {f.id: f for f in before.checks}
    new = {f.id: f for f in after.checks}
    rows = []
    for check in list(old) + [c for c in new if c not in old]:
        a, b = old.get(check), new.get(check)
        requirement = (
            requirement_change((a.operator, a.threshold), (b.operator, b.threshold))
            if a is not None and b is not None
            else None
        )
        either = b or a
        assert either is not None
        rows.append(
            {
                "check": check,
                "metric": either.metric,
                "requirement_before": _requirement(a),
                "requirement_after": _requirement(b),
                "requirement": requirement,
                "status_before": a.status if a else None,
                "status_after": b.status if b else None,
                "value_before": a.value if a else None,
                "value_after": b.value if b else None,
                "threshold": _requirement(either),
                "change": _change(a, b, requirement),
            }
        )
    return pd.DataFrame(rows)


def _requirement(finding: Finding | None) -> str | None:
    if finding is None or finding.threshold is None:
        return None
    return f"{finding.operator} {finding.threshold:g}"


def _change(a: Finding | None, b: Finding | None, requirement: str | None) -> str:
    if a is None or b is None:
        return "new" if a is None else "removed"
    rank_a, rank_b = _STATUS_RANK.get(a.status, 3), _STATUS_RANK.get(b.status, 3)
    moved = requirement not in (None, UNCHANGED)
    # Would the value after have met the requirement before? If not, the bar moved, not the model.
    held_before = meets(b.value, a.operator, a.threshold)
    if rank_b < rank_a:
        if moved and not held_before:
            how = "loosened" if requirement == LOOSENED else "changed"
            verb = "passes" if b.status == "pass" else "improves"
            return f"{verb} only because the requirement was {how}"
        return "better"
    if rank_b > rank_a:
        if requirement == TIGHTENED and held_before:
            return "fails only because the requirement was tightened"
        return "worse"
    if a.value is not None and b.value is not None and abs(a.value - b.value) > 1e-12:
        return "value changed"
    return "same"
