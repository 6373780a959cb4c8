"""Monitors in the review store: runs, windows, alerts and acknowledgements, all chained records.

A monitor is a name (the policy's, by default). Each ``rai monitor --store`` run appends one
``rai_monitor_runs`` record holding its report and the counts of the files it read (only those:
counts merge, so the monitor's counts are the sum of its runs'), one ``rai_monitor_windows``
record per window it (re)computed, and one ``rai_monitor_alerts`` record per alert rule. A
reviewer acknowledges an alert with a ``rai_monitor_acks`` record signed by their identity.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from responsible_ai.errors import InputError
from responsible_ai.store.chain import TableSpec, sha256_text
from responsible_ai.store.tables import (
    MonitorAckRow,
    MonitorAlertRow,
    MonitorRunRow,
    MonitorWindowRow,
)

if TYPE_CHECKING:
    from responsible_ai.monitor.run import MonitorResult, MonitorState
    from responsible_ai.store.identity import Identity

# The store is passed in (``ReviewStore``); not imported, since the store imports this module.
ReviewStore = Any

__all__ = [
    "MONITOR_ROWS",
    "MONITOR_SPECS",
    "NO_MONITOR",
    "acknowledge_alert",
    "monitor_acks",
    "monitor_alerts",
    "monitor_names",
    "monitor_problems",
    "monitor_state",
    "monitor_windows",
    "save_monitor_run",
]

NO_MONITOR = "no monitor {name!r} in the store at {url}; run rai monitor LOGS --policy P --store"
NO_ALERT = "no alert {alert} of monitor {name!r} in the store"
NOT_FIRED = "alert {alert} did not fire ({status}): there is nothing to acknowledge"
ACK_ROLE = "{user} has the submitter role and cannot acknowledge alerts; ask a reviewer"
EMPTY_COMMENT = "an acknowledgement needs a comment saying what is being done about the alert"
_TEXT = {"report_json", "counts_json", "profile_json"}
MONITOR_ROWS = (MonitorRunRow, MonitorWindowRow, MonitorAlertRow, MonitorAckRow)
MONITOR_SPECS = {
    "rai_monitor_runs": TableSpec(
        "rai_monitor_runs",
        "monitor run",
        lambda r: f"monitor run {r['id']} ({r['name']!r})",
        [c.name for c in MonitorRunRow.__table__.columns if c.name not in _TEXT],
    ),
    "rai_monitor_windows": TableSpec(
        "rai_monitor_windows",
        "monitor window",
        lambda r: f"monitor window {r['id']} ({r['name']!r}, {r['window']})",
        [c.name for c in MonitorWindowRow.__table__.columns if c.name != "payload_json"],
    ),
    "rai_monitor_alerts": TableSpec(
        "rai_monitor_alerts",
        "monitor alert",
        lambda r: f"monitor alert {r['id']} ({r['name']!r}, {r['rule_id']}, {r['status']})",
        [c.name for c in MonitorAlertRow.__table__.columns],
    ),
    "rai_monitor_acks": TableSpec(
        "rai_monitor_acks",
        "acknowledgement",
        lambda r: f"acknowledgement #{r['seq']} (alert {r['alert_id']} by {r['reviewer']})",
        [c.name for c in MonitorAckRow.__table__.columns],
    ),
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def save_monitor_run(
    store: ReviewStore, result: MonitorResult, fresh_counts: Any, identity: Identity | None = None
) -> int:
    """Append a monitor run, its (re)computed windows and its alerts; returns the run's id."""
    from responsible_ai.monitor.persist import plain_json
    from responsible_ai.store.head import save_state
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.tables import HEAD

    signer = identity or local_identity("submitter")
    report = result.report
    report_text = report.to_json(indent=None)
    counts_text = fresh_counts.to_json()
    profile = result.state.profile
    profile_text = "" if profile is None else profile.to_json()
    touched = set(fresh_counts.windows)

    def append() -> int:
        with Session(store.engine) as session, session.begin():
            state = store._state(session.connection())
            run = state.next(
                store._key,
                "rai_monitor_runs",
                {
                    "name": result.name,
                    "created_at": report.created_at or _now(),
                    "policy_name": str(report.policy.get("name", "")),
                    "policy_sha256": (report.inputs.get("policy") or {}).get("sha256"),
                    "data_sha256": (report.inputs.get("data") or {}).get("sha256"),
                    "verdict": report.verdict,
                    "files": len(result.new_files),
                    "report_sha256": sha256_text(report_text),
                    "counts_sha256": sha256_text(counts_text),
                    "profile_sha256": sha256_text(profile_text),
                    "submitted_by": signer.username,
                    "submitted_role": signer.role,
                    "submitted_via": signer.via,
                },
            )
            session.add(
                MonitorRunRow(
                    **run,
                    report_json=report_text,
                    counts_json=counts_text,
                    profile_json=profile_text,
                )
            )
            session.flush()
            for window in result.windows:
                if window["window"] not in touched:
                    continue
                payload = plain_json(window)
                record = state.next(
                    store._key,
                    "rai_monitor_windows",
                    {
                        "monitor_run_id": run["id"],
                        "name": result.name,
                        "window": window["window"],
                        "rows": int(window["rows"]),
                        "payload_sha256": sha256_text(payload),
                    },
                )
                session.add(MonitorWindowRow(**record, payload_json=payload))
            for finding in report.checks:
                record = state.next(
                    store._key,
                    "rai_monitor_alerts",
                    {
                        "monitor_run_id": run["id"],
                        "name": result.name,
                        "rule_id": finding.id,
                        "status": finding.status,
                        "severity": finding.severity,
                        "alert_window": finding.evidence.get("alert_window"),
                        "message": finding.message,
                    },
                )
                session.add(MonitorAlertRow(**record))
            session.flush()
            save_state(session.connection(), HEAD, store._key, state)
            return int(run["id"])

    return int(store._write(append))


