"""The review store: audit runs, their findings and the append-only review chain, on SQLAlchemy.

The default is a SQLite file ``store.sqlite`` under ``$RAI_HOME`` (default ``~/.responsible-ai``);
``RAI_STORE_URL`` (or the ``url`` argument) selects any SQLAlchemy database URL instead.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from responsible_ai.errors import InputError
from responsible_ai.review import Review, validate_review
from responsible_ai.store.chain import (
    CHAINED_FIELDS,
    GENESIS,
    ChainCheck,
    review_hash,
    sha256_text,
    verify_chain,
)
from responsible_ai.store.tables import Base, FindingRow, ReviewRow, RunRow

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.report.model import Report

__all__ = ["ChainCheck", "ReviewStore", "default_store_url", "rai_home"]

HOME_ENV = "RAI_HOME"
STORE_URL_ENV = "RAI_STORE_URL"
_WRITE_ATTEMPTS = 20


def rai_home() -> Path:
    """``$RAI_HOME``, or ``~/.responsible-ai``: where the store and caches live."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".responsible-ai").expanduser()


def default_store_url() -> str:
    """``$RAI_STORE_URL``, or the SQLite file ``store.sqlite`` under :func:`rai_home`."""
    return os.environ.get(STORE_URL_ENV) or f"sqlite:///{rai_home() / 'store.sqlite'}"


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    # pysqlite's own transaction handling defers the write lock; take it up front instead, so
    # that two writers never both read the same chain head (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if database and database != ":memory:":
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _fingerprint(report: Report) -> str:
    """What a run audited and found, without when: equal for a re-run of the same inputs."""
    content = report.to_dict()
    for key in ("created_at", "duration_seconds"):
        content.pop(key, None)
    return sha256_text(json.dumps(content, sort_keys=True, default=str))


