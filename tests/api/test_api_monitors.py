"""``/v1/monitors``: windows and alerts served with the API's auth; reviewers acknowledge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "sample_data" / "monitoring" / "german_credit_logs"
POLICY = ROOT / "policies" / "monitoring.yaml"
NAME = "german-credit-monitoring"


@pytest.fixture
def monitored(team, tmp_path):
    from responsible_ai.monitor.run import monitor
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.monitors import save_monitor_run

    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    result = monitor(folder, POLICY)
    store = ReviewStore(team.url)
    try:
        save_monitor_run(store, result, result.fresh_counts)
    finally:
        store.close()
    return result


def test_windows_and_alerts_are_served_to_any_role(monitored, client, team) -> None:
    assert client.get(f"/v1/monitors/{NAME}/windows").status_code == 401
    listed = client.get("/v1/monitors", headers=team.auth("ci")).json()
    assert listed == {"monitors": [NAME]}
    windows = client.get(f"/v1/monitors/{NAME}/windows", headers=team.auth("ci")).json()
    assert [w["window"] for w in windows["windows"]][:2] == ["2025-06-01", "2025-06-02"]
    assert len(windows["windows"]) == 61
    alerts = client.get(f"/v1/monitors/{NAME}/alerts", headers=team.auth("alice")).json()["alerts"]
    drift = next(a for a in alerts if a["rule"] == "input-drift")
    assert drift["status"] == "fail"
    assert drift["evidence"]["alerted"] == ["credit_amount"]
    assert client.get("/v1/monitors/nope/windows", headers=team.auth("ci")).status_code == 404


def test_a_reviewer_acknowledges_and_a_submitter_cannot(monitored, client, team) -> None:
    alerts = client.get(f"/v1/monitors/{NAME}/alerts", headers=team.auth("alice")).json()["alerts"]
    fired = next(a for a in alerts if a["status"] == "fail")
    url = f"/v1/monitors/{NAME}/alerts/{fired['id']}/acknowledgements"
    refused = client.post(url, json={"comment": "seen"}, headers=team.auth("ci"))
    assert refused.status_code == 403
    done = client.post(url, json={"comment": "rolling back v2"}, headers=team.auth("alice"))
    assert done.status_code == 201
    assert done.json()["reviewer"] == "alice"
    again = client.get(f"/v1/monitors/{NAME}/alerts", headers=team.auth("bob")).json()["alerts"]
    acked = next(a for a in again if a["id"] == fired["id"])
    assert acked["acknowledgements"][0]["comment"] == "rolling back v2"
    assert client.post(url, json={"comment": " "}, headers=team.auth("bob")).status_code == 400


def test_the_chain_covers_monitor_records(team, monitored) -> None:
    import sqlalchemy as sa

    from responsible_ai.store import ReviewStore

    store = ReviewStore(team.url)
    try:
        assert store.verify().ok
        with store.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE rai_monitor_alerts SET status = 'pass' WHERE rule_id = 'input-drift'"
                )
            )
        check = store.verify()
        assert not check.ok
        assert "monitor alert" in str(check.problem)
    finally:
        store.close()