def monitor_names(store: ReviewStore) -> list[str]:
    """Every monitor's name, sorted."""
    with Session(store.engine) as session:
        return sorted(set(session.scalars(select(MonitorRunRow.name)).all()))


def _runs(session: Session, name: str) -> list[MonitorRunRow]:
    return list(
        session.scalars(
            select(MonitorRunRow).where(MonitorRunRow.name == name).order_by(MonitorRunRow.seq)
        ).all()
    )


def monitor_state(store: ReviewStore, name: str) -> MonitorState | None:
    """The monitor's counts (every run's added up), profile and latest windows; None if new."""
    from responsible_ai.monitor.profile import ReferenceProfile
    from responsible_ai.monitor.run import MonitorState
    from responsible_ai.monitor.windows import WindowCounts

    with Session(store.engine) as session:
        runs = _runs(session, name)
        if not runs:
            return None
        counts = WindowCounts.merge_all([WindowCounts.from_json(r.counts_json) for r in runs])
        profile_text = runs[0].profile_json
    profile = ReferenceProfile.from_json(profile_text) if profile_text else None
    return MonitorState(counts, profile, monitor_windows(store, name))


def monitor_windows(store: ReviewStore, name: str) -> list[dict[str, Any]]:
    """The newest version of every window of the monitor, in window order."""
    with Session(store.engine) as session:
        rows = session.execute(
            select(MonitorWindowRow.window, MonitorWindowRow.payload_json)
            .where(MonitorWindowRow.name == name)
            .order_by(MonitorWindowRow.seq)
        ).all()
    latest = {window: payload for window, payload in rows}
    return [json.loads(latest[w]) for w in sorted(latest)]


def monitor_alerts(store: ReviewStore, name: str) -> list[dict[str, Any]]:
    """The alerts of the monitor's newest run, each with its evidence and acknowledgements."""
    from responsible_ai.report.model import Report

    acks = monitor_acks(store, name)
    with Session(store.engine) as session:
        runs = _runs(session, name)
        if not runs:
            raise InputError(NO_MONITOR.format(name=name, url=store.display_url))
        last = runs[-1]
        findings = {f.id: f for f in Report.from_json(last.report_json).checks}
        alerts = session.scalars(
            select(MonitorAlertRow)
            .where(MonitorAlertRow.monitor_run_id == last.id)
            .order_by(MonitorAlertRow.seq)
        ).all()
        out = []
        for alert in alerts:
            finding = findings.get(alert.rule_id)
            out.append(
                {
                    "id": alert.id,
                    "monitor_run": last.id,
                    "rule": alert.rule_id,
                    "status": alert.status,
                    "severity": alert.severity,
                    "alert_window": alert.alert_window,
                    "message": alert.message,
                    "evidence": finding.to_dict()["evidence"] if finding else {},
                    "acknowledgements": [a for a in acks if a["rule"] == alert.rule_id],
                }
            )
        return out


