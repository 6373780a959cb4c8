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

__all__ = ["GateResult", "gate", "latest_run_id", "remote_gate", "remote_latest", "wait_for_gate"]

NO_LATEST = "no run of policy {policy!r}{model} in the store at {url}"
BAD_GATE_ANSWER = (
    "the API at {url} gave a gate answer that is not {{'state': ..., 'code': 0 or 1, "
    "'message': ...}}"
)
_STATES = ("approved", "rejected", "pending", "approval lapsed")
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


def remote_gate(target: str, run_id: int) -> GateResult:
    """The gate as the API decides it: ``GET /v1/runs/{id}/gate`` (see ``docs/service.md``)."""
    from responsible_ai.store.api_client import api_request, shown_http

    answer = api_request(target, f"/v1/runs/{run_id}/gate", what=f"run {run_id}")
    code, state, message = answer.get("code"), answer.get("state"), answer.get("message")
    if code not in (GATE_OPEN, GATE_CLOSED) or isinstance(code, bool) or state not in _STATES:
        raise InputError(BAD_GATE_ANSWER.format(url=shown_http(target)))
    if (code == GATE_OPEN) != (state == "approved"):  # never trust an open gate on a closed state
        raise InputError(BAD_GATE_ANSWER.format(url=shown_http(target)))
    return GateResult(int(code), str(state), " ".join(str(message or state).split())[:300])


def remote_latest(target: str, policy: str, model_sha256: str | None) -> int:
    """The newest run of a policy (and model) at the API: ``GET /v1/runs?policy=..&limit=1``."""
    from responsible_ai.store.api_client import api_request, shown_http

    query = {"policy": policy, "limit": "1"}
    if model_sha256:
        query["model_sha"] = model_sha256
    runs = api_request(target, "/v1/runs", query=query).get("runs")
    if not isinstance(runs, list):
        raise InputError(BAD_GATE_ANSWER.format(url=shown_http(target)))
    if not runs:
        model = f" and model {model_sha256}" if model_sha256 else ""
        raise InputError(NO_LATEST.format(policy=policy, model=model, url=shown_http(target)))
    first = runs[0].get("id") if isinstance(runs[0], dict) else None
    if not isinstance(first, int) or isinstance(first, bool):
        raise InputError(BAD_GATE_ANSWER.format(url=shown_http(target)))
    return first
