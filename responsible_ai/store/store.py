"""The review store: audit runs, their findings and the append-only review chain, on SQLAlchemy.

The default is a SQLite file ``store.sqlite`` under ``$RAI_HOME`` (default ``~/.responsible-ai``);
``RAI_STORE_URL`` (or the ``url`` argument) selects any SQLAlchemy database URL instead.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session

from responsible_ai.errors import InputError
from responsible_ai.resources import rai_home
from responsible_ai.review import Review, validate_review
from responsible_ai.store.chain import ChainCheck, ChainState, TableSpec, sha256_text, verify_chains
from responsible_ai.store.head import (
    MISSING,
    create_head,
    lock_for_creation,
    missing_sqlite_file,
    read_head,
    refuse_legacy,
    refuse_unfit,
    save_state,
    writer_state,
)
from responsible_ai.store.identity import Identity, local_identity
from responsible_ai.store.location import STORE_URL_ENV, default_store_url
from responsible_ai.store.migrate import STORE, check_revision, stamp_new
from responsible_ai.store.monitors import MONITOR_ROWS, MONITOR_SPECS, monitor_problems
from responsible_ai.store.secrets import load_store_key, mask_url, scrub
from responsible_ai.store.tables import (
    CHAINED_TABLES,
    HEAD,
    Base,
    FindingRow,
    ReviewRow,
    RunRow,
    TokenRow,
    UserRow,
)

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Connection

    from responsible_ai.report.model import Report

__all__ = ["ChainCheck", "ReviewStore", "default_store_url", "rai_home", "store_engine"]

_WRITE_ATTEMPTS = 20
WHAT = "store"
_WHERE = {"flag": "--store", "env": STORE_URL_ENV}
BAD_URL = (
    "cannot use store URL {url}: {reason}; give a SQLAlchemy URL such as "
    "sqlite:///path/store.sqlite"
)
NO_DRIVER = (
    "cannot open the review store at {url}: its database driver is not installed ({reason}); "
    "install it, or use a SQLite URL such as sqlite:///path/store.sqlite"
)
CANNOT_OPEN = "cannot open the review store at {url}: {reason}"
CANNOT_WRITE = (
    "cannot write to the review store at {url}: {reason} (check that the database user may "
    "insert into and update the store's tables)"
)
TABLES = Base.metadata.tables
#: Columns of ``rai_runs`` that its chain hashes: all but the report text, which ``report_sha256``
#: (hashed) fingerprints and ``verify`` re-computes.
RUN_COLUMNS = [c.name for c in RunRow.__table__.columns if c.name != "report_json"]
FINDING_COLUMNS = [c.name for c in FindingRow.__table__.columns]
REVIEW_COLUMNS = [c.name for c in ReviewRow.__table__.columns]
#: Columns added after the first chained version, with their defaults (see ``record_hash``):
#: records written before them verify unchanged once a migration adds them.
RUN_OPTIONAL = {
    "submitted_by": "",
    "submitted_role": "",
    "submitted_via": "",
    "provenance_json": "{}",
    "policy_text_json": "{}",
    "fail_on": "",
}
REVIEW_OPTIONAL = {"reviewer_role": "", "reviewer_via": ""}
SPECS = {
    "rai_runs": TableSpec("rai_runs", "run", lambda r: f"run {r['id']}", RUN_COLUMNS, RUN_OPTIONAL),
    "rai_findings": TableSpec(
        "rai_findings",
        "finding",
        lambda r: f"finding {r['id']} (run {r['run_id']}, check {r['check_id']!r}, {r['status']})",
        FINDING_COLUMNS,
    ),
    "rai_reviews": TableSpec(
        "rai_reviews",
        "review",
        lambda r: f"review #{r['seq']} (run {r['run_id']}, {r['decision']} by {r['reviewer']})",
        REVIEW_COLUMNS,
        REVIEW_OPTIONAL,
    ),
    "rai_users": TableSpec(
        "rai_users",
        "user record",
        lambda r: f"user record #{r['seq']} ({r['username']!r}, {r['role']})",
        [c.name for c in UserRow.__table__.columns],
    ),
    "rai_tokens": TableSpec(
        "rai_tokens",
        "token record",
        lambda r: f"token record #{r['seq']} (token {r['token_id']} of {r['username']!r})",
        [c.name for c in TokenRow.__table__.columns],
    ),
}
SPECS.update(MONITOR_SPECS)
SUBMITTER_CANNOT_REVIEW = (
    "{user} has the submitter role and cannot review; ask a reviewer (four eyes)"
)
OWN_RUN = "{user} submitted run {run} and cannot {decision} it: another reviewer must (four eyes)"


def _sqlite_engine(url: str, create: bool) -> Engine:
    database = make_url(url).database
    if not create:
        # Verifying only reads: no write lock, no journal change, so a read-only copy verifies.
        return create_engine(url, connect_args={"timeout": 30})
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


OLDER_SCHEMA = (
    "the review store at {url} was created by an older responsible-ai: it has no {what}; "
    "upgrade it in place with rai store upgrade (or move it aside and start a new one)"
)


def _require_schema(connection: Connection, url: str) -> None:
    """Refuse a store whose tables lack what this version writes (before any half-write)."""
    from sqlalchemy import inspect

    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            raise InputError(OLDER_SCHEMA.format(url=url, what=f"table {table.name}"))
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in present]
        if missing:
            what = f"column {table.name}.{missing[0]}"
            raise InputError(OLDER_SCHEMA.format(url=url, what=what))


def store_engine(url: str, create: bool = True) -> Engine:
    """The engine of a store URL: SQLite writers take the write lock up front."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, create)
    return create_engine(url, pool_pre_ping=True)


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

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = url or default_store_url()
        self._key = load_store_key()
        shown = self.display_url
        try:
            if not create and missing_sqlite_file(self.url):
                raise InputError(MISSING.format(what="review store", url=shown, **_WHERE))
            self.engine = store_engine(self.url, create)
            with self.engine.connect() as connection, connection.begin():
                lock_for_creation(connection, "review store")
                if refuse_legacy(connection, HEAD, CHAINED_TABLES, "review store", shown):
                    check_revision(connection, STORE, shown)
                    _require_schema(connection, shown)
                else:
                    if not create:
                        raise InputError(MISSING.format(what="review store", url=shown, **_WHERE))
                    # A new store: the models' schema, stamped with the newest migration (the
                    # tests prove the migrations build the same schema).
                    Base.metadata.create_all(connection)
                    stamp_new(connection, STORE)
                    create_head(connection, HEAD, self._key)
        except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
            raise InputError(BAD_URL.format(url=shown, reason=scrub(str(exc), self.url))) from None
        except ImportError as exc:
            raise InputError(
                NO_DRIVER.format(url=shown, reason=scrub(str(exc), self.url))
            ) from None
        except SQLAlchemyError as exc:
            reason = scrub(str(getattr(exc, "orig", None) or exc), self.url)
            raise InputError(CANNOT_OPEN.format(url=shown, reason=reason)) from None

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return mask_url(self.url)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------

    def save_run(
        self,
        report: Report,
        label: str = "",
        *,
        reuse: bool = False,
        submitter: Identity | None = None,
        policy_text: dict[str, str] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> int:
        """Store a run (its full JSON report and findings) as chained records; returns its id.

        ``submitter`` (who submitted it: four eyes keeps them from reviewing it), the exact
        ``policy_text`` of every policy file by path, and the ``provenance`` (git commit,
        branch, CI job) are chained with the run. With ``reuse=True`` a run whose inputs and
        findings equal a stored one is not stored again: the stored run's id is returned (the
        app uses this for the sample audit).
        """
        extra = {
            "submitted_by": submitter.username if submitter else "",
            "submitted_role": submitter.role if submitter else "",
            "submitted_via": submitter.via if submitter else "",
            "provenance_json": json.dumps(provenance or {}, sort_keys=True, default=str),
            "policy_text_json": json.dumps(policy_text or {}),  # in extends order
        }
        return int(self._write(lambda: self._save_run(report, label, reuse, extra)))

    def _save_run(self, report: Report, label: str, reuse: bool, extra: dict[str, str]) -> int:
        text = report.to_json(indent=None)
        fingerprint = _fingerprint(report)
        inputs = report.inputs or {}
        with Session(self.engine) as session, session.begin():
            state = self._state(session.connection())
            if reuse:
                existing = session.scalars(
                    select(RunRow.id).where(RunRow.fingerprint == fingerprint).order_by(RunRow.id)
                ).first()
                if existing is not None:
                    return int(existing)
            run = state.next(
                self._key,
                "rai_runs",
                {
                    "created_at": report.created_at or _now(),
                    "label": label,
                    "policy_name": str(report.policy.get("name", "")),
                    "policy_version": str(report.policy.get("version", "")),
                    "verdict": report.verdict,
                    "data_sha256": (inputs.get("data") or {}).get("sha256"),
                    "policy_sha256": (inputs.get("policy") or {}).get("sha256"),
                    "model_sha256": (inputs.get("model") or {}).get("sha256"),
                    "fingerprint": fingerprint,
                    "report_sha256": sha256_text(text),
                    "fail_on": str(report.policy.get("fail_on") or ""),
                    **extra,
                },
                RUN_OPTIONAL,
            )
            refuse_unfit(TABLES["rai_runs"], run, "review store")
            session.add(RunRow(**run, report_json=text))
            session.flush()
            for finding in report.checks:
                record = state.next(
                    self._key,
                    "rai_findings",
                    {
                        "run_id": run["id"],
                        "check_id": finding.id,
                        "metric": finding.metric,
                        "status": finding.status,
                        "severity": finding.severity,
                        "value": finding.to_dict()["value"],
                        "operator": finding.operator,
                        "threshold": finding.threshold,
                    },
                )
                refuse_unfit(TABLES["rai_findings"], record, "review store")
                session.add(FindingRow(**record))
            session.flush()
            save_state(session.connection(), HEAD, self._key, state)
            return int(run["id"])

    def _state(self, connection: Connection) -> ChainState:
        """The chain state, locked: the first statement of every appending transaction, so that
        under PostgreSQL's READ COMMITTED each later read sees every committed append."""
        return writer_state(connection, HEAD, self._key, WHAT, self.display_url, "rai store verify")

    def _write(self, append: Any) -> Any:
        """Run one appending transaction; a writer that loses a race for the head retries."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                return append()
            except DBAPIError as exc:
                # A lost race (a unique seq, a deadlock) is retried; anything else (a role
                # that may not write, say) would fail again: refuse it now, in one line.
                if not isinstance(exc, IntegrityError | OperationalError):
                    reason = scrub(str(exc.orig), self.url)
                    raise InputError(
                        CANNOT_WRITE.format(url=self.display_url, reason=reason)
                    ) from None
                if attempt == _WRITE_ATTEMPTS - 1:
                    reason = scrub(str(exc.orig), self.url)
                    raise InputError(
                        f"could not write to the review store at {self.display_url} after "
                        f"{_WRITE_ATTEMPTS} attempts: {reason}"
                    ) from None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

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

        with Session(self.engine) as session:  # the run columns, not the reports
            rows = session.execute(
                select(
                    RunRow.id,
                    RunRow.created_at,
                    RunRow.label,
                    RunRow.policy_name,
                    RunRow.policy_version,
                    RunRow.verdict,
                    RunRow.data_sha256,
                ).order_by(RunRow.id.desc())
            ).all()
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
        lapsed), ``verdict_after_waivers``, ``reviews`` (count), ``decided_by`` and
        ``policy_change`` (``policy changed: 1.0 -> 1.0+edit.3f2a91c0`` when the run's policy
        text differs from the previous run of that policy, else empty).
        """
        from responsible_ai.store.run_list import run_summaries

        table = self.runs().head(limit).copy()
        reviews = self.reviews()
        # The review states from the findings table, as GET /v1/runs has them: no report read.
        summaries = {s["id"]: s for s in run_summaries(self, limit=limit, today=today)}
        states, after, counts, deciders = [], [], [], []
        for run_id in table["run"]:
            own = [r for r in reviews if r.run_id == run_id]
            summary = summaries[int(run_id)]
            states.append(summary["review_state"])
            after.append(summary["verdict_after_waivers"])
            counts.append(len(own))
            decisions = [r for r in sorted(own, key=lambda r: r.seq) if r.check_id is None]
            deciders.append(decisions[-1].reviewer if decisions else "")
        table.insert(5, "review", states)
        table.insert(6, "verdict_after_waivers", after)
        table["reviews"] = counts
        table["decided_by"] = deciders
        marks = self._policy_marks()
        table["policy_change"] = [marks.get(int(i), "") for i in table["run"]]
        return table

    def _policy_marks(self) -> dict[int, str]:
        """Each run whose policy text differs from the previous run of the same policy name."""
        from responsible_ai.policy.versions import policy_change_marks

        columns = (RunRow.id, RunRow.policy_name, RunRow.policy_version, RunRow.policy_sha256)
        with Session(self.engine) as session:
            rows = session.execute(select(*columns)).all()
        return policy_change_marks(row._asdict() for row in rows)

    # -- reviews ---------------------------------------------------------------------------

    def reviews(self, run_id: int | None = None) -> list[Review]:
        """Reviews in chain order, of one run or of all runs."""
        with Session(self.engine) as session:
            query = select(ReviewRow).order_by(ReviewRow.seq)
            if run_id is not None:
                query = query.where(ReviewRow.run_id == run_id)
            return [_review_of(row) for row in session.scalars(query).all()]

    def run_record(self, run_id: int) -> dict[str, Any]:
        """A run's columns but its report: who submitted it, provenance, policy text."""
        with Session(self.engine) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise InputError(f"no run {run_id} in the store at {self.display_url}")
            record = {c: getattr(row, c) for c in RUN_COLUMNS}
            record["provenance"] = json.loads(row.provenance_json or "{}")
            record["policy_text"] = json.loads(row.policy_text_json or "{}")
            return record

    def latest_run(self, policy_name: str, model_sha256: str | None = None) -> int | None:
        """The id of the newest run of a policy (and model, by its SHA-256), or None."""
        with Session(self.engine) as session:
            query = select(RunRow.id).where(RunRow.policy_name == policy_name)
            if model_sha256:
                query = query.where(RunRow.model_sha256 == model_sha256.lower())
            found = session.scalars(query.order_by(RunRow.id.desc())).first()
            return None if found is None else int(found)

    def latest_own_run(self, label: str, data_sha256: str) -> int | None:
        """The id of the newest run saved by the app itself (no submitter: not a ``--submit``
        nor an API submission) under ``label`` for the data with this SHA-256, or None."""
        with Session(self.engine) as session:
            query = select(RunRow.id).where(
                RunRow.label == label,
                RunRow.data_sha256 == data_sha256,
                RunRow.submitted_by == "",
            )
            found = session.scalars(query.order_by(RunRow.id.desc())).first()
            return None if found is None else int(found)

    def add_review(
        self, review: Review, identity: Identity | None = None, *, today: date | None = None
    ) -> Review:
        """Validate a review against its run and append it to the chain; returns it as stored.

        The review is signed by ``identity`` (from ``authenticate_password`` or
        ``authenticate_token``), re-checked in the writing transaction; ``review.reviewer`` is
        ignored. Without an identity the store must have no users: the review is then signed
        ``local:<OS user>`` (unauthenticated local mode). Four eyes: a submitter cannot review,
        nobody reviews a run they submitted.

        Concurrent writers are serialised: each append reads the chain head and writes the next
        record in one transaction; a writer that loses the race retries.

        Raises
        ------
        InputError
            The review is incomplete or not allowed (see :func:`validate_review`).
        """
        signer = identity or local_identity()
        return self._write(lambda: self._append(review, signer, today))

    def _append(self, review: Review, identity: Identity, today: date | None) -> Review:
        from responsible_ai.report.model import Report
        from responsible_ai.store.people import current_identity

        with Session(self.engine) as session, session.begin():
            # The head lock first: what validation reads (the run's reviews) cannot change
            # before this review is appended (PostgreSQL; SQLite's BEGIN IMMEDIATE already).
            state = self._state(session.connection())
            run = session.get(RunRow, review.run_id)
            if run is None:
                raise InputError(f"no run {review.run_id} in the store at {self.display_url}")
            signer = current_identity(session, identity)
            if signer.role not in ("reviewer", "admin"):
                raise InputError(SUBMITTER_CANNOT_REVIEW.format(user=signer.username))
            if run.submitted_by and run.submitted_by == signer.username:
                raise InputError(
                    OWN_RUN.format(user=signer.username, run=run.id, decision=review.decision)
                )
            review = replace(review, reviewer=signer.username)
            existing = [
                _review_of(row)
                for row in session.scalars(
                    select(ReviewRow).where(ReviewRow.run_id == review.run_id)
                ).all()
            ]
            valid = validate_review(Report.from_json(run.report_json), existing, review, today)
            record = state.next(
                self._key,
                "rai_reviews",
                {
                    "run_id": valid.run_id,
                    "report_sha256": run.report_sha256,
                    "check_id": valid.check_id,
                    "decision": valid.decision,
                    "reviewer": valid.reviewer,
                    "reviewer_role": signer.role,
                    "reviewer_via": signer.via,
                    "comment": valid.comment,
                    "justification": valid.justification,
                    "expires_on": valid.expires_on.isoformat() if valid.expires_on else None,
                    "created_at": _now(),
                },
                REVIEW_OPTIONAL,
            )
            refuse_unfit(TABLES["rai_reviews"], record, "review store")
            row = ReviewRow(**record)
            session.add(row)
            session.flush()
            save_state(session.connection(), HEAD, self._key, state)
            return _review_of(row)

    # -- verification ----------------------------------------------------------------------

    def verify(self, expect_head: str | None = None) -> ChainCheck:
        """Check every chain (runs, findings, reviews), the sealed head and the stored reports.

        Returns a :class:`ChainCheck` naming the first broken record; ``head`` is worth keeping
        elsewhere and passing back as ``expect_head`` to detect a deleted tail or a rollback.

        Raises
        ------
        InputError
            The store is keyed and ``RAI_STORE_KEY`` is not set (or is another key).
        """
        with self.engine.connect() as connection:
            head = read_head(connection, HEAD)
            tables = []
            for row_class in (RunRow, FindingRow, ReviewRow, UserRow, TokenRow, *MONITOR_ROWS):
                spec = SPECS[row_class.__tablename__]
                table = row_class.__table__
                query = select(*[table.c[name] for name in spec.columns]).order_by(table.c.seq)
                rows = [dict(row) for row in connection.execute(query).mappings()]
                tables.append((spec, rows))
            reports = dict(connection.execute(select(RunRow.id, RunRow.report_json)).all())
            monitors = monitor_problems(connection)
        runs = {row["id"]: row for row in tables[0][1]}

        def cross_check() -> str | None:
            for run in runs.values():
                if sha256_text(reports.get(run["id"], "")) != run["report_sha256"]:
                    return (
                        f"run {run['id']}: its stored report was changed after it was written "
                        "(SHA-256 differs)"
                    )
            for finding in tables[1][1]:
                if finding["run_id"] not in runs:
                    return f"{SPECS['rai_findings'].name(finding)}: its run is missing"
            for review in tables[2][1]:
                signed = runs.get(review["run_id"])
                if signed is None or signed["report_sha256"] != review["report_sha256"]:
                    return (
                        f"{SPECS['rai_reviews'].name(review)}: the report it signed is missing "
                        "or was replaced"
                    )
            return monitors

        return verify_chains(self._key, head, tables, WHAT, expect_head, cross_check)
