"""End to end: a real ``rai serve`` (uvicorn) process, CI submits over the real client, two
reviewers sign over HTTP, and ``rai gate`` against the API turns from 1 to 0."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_helpers import blocking_checks

from responsible_ai.cli import main
from responsible_ai.review import today_utc

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rai(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def _call(base: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.fixture
def server(team, tmp_path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAI_HOME": str(tmp_path / "home")}
    command = "import sys; from responsible_ai.cli import main; sys.exit(main())"
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", command, "serve", "--port", str(port), "--store", team.url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if json.loads(answer.read()) == {"status": "ok"}:
                        break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, "rai serve did not answer /healthz in 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    # The token never reaches the server's log (uvicorn logs request lines, not headers).
    logged = (tmp_path / "serve.log").read_text(errors="replace")
    assert not any(token in logged for token in team.tokens.values())


@pytest.mark.e2e
def test_ci_submits_over_http_reviewers_sign_and_the_gate_opens(
    server, team, tmp_path, monkeypatch
):
    from responsible_ai.reference_models import save_reference_model

    model = save_reference_model("german_credit", tmp_path / "models")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("RAI_TOKEN", team.tokens["ci"])
    code, _out, err = _rai(
        "check",
        "sample_data/german_credit.csv",
        "--policy",
        "german-credit-lending",
        "--model",
        str(model),
        "--submit",
        server,
    )
    assert code == 1, err  # the reference model fails the lending policy
    assert "submitted run 1: " in err
    assert _rai("gate", "1", "--store", server)[0] == 1

    report = _call(server, "/v1/runs/1", team.tokens["alice"])
    expires = (today_utc() + timedelta(days=30)).isoformat()
    for check in blocking_checks(report):
        waiver = {
            "decision": "waive",
            "comment": "gap confirmed",
            "check_id": check,
            "justification": "retrained model ships next month",
            "expires_on": expires,
        }
        assert (
            _call(server, "/v1/runs/1/reviews", team.tokens["alice"], waiver)["reviewer"] == "alice"
        )
    assert _rai("gate", "1", "--store", server)[0] == 1  # waived, not yet approved
    approval = {"decision": "approve", "comment": "waivers in place"}
    assert _call(server, "/v1/runs/1/reviews", team.tokens["bob"], approval)["reviewer"] == "bob"
    code, out, _err = _rai("gate", "1", "--store", server)
    assert code == 0
    assert out.startswith("run 1 approved by bob")
    latest = _rai("gate", "--latest", "--policy", "german-credit-lending", "--store", server)
    assert latest[0] == 0
