"""The tamper-evident chain of reviews: each record's hash covers its content and the previous hash.

Editing a stored review changes its hash; deleting one breaks the link of the next; editing the
report a review refers to changes that report's SHA-256. ``verify`` finds the first broken record.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["GENESIS", "review_hash", "sha256_text"]

#: ``prev_hash`` of the first review in a store.
GENESIS = "0" * 64

_FIELDS = (
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
    payload = {name: record.get(name) for name in _FIELDS}
    return sha256_text(json.dumps(payload, sort_keys=True, separators=(",", ":")))
