"""``GET /v1/runs``: served from the runs' summary columns (no report is read), with the review
state the app shows, filters and paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_helpers import blocking_checks, submission
from sqlalchemy import create_engine, text

from responsible_ai.report import model as report_model
from responsible_ai.review import Review, today_utc
from responsible_ai.store import ReviewStore
from responsible_ai.store.people import authenticate_token
from responsible_ai.store.run_list import UNKNOWN_STATE


def _submit(client, team, report, label=""):
    body = submission(report)
    answer = client.post("/v1/runs", json=body, headers=team.auth("ci"))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _decide(team, failing_report, runs):
    """runs[0] pending, [1] rejected, [2] waived and approved, [3] approved on a lapsed waiver."""
    today = today_utc()
    with ReviewStore(team.url) as store:
        alice = authenticate_token(store, team.tokens["alice"])
        bob = authenticate_token(store, team.tokens["bob"])
        store.add_review(Review(runs[1], "reject", "", "no"), alice)
        for run, expires, when in (
            (runs[2], today + timedelta(days=30), today),
            (runs[3], today - timedelta(days=1), today - timedelta(days=10)),
        ):
            for check in blocking_checks(failing_report):
                waiver = Review(run, "waive", "", "gap", check, "next model", expires)
                store.add_review(waiver, alice, today=when)
            store.add_review(Review(run, "approve", "", "ok"), bob, today=when)
        return dict(zip(store.history()["run"], store.history()["review"], strict=True))


@pytest.fixture
def four_runs(client, team, failing_report):
    runs = [_submit(client, team, failing_report) for _ in range(4)]
    states = _decide(team, failing_report, runs)
    assert sorted(states.values()) == ["approval lapsed", "approved", "pending", "rejected"]
    return runs, states


def _list(client, team, **params):
    answer = client.get("/v1/runs", params=params, headers=team.auth("ci"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_list_shows_the_review_state_of_the_app(client, team, four_runs):
    runs, states = four_runs
    listed = _list(client, team)["runs"]
    assert [run["id"] for run in listed] == runs[::-1]
    assert {run["id"]: run["review_state"] for run in listed} == states
    after = {run["id"]: run["verdict_after_waivers"] for run in listed}
    assert after == {runs[0]: "fail", runs[1]: "fail", runs[2]: "pass", runs[3]: "fail"}
    assert {run["submitted_by"] for run in listed} == {"ci"}


@pytest.mark.parametrize("state", ["pending", "approved", "rejected", "approval lapsed"])
def test_the_list_filters_by_state(client, team, four_runs, state):
    _runs, states = four_runs
    listed = _list(client, team, state=state)["runs"]
    assert [run["id"] for run in listed] == [r for r, s in states.items() if s == state]


def test_paging_walks_every_run_once(client, team, four_runs):
    runs, _states = four_runs
    first = _list(client, team, limit=3)
    assert [run["id"] for run in first["runs"]] == runs[:0:-1]
    second = _list(client, team, limit=3, before_id=first["next_before_id"])
    assert [run["id"] for run in second["runs"]] == [runs[0]]
    assert second["next_before_id"] is None
    by_offset = _list(client, team, limit=2, offset=2)["runs"]
    assert [run["id"] for run in by_offset] == runs[1::-1]


def test_the_list_reads_no_report(client, team, four_runs, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the run list read a report")

    monkeypatch.setattr(ReviewStore, "report", refuse)
    monkeypatch.setattr(report_model.Report, "from_json", refuse)
    listed = _list(client, team, limit=500)["runs"]
    assert len(listed) == 4


def test_runs_stored_before_fail_on_was_a_column_still_list_their_state(client, team, four_runs):
    _runs, states = four_runs
    engine = create_engine(team.url)
    with engine.begin() as connection:  # what store_0003 leaves on older runs
        connection.execute(text("UPDATE rai_runs SET fail_on = ''"))
    engine.dispose()
    listed = _list(client, team)["runs"]
    assert {run["id"]: run["review_state"] for run in listed} == states


def test_an_unknown_state_is_400_in_one_line(client, team):
    answer = client.get("/v1/runs", params={"state": "done"}, headers=team.auth("ci"))
    assert answer.status_code == 400
    states = "pending, approved, rejected, approval lapsed"
    assert answer.json() == {"detail": UNKNOWN_STATE.format(state="done", states=states)}


def test_a_new_run_chains_its_fail_on(client, team, failing_report):
    run = _submit(client, team, failing_report)
    engine = create_engine(team.url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT fail_on FROM rai_runs")).scalar() == "high"
        connection.execute(text("UPDATE rai_runs SET fail_on = 'low'"))
    engine.dispose()
    with ReviewStore(team.url) as store:
        check = store.verify()
    assert not check.ok and f"run {run}" in check.problem
