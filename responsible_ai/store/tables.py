"""The tables of the review store: runs, their findings and reviews, each an append-only chain.

Every chained row has ``seq`` (its position, equal to ``id``), ``prev_hash`` and ``hash`` (see
:mod:`responsible_ai.store.chain`); ``rai_store_head`` seals the chains' counts and last hashes.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from responsible_ai.store.head import head_table

__all__ = [
    "CHAINED_TABLES",
    "HEAD",
    "Base",
    "FindingRow",
    "MonitorAckRow",
    "MonitorAlertRow",
    "MonitorRunRow",
    "MonitorWindowRow",
    "ReviewRow",
    "RunRow",
    "TokenRow",
    "UserRow",
]


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class RunRow(Base):
    """One audit run: the full JSON report and the fingerprints of what it audited."""

    __tablename__ = "rai_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), default="")
    policy_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    policy_version: Mapped[str] = mapped_column(String(50), default="")
    verdict: Mapped[str] = mapped_column(String(20))
    data_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    report_sha256: Mapped[str] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text)
    # Who submitted the run (an authenticated identity, or ``local:<OS user>``) and from where.
    submitted_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    submitted_role: Mapped[str] = mapped_column(String(20), default="", server_default="")
    submitted_via: Mapped[str] = mapped_column(String(40), default="", server_default="")
    provenance_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    #: The exact text of every policy file that ran (the extends chain), by path, as JSON.
    policy_text_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    #: The policy's ``fail_on``: with the findings and reviews it gives the review state, so
    #: that the run list never reads a report (empty for runs stored before store_0003).
    fail_on: Mapped[str] = mapped_column(String(20), default="", server_default="")
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FindingRow(Base):
    """One finding of a run, in columns so that runs can be queried and compared."""

    __tablename__ = "rai_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rai_runs.id"), index=True)
    check_id: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    operator: Mapped[str | None] = mapped_column(String(4), nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ReviewRow(Base):
    """One review decision. Never updated or deleted; ``hash`` chains it to the previous one."""

    __tablename__ = "rai_reviews"
    __table_args__ = (UniqueConstraint("seq", name="uq_rai_reviews_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("rai_runs.id"), index=True)
    report_sha256: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewer_role: Mapped[str] = mapped_column(String(20), default="", server_default="")
    reviewer_via: Mapped[str] = mapped_column(String(40), default="", server_default="")
    comment: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text, default="")
    expires_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    """One version of a user. Append-only: a change (disable) is a new row for the same
    ``username``; the user's current state is their row with the highest ``seq``."""

    __tablename__ = "rai_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String(40))
    changed_by: Mapped[str] = mapped_column(String(200), default="")
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class TokenRow(Base):
    """One version of an API token: only the SHA-256 of its secret is stored. Append-only like
    users: revoking is a new row for the same ``token_id`` with ``revoked`` set."""

    __tablename__ = "rai_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[str] = mapped_column(String(40), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    revoked: Mapped[int] = mapped_column(Integer, default=0)
    changed_by: Mapped[str] = mapped_column(String(200), default="")
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MonitorRunRow(Base):
    """One run of a monitor (``rai monitor --store``): its report, and the counts of the files
    it read (only those: a monitor's counts are the sum of its runs', so ``--follow`` appends)."""

    __tablename__ = "rai_monitor_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[str] = mapped_column(String(40))
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verdict: Mapped[str] = mapped_column(String(20))
    files: Mapped[int] = mapped_column(Integer)
    report_sha256: Mapped[str] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text)
    counts_sha256: Mapped[str] = mapped_column(String(64))
    counts_json: Mapped[str] = mapped_column(Text)
    profile_sha256: Mapped[str] = mapped_column(String(64))
    profile_json: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_role: Mapped[str] = mapped_column(String(20))
    submitted_via: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MonitorWindowRow(Base):
    """One window's numbers as a monitor run computed them (a later run's version wins)."""

    __tablename__ = "rai_monitor_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor_run_id: Mapped[int] = mapped_column(ForeignKey("rai_monitor_runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    window: Mapped[str] = mapped_column(String(40))
    rows: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MonitorAlertRow(Base):
    """One alert rule's outcome in a monitor run (the finding's JSON is in the run's report)."""

    __tablename__ = "rai_monitor_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor_run_id: Mapped[int] = mapped_column(ForeignKey("rai_monitor_runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    rule_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    alert_window: Mapped[str | None] = mapped_column(String(40), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MonitorAckRow(Base):
    """A reviewer's acknowledgement of an alert, signed by an authenticated identity."""

    __tablename__ = "rai_monitor_acks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("rai_monitor_alerts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewer_role: Mapped[str] = mapped_column(String(20))
    reviewer_via: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


HEAD = head_table("rai_store_head", Base.metadata)
MONITOR_TABLES = [
    "rai_monitor_runs",
    "rai_monitor_windows",
    "rai_monitor_alerts",
    "rai_monitor_acks",
]
CHAINED_TABLES = [
    "rai_runs",
    "rai_findings",
    "rai_reviews",
    "rai_users",
    "rai_tokens",
    *MONITOR_TABLES,
]
