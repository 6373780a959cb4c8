"""``POST /v1/runs`` as a form: the server audits data, a model and a policy with the engine of
``rai check``, stores the run as the token's user, and leaves nothing in its temp folder."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai.api import upload_audit, upload_form
from responsible_ai.cli import main
from responsible_ai.datasets import sample_data_dir
from responsible_ai.store import ReviewStore

GERMAN = sample_data_dir() / "german_credit.csv"
LENDING = Path(__file__).resolve().parents[1] / "store" / "lending-fairness.yaml"
PACK_ROLES = {"prediction": "credit", "positive_label": "good", "sensitive": "sex"}
FEATURES = ["duration", "credit_amount", "age", "installment_rate"]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The server's temp folder, to prove every request leaves it empty."""
    import tempfile

    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _local_check(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"local-{len(list(tmp_path.glob('local-*')))}.json"
    code = main(["check", *args, "--output", str(out)])
    assert code in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))


def _post(client, team, files, data, user="ci"):
    return client.post("/v1/runs", files=files, data=data, headers=team.auth(user))


def _failing_german(tmp_path: Path) -> Path:
    german = pd.read_csv(GERMAN)
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    path = tmp_path / "german-refusing-young.csv"
    german.assign(approved=approved).to_csv(path, index=False)
    return path


def test_a_pack_audit_is_stored_with_the_verdict_of_rai_check(client, team, tmp_path, private_tmp):
    roles = ["--prediction", "credit", "--positive-label", "good", "--sensitive", "sex"]
    local = _local_check(tmp_path, str(GERMAN), "--policy", "eeoc-four-fifths", *roles)
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv")},
        {"policy": "eeoc-four-fifths", "label": "nightly", **PACK_ROLES},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["verdict"] == local["verdict"] == "pass"
    with ReviewStore(team.url) as store:
        record = store.run_record(answer.json()["id"])
        report = store.report(answer.json()["id"])
        assert store.verify().ok
    assert (record["submitted_by"], record["label"], record["verdict"]) == ("ci", "nightly", "pass")
    assert record["data_sha256"] == local["inputs"]["data"]["sha256"]
    assert record["provenance"]["submitted_as"] == "upload audited by the server"
    assert [c.status for c in report.checks] == [c["status"] for c in local["checks"]]
    assert report.inputs["data"]["path"] == "german_credit.csv"  # not the server's temp path
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("sent_as", ["field", "file"])
def test_policy_text_extending_a_pack_fails_as_rai_check_does(
    client, team, tmp_path, private_tmp, sent_as
):
    data = _failing_german(tmp_path)
    text = LENDING.read_text(encoding="utf-8").replace(
        "extends: ../../policies/eeoc-four-fifths.yaml", "extends: eeoc-four-fifths.yaml"
    )
    policy = tmp_path / "lending.yaml"
    policy.write_text(text, encoding="utf-8")
    local = _local_check(tmp_path, str(data), "--policy", str(policy), "--prediction", "approved")
    files = {"data": (data.name, data.read_bytes(), "text/csv")}
    fields = {"prediction": "approved", "provenance": '{"commit": "9f1c"}'}
    if sent_as == "file":  # curl -F policy_yaml=@lending.yaml
        files["policy_yaml"] = ("lending.yaml", text.encode("utf-8"), "application/yaml")
    else:
        fields["policy_yaml"] = text
    answer = _post(client, team, files, fields)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verdict"] == local["verdict"] == "fail"
    with ReviewStore(team.url) as store:
        record = store.run_record(answer.json()["id"])
        report = store.report(answer.json()["id"])
    assert record["provenance"]["commit"] == "9f1c"
    assert record["policy_text"]["uploaded-policy.yaml"] == text
    assert any(path.endswith("eeoc-four-fifths.yaml") for path in record["policy_text"])
    failing = {c.id for c in report.checks if c.status == "fail"}
    assert failing == {c["id"] for c in local["checks"] if c["status"] == "fail"} != set()
    assert list(private_tmp.iterdir()) == []