def monitor_acks(store: ReviewStore, name: str) -> list[dict[str, Any]]:
    """Every acknowledgement of the monitor's alerts, oldest first."""
    with Session(store.engine) as session:
        rows = session.execute(
            select(MonitorAckRow, MonitorAlertRow.rule_id, MonitorAlertRow.alert_window)
            .join(MonitorAlertRow, MonitorAckRow.alert_id == MonitorAlertRow.id)
            .where(MonitorAckRow.name == name)
            .order_by(MonitorAckRow.seq)
        ).all()
        return [
            {
                "alert": ack.alert_id,
                "rule": rule,
                "alert_window": window,
                "reviewer": ack.reviewer,
                "role": ack.reviewer_role,
                "comment": ack.comment,
                "created_at": ack.created_at,
            }
            for ack, rule, window in rows
        ]


def acknowledge_alert(
    store: ReviewStore, name: str, alert_id: int, comment: str, identity: Identity | None = None
) -> dict[str, Any]:
    """A reviewer (or admin) acknowledges a fired alert; returns the acknowledgement.

    Raises
    ------
    InputError
        No such alert, it did not fire, an empty comment, or the signer is a submitter.
    """
    from responsible_ai.store.head import save_state
    from responsible_ai.store.identity import local_identity
    from responsible_ai.store.people import current_identity
    from responsible_ai.store.tables import HEAD

    if not comment.strip():
        raise InputError(EMPTY_COMMENT)

    def append() -> dict[str, Any]:
        with Session(store.engine) as session, session.begin():
            state = store._state(session.connection())
            alert = session.get(MonitorAlertRow, alert_id)
            if alert is None or alert.name != name:
                raise InputError(NO_ALERT.format(alert=alert_id, name=name))
            if alert.status not in ("fail", "warn", "error"):
                raise InputError(NOT_FIRED.format(alert=alert_id, status=alert.status))
            signer = current_identity(session, identity or local_identity())
            if signer.role not in ("reviewer", "admin"):
                raise InputError(ACK_ROLE.format(user=signer.username))
            record = state.next(
                store._key,
                "rai_monitor_acks",
                {
                    "alert_id": alert_id,
                    "name": name,
                    "reviewer": signer.username,
                    "reviewer_role": signer.role,
                    "reviewer_via": signer.via,
                    "comment": comment.strip(),
                    "created_at": _now(),
                },
            )
            session.add(MonitorAckRow(**record))
            session.flush()
            save_state(session.connection(), HEAD, store._key, state)
            return {k: record[k] for k in ("alert_id", "reviewer", "reviewer_role", "comment")}

    return dict(store._write(append))


def monitor_problems(connection: Any) -> str | None:
    """The first monitor run or window whose stored text no longer matches its hashed SHA-256."""
    columns = (
        MonitorRunRow.id,
        MonitorRunRow.report_json,
        MonitorRunRow.report_sha256,
        MonitorRunRow.counts_json,
        MonitorRunRow.counts_sha256,
        MonitorRunRow.profile_json,
        MonitorRunRow.profile_sha256,
    )
    for row in connection.execute(select(*columns)).all():
        for text, digest, what in (
            (row[1], row[2], "report"),
            (row[3], row[4], "counts"),
            (row[5], row[6], "profile"),
        ):
            if sha256_text(text or "") != digest:
                return f"monitor run {row[0]}: its stored {what} was changed after it was written"
    query = select(
        MonitorWindowRow.id, MonitorWindowRow.payload_json, MonitorWindowRow.payload_sha256
    )
    for window_id, text, digest in connection.execute(query).all():
        if sha256_text(text or "") != digest:
            return f"monitor window {window_id}: its stored numbers were changed after writing"
    return None
