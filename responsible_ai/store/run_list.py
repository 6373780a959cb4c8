"""The run list of ``GET /v1/runs``: summary columns and review states, never a report.

A report is the largest thing in the store (tens of kilobytes each); listing runs reads only the
run columns, the findings' ids, statuses and severities, and the reviews, and derives each
run's review state with the same rule as the review app (:func:`run_review_state`). Runs stored
before ``fail_on`` became a column (store_0003) read their report only when they have reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from responsible_ai.errors import InputError
from responsible_ai.store.tables import FindingRow, ReviewRow, RunRow

if TYPE_CHECKING:
    from responsible_ai.store.store import ReviewStore

__all__ = ["REVIEW_STATES", "run_summaries"]

REVIEW_STATES = ("pending", "approved", "rejected", "approval lapsed")
UNKNOWN_STATE = "unknown review state {state!r}; choose one of: {states}"
_BATCH = 500
_COLUMNS = (
    RunRow.id,
    RunRow.created_at,
    RunRow.label,
    RunRow.policy_name,
    RunRow.policy_version,
    RunRow.verdict,
    RunRow.data_sha256,
    RunRow.model_sha256,
    RunRow.submitted_by,
    RunRow.fail_on,
)


@dataclass(frozen=True)
class _Checks:
    """What :func:`run_review_state` reads of a report: its findings and ``fail_on``."""

    checks: list[Any]
    policy: dict[str, Any]


def run_summaries(
    store: ReviewStore,
    *,
    limit: int = 50,
    offset: int = 0,
    before_id: int | None = None,
    policy: str | None = None,
    model_sha: str | None = None,
    state: str | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The newest runs (ids below ``before_id``, after skipping ``offset``), filtered.

    Each summary: id, created_at, label, policy_name, policy_version, verdict, data_sha256,
    model_sha256, submitted_by, review_state, verdict_after_waivers and what_blocks.

    Raises
    ------
    InputError
        ``state`` is not one of :data:`REVIEW_STATES`.
    """
    if state is not None and state not in REVIEW_STATES:
        raise InputError(UNKNOWN_STATE.format(state=state[:40], states=", ".join(REVIEW_STATES)))
    query = select(*_COLUMNS).order_by(RunRow.id.desc())
    if policy:
        query = query.where(RunRow.policy_name == policy)
    if model_sha:
        query = query.where(RunRow.model_sha256 == model_sha.lower())
    with Session(store.engine) as session:
        if state is None:  # paging in SQL
            if before_id is not None:
                query = query.where(RunRow.id < before_id)
            rows = session.execute(query.offset(offset).limit(limit)).all()
            return _summaries(session, rows, today)
        # The state is derived, not stored: walk the runs newest first, a batch at a time.
        found: list[dict[str, Any]] = []
        skipped = 0
        while len(found) < limit:
            batch_query = query if before_id is None else query.where(RunRow.id < before_id)
            batch = session.execute(batch_query.limit(_BATCH)).all()
            for summary in _summaries(session, batch, today):
                if summary["review_state"] != state:
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                found.append(summary)
                if len(found) == limit:
                    break
            if len(batch) < _BATCH:
                break
            before_id = int(batch[-1].id)
        return found


def _stored_fail_on(session: Session, run_id: int) -> str:
    """The ``fail_on`` in the report of a run stored before the column (in the same session:
    a second one would wait for this one's lock on SQLite)."""
    import json

    text = session.execute(select(RunRow.report_json).where(RunRow.id == run_id)).scalar_one()
    return str((json.loads(text).get("policy") or {}).get("fail_on") or "high")


def _summaries(session: Session, rows: Sequence[Any], today: date | None) -> list[dict[str, Any]]:
    from responsible_ai.checker.findings import Finding
    from responsible_ai.review import run_review_state
    from responsible_ai.store.store import _review_of

    ids = [int(row.id) for row in rows]
    if not ids:
        return []
    checks: dict[int, list[Any]] = {run_id: [] for run_id in ids}
    finding_columns = (
        FindingRow.run_id,
        FindingRow.check_id,
        FindingRow.metric,
        FindingRow.status,
        FindingRow.severity,
    )
    for finding in session.execute(
        select(*finding_columns).where(FindingRow.run_id.in_(ids)).order_by(FindingRow.id)
    ):
        checks[int(finding.run_id)].append(
            Finding(finding.check_id, finding.metric, finding.status, finding.severity)
        )
    reviews: dict[int, list[Any]] = {run_id: [] for run_id in ids}
    for review in session.scalars(
        select(ReviewRow).where(ReviewRow.run_id.in_(ids)).order_by(ReviewRow.seq)
    ):
        reviews[int(review.run_id)].append(_review_of(review))
    summaries = []
    for row in rows:
        run_id = int(row.id)
        own = reviews[run_id]
        fail_on = row.fail_on or _stored_fail_on(session, run_id)
        found = run_review_state(_Checks(checks[run_id], {"fail_on": fail_on}), own, today)
        state, after = found.state, found.effective_verdict
        summaries.append(
            {
                "id": run_id,
                "created_at": row.created_at,
                "label": row.label,
                "policy_name": row.policy_name,
                "policy_version": row.policy_version,
                "verdict": row.verdict,
                "model_sha256": row.model_sha256,
                "data_sha256": row.data_sha256,
                "submitted_by": row.submitted_by or "",
                "review_state": state,
                "verdict_after_waivers": after,
                # What still blocks, by why, in the app's words ("1 fails, 1 lacks evidence").
                "what_blocks": found.blocking_text,
            }
        )
    return summaries