def _review_of(row: ReviewRow) -> Review:
    return Review(
        run_id=row.run_id,
        decision=row.decision,
        reviewer=row.reviewer,
        comment=row.comment,
        check_id=row.check_id,
        justification=row.justification,
        expires_on=date.fromisoformat(row.expires_on) if row.expires_on else None,
        created_at=row.created_at,
        seq=row.seq,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class ReviewStore:
    """Runs, findings and reviews in one database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy database URL; default :func:`default_store_url`.

    Examples
    --------
    >>> store = ReviewStore("sqlite://")
    >>> store.verify().ok
    True
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_store_url()
        try:
            if make_url(self.url).get_backend_name() == "sqlite":
                self.engine = _sqlite_engine(self.url)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
            Base.metadata.create_all(self.engine)
        except ArgumentError as exc:
            raise InputError(
                f"cannot use store URL {self.url!r}: {exc}; give a SQLAlchemy URL such as "
                f"sqlite:///path/store.sqlite"
            ) from None
        except SQLAlchemyError as exc:
            raise InputError(f"cannot open the review store at {self.display_url}: {exc}") from None

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return self.url

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- runs ------------------------------------------------------------------------------

    def save_run(self, report: Report, label: str = "", *, reuse: bool = False) -> int:
        """Store a run (its full JSON report and findings); returns its id.

        With ``reuse=True`` a run whose inputs and findings equal a stored one is not stored
        again: the stored run's id is returned (the app uses this for the sample audit).
        """
        text = report.to_json(indent=None)
        fingerprint = _fingerprint(report)
        inputs = report.inputs or {}
        with Session(self.engine) as session, session.begin():
            if reuse:
                existing = session.scalars(
                    select(RunRow.id).where(RunRow.fingerprint == fingerprint).order_by(RunRow.id)
                ).first()
                if existing is not None:
                    return int(existing)
            row = RunRow(
                created_at=report.created_at or _now(),
                label=label,
                policy_name=str(report.policy.get("name", "")),
                policy_version=str(report.policy.get("version", "")),
                verdict=report.verdict,
                data_sha256=(inputs.get("data") or {}).get("sha256"),
                policy_sha256=(inputs.get("policy") or {}).get("sha256"),
                model_sha256=(inputs.get("model") or {}).get("sha256"),
                fingerprint=fingerprint,
                report_sha256=sha256_text(text),
                report_json=text,
            )
            session.add(row)
            session.flush()
            for finding in report.checks:
                session.add(
                    FindingRow(
                        run_id=row.id,
                        check_id=finding.id,
                        metric=finding.metric,
                        status=finding.status,
                        severity=finding.severity,
                        value=finding.to_dict()["value"],
                        operator=finding.operator,
                        threshold=finding.threshold,
                    )
                )
            return int(row.id)

    def report(self, run_id: int) -> Report:
        """The report of a stored run."""
        from responsible_ai.report.model import Report

        with Session(self.engine) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise InputError(f"no run {run_id} in the store at {self.display_url}")
            return Report.from_json(row.report_json)

    def runs(self) -> pd.DataFrame:
        """Every run, newest first: id, created_at, label, policy, verdict, failing checks."""
        import pandas as pd

        with Session(self.engine) as session:
            rows = session.scalars(select(RunRow).order_by(RunRow.id.desc())).all()
            failing = dict(
                session.execute(
                    select(FindingRow.run_id, func.count())
                    .where(FindingRow.status.in_(("fail", "error")))
                    .group_by(FindingRow.run_id)
                ).all()
            )
            records = [
                {
                    "run": row.id,
                    "created_at": row.created_at,
                    "label": row.label,
                    "policy": f"{row.policy_name} {row.policy_version}".strip(),
                    "verdict": row.verdict,
                    "failing_checks": int(failing.get(row.id, 0)),
                    "data_sha256": (row.data_sha256 or "")[:12],
                }
                for row in rows
            ]
        columns = ["run", "created_at", "label", "policy", "verdict", "failing_checks"]
        return pd.DataFrame(records, columns=[*columns, "data_sha256"])

    def history(self, today: date | None = None, limit: int = 500) -> pd.DataFrame:
        """The newest runs with where their review stands (state, verdict after waivers).

        Columns: those of :meth:`runs` plus ``review`` (pending, approved, rejected, approval
        lapsed), ``verdict_after_waivers``, ``reviews`` (count) and ``decided_by``.
        """
        from responsible_ai.review import run_review_state

        table = self.runs().head(limit).copy()
        reviews = self.reviews()
        states, after, counts, deciders = [], [], [], []
        for run_id in table["run"]:
            own = [r for r in reviews if r.run_id == run_id]
            state = run_review_state(self.report(int(run_id)), own, today)
            states.append(state.state)
            after.append(state.effective_verdict)
            counts.append(len(own))
            deciders.append(state.decided_by or "")
        table.insert(5, "review", states)
        table.insert(6, "verdict_after_waivers", after)
        table["reviews"] = counts
        table["decided_by"] = deciders
        return table

    # -- reviews ---------------------------------------------------------------------------

    def reviews(self, run_id: int | None = None) -> list[Review]:
        """Reviews in chain order, of one run or of all runs."""
        with Session(self.engine) as session:
            query = select(ReviewRow).order_by(ReviewRow.seq)
            if run_id is not None:
                query = query.where(ReviewRow.run_id == run_id)
            return [_review_of(row) for row in session.scalars(query).all()]

    def add_review(self, review: Review, today: date | None = None) -> Review:
        """Validate a review against its run and append it to the chain; returns it as stored.

        Concurrent writers are serialised: each append reads the chain head and writes the next
        record in one transaction; a writer that loses the race retries.

        Raises
        ------
        InputError
            The review is incomplete or not allowed (see :func:`validate_review`).
        """
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                return self._append(review, today)
            except (IntegrityError, OperationalError) as exc:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise InputError(
                        f"could not write the review to {self.display_url} after "
                        f"{_WRITE_ATTEMPTS} attempts: {exc.orig}"
                    ) from None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    def _append(self, review: Review, today: date | None) -> Review:
        from responsible_ai.report.model import Report

        with Session(self.engine) as session, session.begin():
            run = session.get(RunRow, review.run_id)
            if run is None:
                raise InputError(f"no run {review.run_id} in the store at {self.display_url}")
            existing = [
                _review_of(row)
                for row in session.scalars(
                    select(ReviewRow).where(ReviewRow.run_id == review.run_id)
                ).all()
            ]
            valid = validate_review(Report.from_json(run.report_json), existing, review, today)
            head = session.scalars(
                select(ReviewRow).order_by(ReviewRow.seq.desc()).limit(1)
            ).first()
            record: dict[str, Any] = {
                "seq": (head.seq if head else 0) + 1,
                "run_id": valid.run_id,
                "report_sha256": run.report_sha256,
                "check_id": valid.check_id,
                "decision": valid.decision,
                "reviewer": valid.reviewer,
                "comment": valid.comment,
                "justification": valid.justification,
                "expires_on": valid.expires_on.isoformat() if valid.expires_on else None,
                "created_at": _now(),
                "prev_hash": head.hash if head else GENESIS,
            }
            row = ReviewRow(**record, hash=review_hash(record))
            session.add(row)
            session.flush()
            return _review_of(row)

    # -- verification ----------------------------------------------------------------------

    def verify(self) -> ChainCheck:
        """Check the review chain and the stored reports; name the first broken record."""
        with Session(self.engine) as session:
            runs = {
                row.id: (row.report_json, row.report_sha256)
                for row in session.scalars(select(RunRow)).all()
            }
            reviews = [
                {column: getattr(row, column) for column in (*CHAINED_FIELDS, "hash")}
                for row in session.scalars(select(ReviewRow).order_by(ReviewRow.seq)).all()
            ]
        return verify_chain(runs, reviews)
