"""Hash chains over database records, and the sealed head that summarises them.

Every record of a chained table carries ``seq`` (its position, from 1), ``prev_hash`` (the hash of
the record before it) and ``hash``: an HMAC-SHA256 under the server key (a *keyed* chain) or, when
the store was created without a key, a plain SHA-256, of the canonical JSON of every column.

A *head* row per database records the mode it was created in, a check value of the key, and for
each table the count and last hash of its chain; its ``seal`` is the MAC of all of that. Editing a
record breaks its hash; deleting or inserting one breaks the links; deleting the newest records
no longer matches the sealed head. Re-hashing everything needs the key; rolling the whole database
back to an older, consistent state is caught only by comparing the seal (the *head* printed by
``verify``) with a copy kept elsewhere: ``--expect-head``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from responsible_ai.errors import InputError

__all__ = [
    "GENESIS",
    "KEYED",
    "PLAIN",
    "ChainCheck",
    "ChainState",
    "TableSpec",
    "key_check",
    "record_hash",
    "seal",
    "sha256_text",
    "verify_chains",
]

#: ``prev_hash`` of the first record of a chain.
GENESIS = "0" * 64
KEYED, PLAIN = "keyed", "plain"
_KEY_CHECK_LABEL = b"responsible-ai store key check v1"

KEYED_NEEDS_KEY = (
    "this {what} is keyed; set RAI_STORE_KEY (or RAI_STORE_KEY_FILE) to the key it was created with"
)
WRONG_KEY = (
    "the {what}'s key check does not match RAI_STORE_KEY: either the {what} was re-hashed by "
    "someone without the key (tampering), or RAI_STORE_KEY is not the key it was created with"
)
PLAIN_BUT_KEY = (
    "the {what} is marked as created without a key, but RAI_STORE_KEY is set: either its mode "
    "was stripped (tampering), or it really was created without a key (then verify it with "
    "RAI_STORE_KEY unset)"
)
PLAIN_WARNING = (
    "this {what} was created without a key: its chain is plain SHA-256, so whoever can write "
    "the database can rewrite and re-hash it undetected; only --expect-head with a head kept "
    "elsewhere detects that (set RAI_STORE_KEY before a {what} is created)"
)


def sha256_text(text: str) -> str:
    """SHA-256 of UTF-8 text, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _mac(key: bytes | None, text: str) -> str:
    if key is None:
        return sha256_text(text)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical_value(value: Any) -> Any:
    # Databases return what they stored in their own types: a timestamp loses its zone in SQLite,
    # a float NaN may come back as NULL. Hash the form every backend gives back.
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _canonical(payload: Mapping[str, Any]) -> str:
    clean = {name: _canonical_value(value) for name, value in payload.items()}
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str)


def record_hash(
    key: bytes | None,
    table: str,
    record: Mapping[str, Any],
    optional: Mapping[str, Any] | None = None,
) -> str:
    """The hash of a record: the MAC of its table name and every column but ``hash``.

    ``optional`` maps columns added after a table's first version to their default: a column
    holding its default is left out, so a record written before the column existed still
    verifies once a migration adds it, while any other value is hashed (and so protected).
    """
    optional = optional or {}
    content = {
        name: value
        for name, value in record.items()
        if name != "hash" and not (name in optional and value == optional[name])
    }
    return _mac(key, _canonical({"__table__": table, **content}))


def key_check(key: bytes | None) -> str:
    """A value that shows which key a store was created with, without revealing it."""
    return "" if key is None else _mac(key, _KEY_CHECK_LABEL.decode())


