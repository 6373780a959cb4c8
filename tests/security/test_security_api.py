"""Attacks on the HTTP API of ``rai serve``: no token, forged tokens, a submitter or the
submitting reviewer approving their own run, an oversized body, HTML in a report, and internal
errors that must not leak a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_helpers import Team, failing_report_json, make_team, submission

from responsible_ai.api import app as api

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the cheapest parameters: each test adds four users."""
    from argon2 import PasswordHasher

    from responsible_ai.store import identity

    monkeypatch.setattr(
        identity, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="module")
def failing_report() -> dict[str, Any]:
    return failing_report_json()


@pytest.fixture
def team(tmp_path, monkeypatch) -> Team:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE", "RAI_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return make_team(tmp_path)


@pytest.fixture
def client(team) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(api.create_app(team.url), raise_server_exceptions=False) as test_client:
        yield test_client


def _submit(client, team, report, user="ci") -> int:
    answer = client.post("/v1/runs", json=submission(report), headers=team.auth(user))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_no_token_cannot_submit_nor_read(client, failing_report):
    assert client.post("/v1/runs", json=submission(failing_report)).status_code == 401
    assert client.get("/v1/runs").status_code == 401
    basic = client.get("/v1/runs", headers={"Authorization": "Basic Y2k6cGFzcw=="})
    assert basic.status_code == 401


@pytest.mark.parametrize(
    "forged",
    ["rai_nosuchid_secret", "not-a-token", "rai__", "Bearer", "rai_" + "x" * 5000],
)
def test_forged_tokens_are_401_and_never_echoed(client, forged):
    answer = client.get("/v1/runs", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert forged not in answer.text


def test_a_right_id_with_a_wrong_secret_is_401(client, team):
    token_id = team.tokens["alice"].split("_")[1]
    answer = client.get("/v1/runs", headers={"Authorization": f"Bearer rai_{token_id}_guessed"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": api.BAD_TOKEN}


def test_the_body_cannot_name_the_submitter(client, team, failing_report):
    body = {**submission(failing_report), "submitted_by": "alice", "submitter": "alice"}
    run = client.post("/v1/runs", json=body, headers=team.auth("alice"))
    assert run.status_code == 403  # a reviewer token cannot submit, whatever the body says
    run_id = _submit(client, team, failing_report)
    listed = client.get("/v1/runs", headers=team.auth("ci")).json()["runs"]
    assert [(r["id"], r["submitted_by"]) for r in listed] == [(run_id, "ci")]


def test_nobody_approves_their_own_run(client, team, failing_report):
    mine = _submit(client, team, failing_report, user="ci")
    by_ci = client.post(
        f"/v1/runs/{mine}/reviews",
        json={"decision": "approve", "comment": "mine"},
        headers=team.auth("ci"),
    )
    assert by_ci.status_code == 403
    admin_run = _submit(client, team, failing_report, user="root")
    waive = {
        "decision": "waive",
        "comment": "c",
        "check_id": failing_report["checks"][0]["id"],
        "justification": "j",
        "expires_on": "2999-01-01",
    }
    by_root = client.post(f"/v1/runs/{admin_run}/reviews", json=waive, headers=team.auth("root"))
    assert by_root.status_code == 403
    assert "four eyes" in by_root.json()["detail"]
    gate = client.get(f"/v1/runs/{admin_run}/gate", headers=team.auth("root")).json()
    assert gate["code"] == 1


def test_an_oversized_body_is_refused_before_it_is_read(client, team):
    huge = b"{" + b" " * (api.MAX_BODY_BYTES + 10) + b"}"
    answer = client.post("/v1/runs", content=huge, headers=team.auth("ci"))
    assert answer.status_code == 413
    lying = client.post(
        "/v1/runs", content=huge, headers={**team.auth("ci"), "Content-Length": "10"}
    )
    assert lying.status_code in (400, 413, 422)  # never stored
    assert client.get("/v1/runs", headers=team.auth("ci")).json()["runs"] == []


def test_deeply_nested_json_is_a_one_line_refusal(client, team):
    deep = b'{"report": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = client.post("/v1/runs", content=deep, headers=team.auth("ci"))
    assert answer.status_code in (400, 422)
    assert "Traceback" not in answer.text


def test_html_in_a_report_is_escaped_in_the_html_view(client, team, failing_report):
    hostile = json.loads(json.dumps(failing_report))
    hostile["checks"][0]["message"] = SCRIPT
    hostile["policy"]["name"] = SCRIPT
    run = _submit(client, team, hostile)
    page = client.get(f"/v1/runs/{run}", headers={**team.auth("alice"), "Accept": "text/html"})
    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert "&lt;script&gt;" in page.text


def test_an_internal_error_leaves_no_traceback(client, team, failing_report, monkeypatch):
    from responsible_ai.store import gate as gate_module

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals at /srv/store.sqlite")

    monkeypatch.setattr(gate_module, "gate", broken)
    _submit(client, team, failing_report)
    answer = client.get("/v1/runs/1/gate", headers=team.auth("ci"))
    assert answer.status_code == 500
    assert answer.json() == {"detail": api.INTERNAL}
    assert "secret internals" not in answer.text


def test_serve_refuses_the_network_without_users(tmp_path, monkeypatch):
    from responsible_ai.cli import main

    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RAI_STORE_URL", raising=False)
    code = main(["serve", "--address", "0.0.0.0", "--store", str(tmp_path / "empty.sqlite")])
    assert code == 2
