"""The head row of a chained database (review store or budget ledger), in SQLAlchemy Core.

One row, read ``FOR UPDATE`` by every writer in the transaction that appends records, so that the
chains and their sealed head always advance together (SQLite: the writers' immediate lock).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from responsible_ai.errors import InputError
from responsible_ai.store.chain import KEYED, PLAIN, ChainState, check_mode, key_check, seal

__all__ = [
    "LEGACY",
    "MISSING",
    "create_head",
    "head_table",
    "lock_for_creation",
    "missing_sqlite_file",
    "read_head",
    "refuse_legacy",
    "refuse_unfit",
    "save_state",
    "writer_state",
]

LEGACY = (
    "the {what} at {url} was written by an older responsible-ai without the record chain; it is "
    "not migrated in place: move it aside and start a new one (the old file stays readable with "
    "the older version)"
)
MISSING = "no {what} at {url}: nothing to verify (check {flag} or {env})"
CANNOT_WRITE = "cannot write to the {what} at {url}: {problem}; run {command}"
HEAD_ID = 1
TOO_LONG = "the {what} cannot hold a {column} of {length} characters (at most {limit}): shorten it"
HAS_NUL = "the {what} cannot hold a NUL character in {column}: remove it"


def head_table(name: str, metadata: MetaData) -> Table:
    """The head table of a chained database."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("mode", String(10), nullable=False),
        Column("key_check", String(64), nullable=False),
        Column("state", Text, nullable=False),
        Column("seal", String(64), nullable=False),
        Column("created_at", String(40), nullable=False),
    )


def missing_sqlite_file(url: str) -> bool:
    """Whether ``url`` is SQLite and names no existing file (in-memory counts as missing)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database
    if not database or database == ":memory:":
        return True
    return not Path(os.path.expanduser(database)).is_file()


def lock_for_creation(connection: Connection, what: str) -> None:
    """On PostgreSQL, one opener at a time until its transaction ends, so that two processes
    opening a new database at once do not both create its tables (SQLite: BEGIN IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(what.encode("utf-8")[:7], "big")  # a stable lock id per kind
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def refuse_legacy(
    connection: Connection, head: Table, chained: list[str], what: str, url: str
) -> bool:
    """Raise for a database of an older version; True if the head table exists."""
    inspector = inspect(connection)
    if inspector.has_table(head.name):
        return True
    if any(inspector.has_table(name) for name in chained):
        raise InputError(LEGACY.format(what=what, url=url))
    return False


def create_head(connection: Connection, head: Table, key: bytes | None) -> None:
    """Record the mode (keyed or plain) of a new database and its empty, sealed state."""
    state = ChainState(KEYED if key is not None else PLAIN)
    connection.execute(
        head.insert().values(
            id=HEAD_ID,
            mode=state.mode,
            key_check=key_check(key),
            state=state.to_json(),
            seal=seal(key, state),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    )


def read_head(
    connection: Connection, head: Table, for_update: bool = False
) -> dict[str, Any] | None:
    """The head row, or None if it is missing."""
    query = select(head).where(head.c.id == HEAD_ID)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def writer_state(
    connection: Connection, head: Table, key: bytes | None, what: str, url: str, command: str
) -> ChainState:
    """The chain state to append to, locked for this transaction; refuses a tampered head."""
    row = read_head(connection, head, for_update=True)
    if row is None:
        problem: str | None = f"the {what}'s head record is missing"
    else:
        problem = check_mode(key, str(row["mode"]), str(row["key_check"]), what)
    if problem is None and row is not None:
        state = ChainState.from_json(str(row["mode"]), str(row["state"]))
        if seal(key, state) == row["seal"]:
            return state
        problem = f"the {what}'s head record does not match its seal"
    raise InputError(CANNOT_WRITE.format(what=what, url=url, problem=problem, command=command))


def save_state(connection: Connection, head: Table, key: bytes | None, state: ChainState) -> None:
    """Store the advanced state and its new seal (same transaction as the appended records)."""
    connection.execute(
        head.update()
        .where(head.c.id == HEAD_ID)
        .values(state=state.to_json(), seal=seal(key, state))
    )


def refuse_unfit(table: Table, record: Mapping[str, Any], what: str) -> None:
    """Refuse a text that the column cannot hold, the same on every database.

    SQLite stores a string of any length, PostgreSQL refuses one longer than ``VARCHAR(n)`` and any
    NUL character: checked here first, a record is refused alike everywhere, with the column.
    """
    for name, value in record.items():
        if not isinstance(value, str) or name not in table.c:
            continue
        column = f"{table.name}.{name}"
        if "\x00" in value:
            raise InputError(HAS_NUL.format(what=what, column=column))
        limit = getattr(table.c[name].type, "length", None)
        if limit is not None and len(value) > limit:
            raise InputError(
                TOO_LONG.format(what=what, column=column, length=len(value), limit=limit)
            )