@dataclass
class ChainState:
    """Mode of a database and, per chained table, ``[count, last hash]``."""

    mode: str
    tables: dict[str, list[Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.tables, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, mode: str, text: str) -> ChainState:
        tables = json.loads(text) if text else {}
        return cls(mode, {str(name): list(value) for name, value in tables.items()})

    def next(
        self,
        key: bytes | None,
        table: str,
        content: Mapping[str, Any],
        optional: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``content`` completed with ``id``, ``seq``, ``prev_hash`` and ``hash``; advances the
        state. ``id`` equals ``seq``: a record's identity is its position, and both are hashed.
        ``optional``: see :func:`record_hash`."""
        count, last = self.tables.get(table, [0, GENESIS])
        record = {**content, "id": count + 1, "seq": count + 1, "prev_hash": last}
        record["hash"] = record_hash(key, table, record, optional)
        self.tables[table] = [count + 1, record["hash"]]
        return record


def seal(key: bytes | None, state: ChainState) -> str:
    """The head: one MAC over the mode and every table's count and last hash."""
    return _mac(key, _canonical({"mode": state.mode, "tables": state.to_json()}))


@dataclass(frozen=True)
class TableSpec:
    """How to read and name the records of one chained table in messages."""

    table: str
    label: str  # "review", "run": names the record kind when one is missing
    name: Callable[[Mapping[str, Any]], str]
    columns: Sequence[str] = ()  # hashed columns; empty: every column given
    optional: Mapping[str, Any] = field(default_factory=dict)  # see record_hash


@dataclass(frozen=True)
class ChainCheck:
    """Outcome of a verification.

    ``problem`` names the first broken record (None when intact); ``head`` is the seal over
    every chain, worth keeping elsewhere (``--expect-head``) to detect a rolled-back database.
    ``counts`` maps each table to its number of records; ``warning`` is set for a plain chain.
    """

    ok: bool
    head: str
    counts: dict[str, int]
    problem: str | None = None
    warning: str | None = None
    mode: str = PLAIN

    @property
    def runs(self) -> int:
        return self.counts.get("rai_runs", 0)

    @property
    def reviews(self) -> int:
        return self.counts.get("rai_reviews", 0)


def check_mode(key: bytes | None, mode: str, stored_check: str, what: str) -> str | None:
    """Refuse a keyed database without its key (exit 2); the problem if the mode or key check
    does not fit the key (exit 1: a wrong key and a re-hash cannot be told apart), else None."""
    if mode == KEYED:
        if key is None:
            raise InputError(KEYED_NEEDS_KEY.format(what=what))
        if not hmac.compare_digest(stored_check, key_check(key)):
            return WRONG_KEY.format(what=what)
        return None
    if mode != PLAIN:
        return f"the {what}'s head records an unknown mode {mode!r} (edited)"
    if key is not None:
        return PLAIN_BUT_KEY.format(what=what)
    return None


def _verify_table(
    key: bytes | None, spec: TableSpec, rows: Sequence[Mapping[str, Any]]
) -> str | None:
    previous = GENESIS
    for position, row in enumerate(rows, start=1):
        seq = row["seq"]
        if seq is None or seq > position:
            return (
                f"{spec.label} #{position} is missing: the {spec.table} chain jumps to #{seq} "
                "(a record was deleted)"
            )
        if seq < position:
            return f"{spec.name(row)}: a second record at position #{seq} (a record was inserted)"
        if row["prev_hash"] != previous:
            return (
                f"{spec.name(row)}: does not link to the record before it (a record was deleted, "
                "inserted or edited)"
            )
        content = {name: row[name] for name in spec.columns} if spec.columns else dict(row)
        if not hmac.compare_digest(
            str(row["hash"]), record_hash(key, spec.table, content, spec.optional)
        ):
            return (
                f"{spec.name(row)}: its content does not match its hash (edited after it was "
                "written)"
            )
        previous = str(row["hash"])
    return None


def verify_chains(
    key: bytes | None,
    head: Mapping[str, Any] | None,
    tables: Sequence[tuple[TableSpec, Sequence[Mapping[str, Any]]]],
    what: str,
    expect_head: str | None = None,
    cross_check: Callable[[], str | None] | None = None,
) -> ChainCheck:
    """Verify every chain of a database against its sealed head.

    Parameters
    ----------
    key : bytes or None
        The server key; None for a store created without one.
    head : mapping or None
        The head row (``mode``, ``key_check``, ``state``, ``seal``); None if it is missing.
    tables : list of (TableSpec, rows)
        Every chained table with its rows in ``seq`` order.
    what : str
        "store" or "ledger", for messages.
    expect_head : str, optional
        A head kept elsewhere: a different head now means records were removed or rewritten.
    cross_check : callable, optional
        Checks across tables (a review's report exists, ...), run once the chains hold.

    Raises
    ------
    InputError
        A keyed database verified without its key.
    """
    counts = {spec.table: len(rows) for spec, rows in tables}
    actual = ChainState(PLAIN if head is None else str(head["mode"]))
    # An empty chain adds nothing to the head: a head kept elsewhere stays valid when an upgrade
    # adds a table (users, tokens), and zero records read the same whether or not a table exists.
    for spec, rows in tables:
        if rows:
            actual.tables[spec.table] = [len(rows), str(rows[-1]["hash"])]

    def result(problem: str | None, warning: str | None = None) -> ChainCheck:
        return ChainCheck(problem is None, seal(key, actual), counts, problem, warning, actual.mode)

    if head is None:
        return result(f"the {what}'s head record is missing (deleted)")
    problem = check_mode(key, actual.mode, str(head["key_check"] or ""), what)
    if problem:
        return result(problem)
    stored = ChainState.from_json(actual.mode, str(head["state"] or ""))
    if not hmac.compare_digest(str(head["seal"]), seal(key, stored)):
        return result(f"the {what}'s head record does not match its seal (edited)")
    for spec, rows in tables:
        problem = _verify_table(key, spec, rows)
        if problem:
            return result(problem)
        count, last = stored.tables.get(spec.table, [0, GENESIS])
        if len(rows) < count:
            return result(
                f"{spec.label} #{len(rows) + 1} is missing: the {what}'s head records {count} "
                f"{spec.label} record(s), the chain ends at #{len(rows)} (the newest records "
                "were deleted)"
            )
        if len(rows) > count:
            return result(
                f"{spec.name(rows[count])}: added after the {what}'s head was sealed "
                "(a record was inserted)"
            )
        if rows and str(rows[-1]["hash"]) != last:
            return result(f"{spec.name(rows[-1])}: is not the record the {what}'s head sealed")
    if cross_check is not None:
        problem = cross_check()
        if problem:
            return result(problem)
    current = seal(key, actual)
    if expect_head is not None and not hmac.compare_digest(expect_head.strip().lower(), current):
        return result(
            f"the head is {current}, not the expected {expect_head.strip()}: records were deleted "
            f"from the end, or the {what} was rolled back or re-hashed"
        )
    warning = PLAIN_WARNING.format(what=what) if actual.mode == PLAIN else None
    return result(None, warning)
