"""The budget ledger's database: its chained tables, how they are opened, read and appended to.

Kept apart from :mod:`responsible_ai.privacy.dp.ledger` (the rules: caps, refusals, messages) so
that each stays small. Only the standard library at import time; SQLAlchemy loads on first use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, RAIError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from responsible_ai.privacy.dp.ledger import Operation

__all__ = [
    "LEDGER_ENV",
    "cap_of",
    "connect",
    "ledger_engine",
    "ledger_metadata",
    "record",
    "specs",
    "spent_on",
    "tables",
]

LEDGER_ENV = "RAI_LEDGER_URL"

_TABLES: dict[str, Any] = {}


def tables() -> dict[str, Any]:
    from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text

    from responsible_ai.store.head import head_table

    if not _TABLES:
        metadata = MetaData()

        def chained(name: str, *columns: Column[Any]) -> Table:
            return Table(
                name,
                metadata,
                Column("id", Integer, primary_key=True, autoincrement=False),
                Column("seq", Integer, nullable=False, unique=True),
                Column("time", DateTime(timezone=True), nullable=False),
                Column("dataset", String(200), nullable=False, index=True),
                *columns,
                Column("who", String(200), nullable=False),
                Column("prev_hash", String(64), nullable=False),
                Column("hash", String(64), nullable=False),
            )

        _TABLES["dp_budget_caps"] = chained(
            "dp_budget_caps",
            Column("cap", Float, nullable=False),
            Column("previous_cap", Float, nullable=True),
            Column("change", String(20), nullable=False),
        )
        _TABLES["dp_budget_ledger"] = chained(
            "dp_budget_ledger",
            Column("operation", String(500), nullable=False),
            Column("mechanism", String(100), nullable=False),
            Column("epsilon", Float, nullable=False),
            Column("delta", Float, nullable=False),
            Column("sensitivity", Float, nullable=True),
            Column("status", String(20), nullable=False),
            Column("reason", Text, nullable=False),
        )
        _TABLES["dp_ledger_head"] = head_table("dp_ledger_head", metadata)
    return _TABLES


def ledger_metadata() -> Any:
    """The ledger's tables (a ``MetaData``): what its migrations must build."""
    return tables()["dp_ledger_head"].metadata


def specs() -> dict[str, Any]:
    from responsible_ai.store.chain import TableSpec

    return {
        "dp_budget_caps": TableSpec(
            "dp_budget_caps",
            "budget registration",
            lambda r: (
                f"budget registration #{r['seq']} (dataset {r['dataset']!r}, "
                f"{r['change']} cap {r['cap']:g} by {r['who']})"
            ),
        ),
        "dp_budget_ledger": TableSpec(
            "dp_budget_ledger",
            "ledger operation",
            lambda r: (
                f"ledger operation #{r['seq']} (dataset {r['dataset']!r}, "
                f"{r['operation']}, {r['status']} epsilon {r['epsilon']:g} by {r['who']})"
            ),
        ),
    }


def ledger_engine(url: str, create: bool = True) -> Engine:
    """The engine of a ledger URL, with the locking that serialises charges."""
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite") and not create:
        return create_engine(url, connect_args={"timeout": 60})  # verify only reads
    if not url.startswith("sqlite"):
        # READ COMMITTED (the default): writers serialise on the head row locked FOR UPDATE
        # first, and then read the newest committed spending. SERIALIZABLE would make the
        # waiting writer fail ("could not serialize access") instead of waiting.
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 60})

    # pysqlite defers BEGIN until the first write; BEGIN IMMEDIATE takes the write lock before
    # the budget is read, so concurrent charges are serialised.
    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def connect(url: str, key: bytes | None, create: bool) -> Engine:
    from responsible_ai.store.head import (
        MISSING,
        create_head,
        lock_for_creation,
        missing_sqlite_file,
        refuse_legacy,
    )
    from responsible_ai.store.migrate import LEDGER, check_revision, stamp_new
    from responsible_ai.store.secrets import mask_url, scrub

    shown = mask_url(url)
    where = {"flag": "--ledger", "env": LEDGER_ENV}
    try:
        if not create and missing_sqlite_file(url):
            raise InputError(MISSING.format(what="budget ledger", url=shown, **where))
        engine = ledger_engine(url, create)
        head = tables()["dp_ledger_head"]
        with engine.connect() as connection, connection.begin():
            chained = ["dp_budget_caps", "dp_budget_ledger"]
            lock_for_creation(connection, "budget ledger")
            if refuse_legacy(connection, head, chained, "budget ledger", shown):
                check_revision(connection, LEDGER, shown)
            else:
                if not create:
                    raise InputError(MISSING.format(what="budget ledger", url=shown, **where))
                # New: the models' schema, stamped with the newest migration (see migrate).
                head.metadata.create_all(connection)
                stamp_new(connection, LEDGER)
                create_head(connection, head, key)
    except RAIError:
        raise
    except Exception as exc:
        reason = scrub(f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}", url)
        raise InputError(
            f"cannot open the budget ledger {shown}: {reason} "
            f"(set privacy.ledger or {LEDGER_ENV} to a writable SQLite path or SQLAlchemy URL)"
        ) from None
    return engine


def cap_of(connection: Any, dataset: str) -> float | None:
    from sqlalchemy import select

    table = tables()["dp_budget_caps"]
    query = (
        select(table.c.cap).where(table.c.dataset == dataset).order_by(table.c.seq.desc()).limit(1)
    )
    value = connection.execute(query).scalar()
    return None if value is None else float(value)


def spent_on(connection: Any, dataset: str) -> float:
    from sqlalchemy import func, select

    table = tables()["dp_budget_ledger"]
    query = select(func.coalesce(func.sum(table.c.epsilon), 0.0)).where(
        (table.c.dataset == dataset) & (table.c.status == "spent")
    )
    return float(connection.execute(query).scalar_one())


def _stored_float(value: Any) -> float:
    # A refused epsilon is kept as asked when it is a number a database can hold; the reason
    # column quotes it either way.
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def record(
    connection: Any,
    state: Any,
    key: bytes | None,
    dataset: str,
    operations: Sequence[Operation],
    who: str,
    status: str,
    reason: str,
) -> None:
    now = datetime.now(UTC)
    rows = [
        state.next(
            key,
            "dp_budget_ledger",
            {
                "time": now,
                "dataset": dataset,
                "operation": op.operation,
                "mechanism": op.mechanism,
                "epsilon": _stored_float(op.epsilon),
                "delta": _stored_float(op.delta) if op.delta else 0.0,
                "sensitivity": None if op.sensitivity is None else _stored_float(op.sensitivity),
                "who": who,
                "status": status,
                "reason": reason,
            },
        )
        for op in operations
    ]
    if rows:
        from responsible_ai.store.head import refuse_unfit

        for row in rows:
            refuse_unfit(tables()["dp_budget_ledger"], row, "budget ledger")
        connection.execute(tables()["dp_budget_ledger"].insert(), rows)
