"""The HTTP API of ``rai serve`` through FastAPI's TestClient over a temp SQLite store: every
route, its authentication and roles, four eyes, the body limit and the one-line errors."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from api_helpers import blocking_checks, submission

from responsible_ai.api import app as api
from responsible_ai.review import today_utc
from responsible_ai.store import ReviewStore

ROUTES = {
    ("GET", "/healthz"),
    ("POST", "/v1/runs"),
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/{run_id}"),
    ("POST", "/v1/runs/{run_id}/reviews"),
    ("GET", "/v1/runs/{run_id}/gate"),
    ("GET", "/v1/monitors"),
    ("GET", "/v1/monitors/{name}/windows"),
    ("GET", "/v1/monitors/{name}/alerts"),
    ("POST", "/v1/monitors/{name}/alerts/{alert_id}/acknowledgements"),
}


def _submit(client, team, report, user="ci"):
    answer = client.post("/v1/runs", json=submission(report), headers=team.auth(user))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_healthz_needs_no_token(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_openapi_lists_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    listed = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert listed == ROUTES
    body = paths["/v1/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"report", "policy_text", "provenance"}


def test_submit_records_the_token_user_and_answers_id_and_url(client, team, failing_report):
    body = submission(failing_report)
    body["submitted_by"] = "alice"  # never a field of the body: ignored
    answer = client.post("/v1/runs", json=body, headers=team.auth("ci"))
    assert answer.status_code == 201
    assert answer.json() == {"id": 1, "url": "http://127.0.0.1:8501/?run=1"}
    store = ReviewStore(team.url)
    try:
        record = store.run_record(1)
        assert record["submitted_by"] == "ci"
        assert record["submitted_via"].startswith("token:")
        assert record["provenance"] == {"commit": "9f1c", "branch": "main"}
        assert list(record["policy_text"]) == ["lending-fairness.yaml"]
        assert store.report(1).verdict == "fail"
        assert store.verify().ok
    finally:
        store.close()


def test_admin_may_submit_a_reviewer_may_not(client, team, failing_report):
    assert (
        client.post(
            "/v1/runs", json=submission(failing_report), headers=team.auth("root")
        ).status_code
        == 201
    )
    refused = client.post("/v1/runs", json=submission(failing_report), headers=team.auth("alice"))
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": api.ROLE_REFUSED.format(
            role="reviewer", action="submit runs", needed="submitter or admin"
        )
    }


def test_a_report_off_the_schema_is_422_in_one_line(client, team, failing_report):
    broken = copy.deepcopy(failing_report)
    broken["verdict"] = "maybe"
    answer = client.post("/v1/runs", json=submission(broken), headers=team.auth("ci"))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("the report does not match the report JSON schema: verdict: ")
    assert "\n" not in detail
    missing = client.post("/v1/runs", json={"policy_text": {}}, headers=team.auth("ci"))
    assert missing.status_code == 422
    assert missing.json()["detail"].startswith("the submission is not valid: ")
    garbage = client.post("/v1/runs", content=b"{not json", headers=team.auth("ci"))
    assert garbage.status_code == 422


def test_oversized_body_is_413(client, team, monkeypatch):
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 1000)
    answer = client.post("/v1/runs", content=b"x" * 1001, headers=team.auth("ci"))
    assert answer.status_code == 413
    assert answer.json() == {"detail": api.TOO_LARGE.format(limit=1000)}


def test_list_filters_newest_first(client, team, failing_report):
    other = copy.deepcopy(failing_report)
    other["policy"]["name"] = "other-policy"
    other["inputs"]["model"] = {"sha256": "ab" * 32}
    for report in (failing_report, other, failing_report):
        _submit(client, team, report)
    listed = client.get("/v1/runs", headers=team.auth("ci")).json()["runs"]
    assert [run["id"] for run in listed] == [3, 2, 1]
    assert listed[0]["submitted_by"] == "ci"
    by_policy = client.get(
        "/v1/runs", params={"policy": "german-credit-lending", "limit": 1}, headers=team.auth("ci")
    )
    assert [run["id"] for run in by_policy.json()["runs"]] == [3]
    by_model = client.get("/v1/runs", params={"model_sha": "AB" * 32}, headers=team.auth("ci"))
    assert [run["id"] for run in by_model.json()["runs"]] == [2]
    assert client.get("/v1/runs", params={"limit": 0}, headers=team.auth("ci")).status_code == 422


def test_show_run_as_json_or_html(client, team, failing_report):
    run = _submit(client, team, failing_report)
    shown = client.get(f"/v1/runs/{run}", headers=team.auth("alice"))
    assert shown.status_code == 200
    assert shown.json()["verdict"] == "fail"
    assert [c["id"] for c in shown.json()["checks"]] == [c["id"] for c in failing_report["checks"]]
    page = client.get(f"/v1/runs/{run}", headers={**team.auth("alice"), "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.lstrip().lower().startswith("<!doctype html")
    assert "equal-opportunity-age" in page.text
    missing = client.get("/v1/runs/99", headers=team.auth("alice"))
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no run 99"}


def test_waive_then_a_second_reviewer_approves_and_the_gate_opens(client, team, failing_report):
    run = _submit(client, team, failing_report)
    gate = client.get(f"/v1/runs/{run}/gate", headers=team.auth("ci")).json()
    assert gate == {"state": "pending", "code": 1, "message": f"run {run} is pending review"}
    expires = (today_utc() + timedelta(days=30)).isoformat()
    for check in blocking_checks(failing_report):
        waived = client.post(
            f"/v1/runs/{run}/reviews",
            json={
                "decision": "waive",
                "comment": "known gap",
                "check_id": check,
                "justification": "retrained model next month",
                "expires_on": expires,
            },
            headers=team.auth("alice"),
        )
        assert waived.status_code == 201, waived.text
        assert waived.json()["reviewer"] == "alice"
    approved = client.post(
        f"/v1/runs/{run}/reviews",
        json={"decision": "approve", "comment": "ok"},
        headers=team.auth("bob"),
    )
    assert approved.status_code == 201
    gate = client.get(f"/v1/runs/{run}/gate", headers=team.auth("ci")).json()
    assert gate["state"] == "approved" and gate["code"] == 0
    assert gate["message"].startswith(f"run {run} approved by bob; waived: ")


def test_four_eyes_is_403_with_the_store_message(client, team, failing_report):
    own = _submit(client, team, failing_report, user="root")
    refused = client.post(
        f"/v1/runs/{own}/reviews",
        json={"decision": "reject", "comment": "mine"},
        headers=team.auth("root"),
    )
    assert refused.status_code == 403
    assert (
        refused.json()["detail"]
        == f"root submitted run {own} and cannot reject it: another reviewer must (four eyes)"
    )
    submitter = client.post(
        f"/v1/runs/{own}/reviews",
        json={"decision": "reject", "comment": "x"},
        headers=team.auth("ci"),
    )
    assert submitter.status_code == 403
    assert submitter.json()["detail"].startswith("ci has the submitter role and cannot review")


def test_an_invalid_review_is_400_and_unknown_run_404(client, team, failing_report):
    run = _submit(client, team, failing_report)
    early = client.post(
        f"/v1/runs/{run}/reviews",
        json={"decision": "approve", "comment": "ok"},
        headers=team.auth("alice"),
    )
    assert early.status_code == 400  # blocking failures not waived: the store refuses
    assert "\n" not in early.json()["detail"]
    nowhere = client.post(
        "/v1/runs/42/reviews",
        json={"decision": "approve", "comment": "ok"},
        headers=team.auth("alice"),
    )
    assert nowhere.status_code == 404
    assert client.get("/v1/runs/42/gate", headers=team.auth("alice")).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/runs"),
        ("GET", "/v1/runs"),
        ("GET", "/v1/runs/1"),
        ("POST", "/v1/runs/1/reviews"),
        ("GET", "/v1/runs/1/gate"),
    ],
)
def test_every_route_but_healthz_needs_a_token(client, method, path):
    answer = client.request(method, path, json={})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {"detail": api.NO_TOKEN}


def test_a_revoked_token_is_401(client, team):
    from responsible_ai.store.people import revoke_token, tokens

    store = ReviewStore(team.url)
    try:
        token_id = next(t.token_id for t in tokens(store) if t.username == "ci")
        revoke_token(store, token_id, "test")
    finally:
        store.close()
    answer = client.get("/v1/runs", headers=team.auth("ci"))
    assert answer.status_code == 401
    assert answer.json() == {"detail": api.BAD_TOKEN}
