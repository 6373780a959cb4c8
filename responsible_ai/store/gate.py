"""The release gate: may a run ship? Approved, and every waiver it relies on still valid.

Exit codes (the contract of ``rai gate``): 0 approved; 1 rejected, pending, or an approval that
lapsed because a waiver it relied on expired; 2 bad input (unknown run, missing store).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from responsible_ai.store.store import ReviewStore

__all__ = ["GateResult", "gate", "latest_run_id", "wait_for_gate"]

NO_LATEST = "no run of policy {policy!r}{model} in the store at {url}"
GATE_OPEN, GATE_CLOSED = 0, 1


@dataclass(frozen=True)
class GateResult:
    """``code`` 0 (ship) or 1 (do not ship), ``state`` as the store has it, and one line."""

    code: int
    state: str
    message: str


def gate(store: ReviewStore, run_id: int, today: date | None = None) -> GateResult:
    """Where ``run_id`` stands for release, today (UTC) unless ``today`` is given."""
    from responsible_ai.review import run_review_state

    report = store.report(run_id)  # InputError for an unknown run: exit 2
    state = run_review_state(report, store.reviews(run_id), today)
    if state.state == "approved":
        by = f" by {state.decided_by}" if state.decided_by else ""
        waived = f"; waived: {', '.join(state.waived)}" if state.waived else ""
        return GateResult(GATE_OPEN, state.state, f"run {run_id} approved{by}{waived}")
    if state.state == "approval lapsed":
        expired = ", ".join(state.expired or state.blocking)
        return GateResult(
            GATE_CLOSED,
            state.state,
            f"run {run_id}: approval lapsed, the waiver of {expired} expired; waive again "
            "(or fix) and approve again",
        )
    if state.state == "rejected":
        by = f" by {state.decided_by}" if state.decided_by else ""
        return GateResult(GATE_CLOSED, state.state, f"run {run_id} rejected{by}")
    return GateResult(GATE_CLOSED, state.state, f"run {run_id} is pending review")


def latest_run_id(store: ReviewStore, policy: str, model_sha256: str | None) -> int:
    """The newest run of ``policy`` (and model): what ``--latest`` gates."""
    found = store.latest_run(policy, model_sha256)
    if found is None:
        model = f" and model {model_sha256}" if model_sha256 else ""
        raise InputError(NO_LATEST.format(policy=policy, model=model, url=store.display_url))
    return found


def wait_for_gate(
    check: Callable[[], GateResult],
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> GateResult:
    """Poll ``check`` until the run is decided (approved or rejected) or ``timeout`` passes."""
    started = clock()
    while True:
        result = check()
        if result.state != "pending":
            return result
        waited = clock() - started
        if waited >= timeout:
            return GateResult(
                GATE_CLOSED, "pending", f"{result.message}: still pending after {timeout:g} s"
            )
        sleep(max(0.0, min(interval, timeout - waited)))