def test_a_skops_model_is_audited_like_rai_check_model(client, team, tmp_path, private_tmp):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    german = pd.read_csv(GERMAN)
    model = LogisticRegression(max_iter=500).fit(german[FEATURES], german["credit"])
    path = tmp_path / "credit.skops"
    sio.dump(model, path)
    roles = ["--target", "credit", "--positive-label", "good", "--sensitive", "sex"]
    local = _local_check(
        tmp_path, str(GERMAN), "--policy", "eeoc-four-fifths", "--model", str(path), *roles
    )
    answer = _post(
        client,
        team,
        {
            "data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv"),
            "model": ("credit.skops", path.read_bytes(), "application/octet-stream"),
        },
        {
            "policy": "eeoc-four-fifths",
            "target": "credit",
            "positive_label": "good",
            "sensitive": "sex",
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["verdict"] == local["verdict"]
    with ReviewStore(team.url) as store:
        record = store.run_record(answer.json()["id"])
    assert record["model_sha256"] == local["inputs"]["model"]["sha256"]
    listed = client.get(
        "/v1/runs", params={"model_sha": record["model_sha256"]}, headers=team.auth("ci")
    )
    assert [run["id"] for run in listed.json()["runs"]] == [answer.json()["id"]]
    assert list(private_tmp.iterdir()) == []


def test_a_run_without_a_label_is_labelled_by_its_file(client, team):
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv")},
        {"policy": "eeoc-four-fifths", **PACK_ROLES},
    )
    assert answer.status_code == 201, answer.text
    listed = client.get("/v1/runs", headers=team.auth("ci")).json()["runs"]
    assert [run["label"] for run in listed] == ["german_credit.csv"]


def test_a_reviewer_token_cannot_submit_a_form(client, team):
    answer = _post(
        client,
        team,
        {"data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv")},
        {"policy": "eeoc-four-fifths", **PACK_ROLES},
        user="alice",
    )
    assert answer.status_code == 403


def test_healthz_answers_while_an_audit_runs(client, team, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = upload_audit.audit_form

    def slow_audit(form):
        started.set()
        release.wait(30)
        return real(form)

    monkeypatch.setattr(upload_audit, "audit_form", slow_audit)
    results = {}

    def submit():
        results["answer"] = _post(
            client,
            team,
            {"data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv")},
            {"policy": "eeoc-four-fifths", **PACK_ROLES},
        )

    worker = threading.Thread(target=submit)
    worker.start()
    try:
        assert started.wait(30)
        began = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - began < 5
    finally:
        release.set()
        worker.join(60)
    assert results["answer"].status_code == 201


def test_audits_beyond_the_limit_are_503_until_one_ends(client, team, monkeypatch):
    from responsible_ai.api import app as api

    monkeypatch.setattr(api, "MAX_CONCURRENT_AUDITS", 1)
    started, release = threading.Event(), threading.Event()
    real = upload_audit.audit_form

    def slow_audit(form):
        started.set()
        release.wait(30)
        return real(form)

    monkeypatch.setattr(upload_audit, "audit_form", slow_audit)
    files = {"data": ("german_credit.csv", GERMAN.read_bytes(), "text/csv")}
    fields = {"policy": "eeoc-four-fifths", **PACK_ROLES}
    results = {}
    worker = threading.Thread(
        target=lambda: results.update(first=_post(client, team, files, fields))
    )
    worker.start()
    try:
        assert started.wait(30)
        busy = _post(client, team, files, fields)
    finally:
        release.set()
        worker.join(60)
    assert busy.status_code == 503
    assert busy.json() == {"detail": api.BUSY.format(limit=1)}
    assert busy.headers["retry-after"] == "10"
    assert results["first"].status_code == 201
    assert _post(client, team, files, fields).status_code == 201  # the slot is free again


def test_openapi_documents_the_form(client):
    body = client.get("/openapi.json").json()["paths"]["/v1/runs"]["post"]["requestBody"]
    form = body["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) == set(upload_form.FORM_FIELDS)
    assert form["properties"]["data"]["format"] == "binary"


def test_serve_rejects_a_zero_upload_limit(team):
    from responsible_ai.api.app import BAD_UPLOAD_LIMIT, create_app
    from responsible_ai.errors import InputError

    with pytest.raises(InputError, match=BAD_UPLOAD_LIMIT.format(value=0)):
        create_app(team.url, max_upload_mb=0)
