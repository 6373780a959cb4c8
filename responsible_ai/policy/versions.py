"""Policy versions: an edit made in the app is a new version, and a changed requirement is named.

A policy edited in the review app is never written back to its pack: the run records the edited
text and a version ``<original>+edit.<first 8 hex of its SHA-256>`` (:func:`edited_version`), so
that two runs with different texts never share a version. When runs are compared, a check whose
threshold moved is labelled by what the move did to the requirement (:func:`requirement_change`):
a status that improved only because the bar was lowered must not read as an improvement.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOOSENED",
    "REQUIREMENT_CHANGED",
    "TIGHTENED",
    "UNCHANGED",
    "edited_version",
    "meets",
    "policy_change_marks",
    "requirement_change",
]

EDIT_MARK = "+edit."
LOOSENED = "requirement loosened"
TIGHTENED = "requirement tightened"
UNCHANGED = "requirement unchanged"
# A move neither looser nor tighter (== 0.5 -> == 0.6, >= -> <=): as suspect as a loosening.
REQUIREMENT_CHANGED = "requirement changed"


def edited_version(original_version: str, text: str) -> str:
    """The version of ``text``, an edit of a policy whose version was ``original_version``.

    An edit of an edit replaces the earlier edit mark: the version names the pack's version and
    the exact text that ran, e.g. ``1.0+edit.3f2a91c0``.
    """
    base = str(original_version).split(EDIT_MARK, 1)[0] or "1"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{base}{EDIT_MARK}{digest[:8]}"


@dataclass(frozen=True)
class _Accepted:
    """The values a requirement accepts, as an interval (``!=`` has none: ``exact`` only)."""

    low: float
    low_closed: bool
    high: float
    high_closed: bool

    def within(self, other: _Accepted) -> bool:
        """Every value this accepts, ``other`` accepts too."""
        low_ok = other.low < self.low or (
            other.low == self.low and (other.low_closed or not self.low_closed)
        )
        high_ok = other.high > self.high or (
            other.high == self.high and (other.high_closed or not self.high_closed)
        )
        return low_ok and high_ok


def _accepted(operator: str | None, threshold: float | None) -> _Accepted | None:
    if threshold is None or operator is None:
        return None
    t, inf = float(threshold), math.inf
    return {
        ">=": _Accepted(t, True, inf, False),
        ">": _Accepted(t, False, inf, False),
        "<=": _Accepted(-inf, False, t, True),
        "<": _Accepted(-inf, False, t, False),
        "==": _Accepted(t, True, t, True),
    }.get(operator)


def requirement_change(
    before: tuple[str | None, float | None], after: tuple[str | None, float | None]
) -> str:
    """How a check's requirement moved from ``(operator, threshold)`` before to after.

    Loosened when every value that met it before still meets it (and more do), tightened the
    other way round, unchanged when equal, otherwise changed (``>=`` to ``<=``, ``== 0.5`` to
    ``== 0.6``, anything with ``!=``).
    """
    if before == after or (
        before[0] == after[0]
        and before[1] is not None
        and after[1] is not None
        and float(before[1]) == float(after[1])
    ):
        return UNCHANGED
    old, new = _accepted(*before), _accepted(*after)
    if old is None or new is None:
        return REQUIREMENT_CHANGED
    if old == new:
        return UNCHANGED
    if old.within(new):
        return LOOSENED
    if new.within(old):
        return TIGHTENED
    return REQUIREMENT_CHANGED


def meets(value: float | None, operator: str | None, threshold: float | None) -> bool:
    """Whether ``value`` meets ``operator threshold`` (False when any of them is missing)."""
    accepted = _accepted(operator, threshold)
    if value is None or accepted is None or math.isnan(float(value)):
        return False
    v = float(value)
    low_ok = v > accepted.low or (accepted.low_closed and v == accepted.low)
    high_ok = v < accepted.high or (accepted.high_closed and v == accepted.high)
    return low_ok and high_ok


def policy_change_marks(runs: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """For runs (``id``, ``policy_name``, ``policy_version``, ``policy_sha256``) in any order,
    the mark of each whose policy text differs from the previous run of the same policy name:
    ``policy changed: 1.0 -> 1.0+edit.3f2a91c0``. Runs with an unchanged policy have no entry."""
    last: dict[str, Mapping[str, Any]] = {}
    marks: dict[int, str] = {}
    for run in sorted(runs, key=lambda r: int(r["id"])):
        name = str(run.get("policy_name") or "")
        previous = last.get(name)
        if previous is not None and previous.get("policy_sha256") != run.get("policy_sha256"):
            marks[int(run["id"])] = (
                f"policy changed: {previous.get('policy_version') or '?'} -> "
                f"{run.get('policy_version') or '?'}"
            )
        last[name] = run
    return marks
