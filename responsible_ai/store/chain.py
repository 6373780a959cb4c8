"""The tamper-evident chain of reviews: each record's hash covers its content and the previous hash.

Editing a stored review changes its hash; deleting one breaks the link of the next; editing the
report a review refers to changes that report's SHA-256. ``verify`` finds the first broken record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHAINED_FIELDS",
    "GENESIS",
    "ChainCheck",
    "review_hash",
    "sha256_text",
    "verify_chain",
]

#: ``prev_hash`` of the first review in a store.
GENESIS = "0" * 64

#: The fields of a review that its hash covers, in the order they are stored.
CHAINED_FIELDS = (
    "seq",
    "run_id",
    "report_sha256",
    "check_id",
    "decision",
    "reviewer",
    "comment",
    "justification",
    "expires_on",
    "created_at",
    "prev_hash",
)


def sha256_text(text: str) -> str:
    """SHA-256 of UTF-8 text, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def review_hash(record: dict[str, Any]) -> str:
    """The hash of a review record: canonical JSON of its content fields and ``prev_hash``."""
    payload = {name: record.get(name) for name in CHAINED_FIELDS}
    return sha256_text(json.dumps(payload, sort_keys=True, separators=(",", ":")))


@dataclass(frozen=True)
class ChainCheck:
    """Outcome of a verification.

    ``problem`` names the first broken record (None when the chain is intact); ``head`` is the
    hash of the last review, worth keeping elsewhere to detect removal of the newest records.
    """

    ok: bool
    runs: int
    reviews: int
    head: str
    problem: str | None = None


def verify_chain(runs: dict[int, tuple[str, str]], reviews: list[dict[str, Any]]) -> ChainCheck:
    """Verify stored reports and the review chain.

    Parameters
    ----------
    runs : dict
        Run id to ``(report_json, report_sha256)`` as stored.
    reviews : list of dict
        Every review in chain order, each with :data:`CHAINED_FIELDS` and ``hash``.
    """

    def broken(head: str, problem: str) -> ChainCheck:
        return ChainCheck(False, len(runs), len(reviews), head, problem)

    for run_id, (report_json, report_sha256) in runs.items():
        if sha256_text(report_json) != report_sha256:
            return broken(
                "",
                f"run {run_id}: its stored report was changed after it was written "
                "(SHA-256 differs)",
            )
    previous = GENESIS
    for position, row in enumerate(reviews, start=1):
        name = f"review #{row['seq']} (run {row['run_id']}, {row['decision']} by {row['reviewer']})"
        if row["seq"] != position:
            missing = min(position, row["seq"])
            return broken(
                previous,
                f"review #{missing} is missing: the chain jumps to #{row['seq']} "
                "(a record was deleted)",
            )
        if row["prev_hash"] != previous:
            return broken(
                previous,
                f"{name}: does not link to the review before it (a record was deleted, "
                "inserted or edited)",
            )
        if review_hash(row) != row["hash"]:
            return broken(
                previous,
                f"{name}: its content does not match its hash (edited after it was written)",
            )
        signed = runs.get(row["run_id"])
        if signed is None or signed[1] != row["report_sha256"]:
            return broken(previous, f"{name}: the report it signed is missing or was replaced")
        previous = row["hash"]
    return ChainCheck(True, len(runs), len(reviews), previous)
