"""The review chain is tamper-evident, concurrent writers lose nothing, runs round-trip."""

from __future__ import annotations

import multiprocessing
from datetime import date

from sqlalchemy import text

from responsible_ai.cli import main
from responsible_ai.report.model import Report
from responsible_ai.review import Review
from responsible_ai.store import Identity, ReviewStore

TODAY = date(2026, 11, 29)


def local(name: str) -> Identity:
    """A named signer of unauthenticated local mode (a store without users)."""
    return Identity(f"local:{name}", "admin", "local")


def _three_reviews(store: ReviewStore, report: Report) -> int:
    run = store.save_run(report)
    for reviewer in ("Ada", "Bo", "Cy"):
        store.add_review(
            Review(run, "reject", "", f"{reviewer} says no"), local(reviewer), today=TODAY
        )
    return run


def test_run_round_trips_with_findings(store, failing_report):
    run = store.save_run(failing_report, label="sample")
    back = store.report(run)
    assert back.to_dict() == Report.from_json(failing_report.to_json()).to_dict()
    runs = store.runs()
    assert runs.loc[0, "run"] == run
    assert runs.loc[0, "failing_checks"] == 2  # fail or error; not insufficient evidence
    assert runs.loc[0, "label"] == "sample"


def test_reuse_returns_the_stored_run_for_the_same_audit(store, failing_report):
    first = store.save_run(failing_report, reuse=True)
    assert store.save_run(failing_report, reuse=True) == first
    assert store.save_run(failing_report) != first


def test_intact_chain_verifies(store, failing_report):
    _three_reviews(store, failing_report)
    result = store.verify()
    assert result.ok and result.reviews == 3 and result.problem is None
    # The head seals every chain: a new record gives a new head.
    run = store.save_run(failing_report)
    assert store.verify().head != result.head
    assert store.verify(expect_head=result.head).problem.startswith("the head is")
    assert run == 2


def test_edited_review_is_named(store, failing_report):
    _three_reviews(store, failing_report)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE rai_reviews SET comment = 'fine' WHERE seq = 2"))
    result = store.verify()
    assert not result.ok
    assert result.problem.startswith(
        "review #2 (run 1, reject by local:Bo): its content does not match"
    )


def test_deleted_review_is_named(store, failing_report):
    _three_reviews(store, failing_report)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM rai_reviews WHERE seq = 2"))
    result = store.verify()
    assert not result.ok
    assert result.problem.startswith("review #2 is missing")


def test_rewritten_chain_tail_is_caught_by_the_link(store, failing_report):
    _three_reviews(store, failing_report)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE rai_reviews SET prev_hash = hash WHERE seq = 3"))
    assert "does not link" in store.verify().problem


def test_edited_report_is_named(store, failing_report):
    _three_reviews(store, failing_report)
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE rai_runs SET report_json = replace(report_json, '\"fail\"', '\"pass\"')")
        )
    assert store.verify().problem.startswith("run 1: its stored report was changed")


def _writer(url: str, run: int, name: str, count: int) -> None:
    store = ReviewStore(url)
    for index in range(count):
        store.add_review(Review(run, "reject", name, f"comment {index}"), today=TODAY)
    store.close()


def test_concurrent_writers_lose_nothing(store_url, failing_report):
    url = store_url
    store = ReviewStore(url)
    run = store.save_run(failing_report)
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(url, run, f"writer{i}", 15)) for i in range(4)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    reviews = store.reviews()
    assert len(reviews) == 60
    assert [r.seq for r in reviews] == list(range(1, 61))
    assert store.verify().ok
    store.close()


def _open_and_save(url: str, report: Report, start) -> None:
    start.wait()
    store = ReviewStore(url)
    store.save_run(report)
    store.close()


def test_processes_opening_a_new_store_at_once_create_it_once(store_url, failing_report):
    context = multiprocessing.get_context("fork")
    start = context.Event()
    openers = [
        context.Process(target=_open_and_save, args=(store_url, failing_report, start))
        for _ in range(4)
    ]
    for process in openers:
        process.start()
    start.set()
    for process in openers:
        process.join(120)
        assert process.exitcode == 0
    store = ReviewStore(store_url)
    assert len(store.runs()) == 4 and store.verify().ok
    store.close()


def test_cli_store_verify_exit_codes(store_url, failing_report, capsys):
    url = store_url
    store = ReviewStore(url)
    _three_reviews(store, failing_report)
    assert main(["store", "verify", "--url", url]) == 0
    assert (
        "3 review(s), 0 user record(s), 0 token record(s), chain intact" in capsys.readouterr().out
    )
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE rai_reviews SET reviewer = 'Eve' WHERE seq = 1"))
    assert main(["store", "verify", "--url", url]) == 1
    assert "review #1 (run 1, reject by Eve)" in capsys.readouterr().out
    store.close()


def test_cli_store_reads_rai_home(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("RAI_STORE_URL", raising=False)
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    assert main(["store", "runs"]) == 0
    assert str(tmp_path / "home" / "store.sqlite") in capsys.readouterr().out


def test_cli_bad_store_url_is_one_line_exit_2(capsys):
    assert main(["store", "verify", "--url", "nosuchdb://x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rai: error: cannot use store URL") and err.count("\n") == 1
