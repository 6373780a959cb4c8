"""The release gate, and the whole flow a team runs: CI submits, two reviewers sign, the gate
opens, and closes again once the waiver expires."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from service_helpers import BLOCKING, check_args, failing_csv, rai

from responsible_ai import review as review_module
from responsible_ai.errors import InputError
from responsible_ai.review import Review, today_utc
from responsible_ai.store import ReviewStore, authenticate_password, authenticate_token
from responsible_ai.store.gate import GateResult, wait_for_gate

PASSWORD = "correct horse battery"


def test_whole_flow_from_ci_to_release_and_an_expired_waiver(tmp_path, clean_env):
    url = f"sqlite:///{tmp_path / 'team.sqlite'}"
    clean_env.setenv("RAI_NEW_PASSWORD", PASSWORD)
    for name, role in [("root", "admin"), ("alice", "reviewer"), ("bob", "reviewer")]:
        assert rai("users", "add", name, "--role", role, "--store", url).returncode == 0
    assert rai("users", "add", "ci", "--role", "submitter", "--store", url).returncode == 0

    token = rai("tokens", "add", "--user", "ci", "--expires", "1", "--store", url).stdout.strip()
    clean_env.setenv("RAI_TOKEN", token)
    submitted = rai(*check_args(failing_csv(tmp_path)), "--submit", url)
    assert submitted.returncode == 1
    assert submitted.stderr == "submitted run 1: http://127.0.0.1:8501/?run=1\n"
    assert rai("gate", "1", "--store", url).stderr == "run 1 is pending review\n"
    assert rai("gate", "1", "--store", url).returncode == 1

    store = ReviewStore(url)
    assert store.run_record(1)["submitted_by"] == "ci"
    ci = authenticate_token(store, token)
    with pytest.raises(InputError, match=r"^ci has the submitter role and cannot review"):
        store.add_review(Review(1, "reject", "", "my own run"), ci)
    alice = authenticate_password(store, "alice", PASSWORD)
    bob = authenticate_password(store, "bob", PASSWORD)
    ships = today_utc() + timedelta(days=30)
    for check in BLOCKING:
        store.add_review(
            Review(
                1,
                "waive",
                "",
                "gap confirmed",
                check_id=check,
                justification="retrained model ships next month",
                expires_on=ships,
            ),
            alice,
        )
    assert rai("gate", "1", "--store", url).returncode == 1  # waived, not yet approved
    store.add_review(Review(1, "approve", "", "waivers in place"), bob)

    opened = rai("gate", "1", "--store", url)
    assert opened.returncode == 0
    assert opened.stdout.startswith("run 1 approved by bob; waived: ")
    latest = rai("gate", "--latest", "--policy", "german-credit-lending", "--store", url)
    assert latest.returncode == 0

    # The day after the waivers' last day: the approval relied on them, so the gate closes.
    clean_env.setattr(review_module, "today_utc", lambda: ships + timedelta(days=1))
    lapsed = rai("gate", "1", "--store", url)
    assert lapsed.returncode == 1
    assert lapsed.stderr.startswith("run 1: approval lapsed, the waiver of ")
    assert "equal-opportunity-age" in lapsed.stderr
    assert rai("store", "verify", "--store", url).returncode == 0


def test_rejected_run_keeps_the_gate_closed(store, failing_report):
    run = store.save_run(failing_report)
    store.add_review(Review(run, "reject", "", "age gap"))
    result = rai("gate", str(run), "--store", store.url)
    assert result.returncode == 1
    assert result.stderr.startswith(f"run {run} rejected by local:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gate", "9"], "rai: error: no run 9 in the store at "),
        (["gate"], "rai: error: give a RUN_ID, or --latest with --policy (and --model-sha)\n"),
        (["gate", "--latest"], "rai: error: --latest needs --policy NAME (and --model-sha SHA)\n"),
        (
            ["gate", "--latest", "--policy", "lending", "--model-sha", "ab"],
            "rai: error: no run of policy 'lending' and model ab in the store at ",
        ),
    ],
)
def test_bad_input_exits_2(store, failing_report, args, message):
    store.save_run(failing_report)
    result = rai(*args, "--store", store.url)
    assert result.returncode == 2
    assert result.stderr.startswith(message)


def test_missing_store_exits_2_and_creates_nothing(tmp_path):
    missing = tmp_path / "none.sqlite"
    result = rai("gate", "1", "--store", f"sqlite:///{missing}")
    assert result.returncode == 2 and result.stderr.startswith("rai: error: no review store at")
    assert not missing.exists()


def test_wait_polls_until_decided_or_times_out():
    answers = iter(["pending", "pending", "approved"])
    slept: list[float] = []
    clock = iter(range(100))

    def check() -> GateResult:
        state = next(answers)
        return GateResult(0 if state == "approved" else 1, state, f"run 1 {state}")

    done = wait_for_gate(check, 60, 5, sleep=slept.append, clock=lambda: next(clock))
    assert (done.code, slept) == (0, [5, 5])

    def pending() -> GateResult:
        return GateResult(1, "pending", "run 1 is pending review")

    late = wait_for_gate(pending, 3, 1, sleep=lambda _s: None, clock=lambda: next(clock))
    assert (late.code, late.message) == (1, "run 1 is pending review: still pending after 3 s")


def test_wait_through_the_cli_times_out(store, failing_report):
    run = store.save_run(failing_report)
    args = ["gate", str(run), "--store", store.url, "--wait", "--timeout", "0.2"]
    result = rai(*args, "--interval", "0.05")
    assert result.returncode == 1
    assert result.stderr == f"run {run} is pending review: still pending after 0.2 s\n"


def test_gate_uses_today_for_waiver_expiry(store, failing_report):
    run = store.save_run(failing_report)
    for check in BLOCKING:
        store.add_review(
            Review(
                run,
                "waive",
                "",
                "c",
                check_id=check,
                justification="j",
                expires_on=date(2026, 12, 31),
            ),
            today=date(2026, 11, 1),
        )
    store.add_review(Review(run, "approve", "", "ok"), today=date(2026, 11, 1))
    from responsible_ai.store.gate import gate

    assert gate(store, run, today=date(2026, 12, 31)).code == 0
    assert gate(store, run, today=date(2027, 1, 1)).state == "approval lapsed"


class _GateApi(BaseHTTPRequestHandler):
    """A stand-in for the gate of rai serve: answers by path, records what was asked."""

    answers: ClassVar[dict[str, tuple[int, dict]]] = {}
    asked: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        type(self).asked.append((self.path, self.headers["Authorization"]))
        status, body = self.answers.get(self.path, (404, {"detail": "no such run"}))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def gate_api(clean_env):
    _GateApi.answers, _GateApi.asked = {}, []
    clean_env.setenv("RAI_TOKEN", "rai_0123456789ab_secret")
    server = HTTPServer(("127.0.0.1", 0), _GateApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("answer", "code", "line"),
    [
        ({"state": "approved", "code": 0, "message": "run 5 approved by bob"}, 0, "run 5 approved"),
        ({"state": "pending", "code": 1, "message": "run 5 is pending review"}, 1, "run 5 is pe"),
        ({"state": "rejected", "code": 0, "message": "ship it"}, 2, "rai: error: the API at"),
        ({"state": "approved", "code": True, "message": "x"}, 2, "rai: error: the API at"),
    ],
)
def test_gate_over_http(gate_api, answer, code, line):
    _GateApi.answers["/v1/runs/5/gate"] = (200, answer)
    result = rai("gate", "5", "--store", gate_api)
    assert result.returncode == code
    assert (result.stdout + result.stderr).startswith(line)
    assert _GateApi.asked == [("/v1/runs/5/gate", "Bearer rai_0123456789ab_secret")]


def test_gate_over_http_latest_and_unknown_run(gate_api):
    _GateApi.answers["/v1/runs?policy=lending&limit=1&model_sha=ab"] = (200, {"runs": [{"id": 8}]})
    _GateApi.answers["/v1/runs/8/gate"] = (200, {"state": "approved", "code": 0, "message": "ok"})
    args = ["gate", "--latest", "--policy", "lending", "--model-sha", "ab", "--store", gate_api]
    assert rai(*args).returncode == 0
    missing = rai("gate", "9", "--store", gate_api)
    assert missing.returncode == 2
    assert missing.stderr == f"rai: error: the API at {gate_api} has no run 9 (HTTP 404)\n"
