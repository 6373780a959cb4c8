"""The first page of ``rai app``: the sample's report from the helper process, shown and named
as such while the server still audits the sample, then the loaded run (the same run)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from app_testing import APP, open_page, texts
from streamlit.testing.v1 import AppTest

from responsible_ai import audit_run, sample_start
from responsible_ai.audit_run import DATA_NOT_STORED, sample_run
from responsible_ai.sample_start import (
    SAMPLE_LOADING_CAPTION,
    SAMPLE_LOADING_NOTE,
    SAMPLE_REPORT_ENV,
)
from responsible_ai.store import ReviewStore


@pytest.fixture
def starting(app_env, tmp_path, monkeypatch):
    """As while ``rai app`` starts: the helper wrote the sample's report, the server has not
    audited the sample yet (its own audit is held until the test lets it finish)."""
    audited = sample_run()
    written = tmp_path / "sample-report.json"
    # The helper's audit ran a little earlier than the server's: its own time.
    helpers = replace(audited.report, created_at="2026-01-05T09:30:00+00:00")
    written.write_text(helpers.to_json(), encoding="utf-8")
    monkeypatch.setenv(SAMPLE_REPORT_ENV, str(written))
    monkeypatch.setattr(audit_run, "_SAMPLE", {})
    monkeypatch.setattr(sample_start, "_SERVER_AUDIT_DONE", threading.Event())

    def finish() -> None:  # the server's own audit is done
        audit_run._SAMPLE["german_credit"] = audited
        sample_start._SERVER_AUDIT_DONE.set()

    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at, finish


def _sidebar(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.sidebar.markdown, *at.sidebar.caption])


def test_overview_shows_the_helpers_report_and_says_so(starting):
    at, _ = starting
    assert SAMPLE_LOADING_NOTE in [i.value for i in at.info]
    assert SAMPLE_LOADING_CAPTION in _sidebar(at)
    assert "Opened from the store" not in _sidebar(at)  # it is not a run opened from History
    assert "**Run 1**" in _sidebar(at)
    attention = [f for f in sample_run().report.checks if f.status not in ("pass", "skipped")]
    assert f"Checks that need attention ({len(attention)})" in texts(at)
    assert at.metric[0].value == "FAIL"


def test_overview_switches_to_the_loaded_run_the_same_run(starting):
    at, finish = starting
    shown = [str(m.value) for m in at.markdown]
    finish()
    at.run()
    assert not at.exception, at.exception
    assert SAMPLE_LOADING_NOTE not in texts(at)
    assert SAMPLE_LOADING_CAPTION not in _sidebar(at)
    assert [str(m.value) for m in at.markdown] == shown  # the same checks, words and numbers
    assert "audited 2026-01-05 09:30 UTC" in texts(at)  # the stored run's time, kept
    assert "**Run 1**" in _sidebar(at)
    assert not at.session_state["run"].stored
    assert len(ReviewStore().runs()) == 1  # one run for the report and the loaded audit


def test_a_server_audit_that_never_ends_does_not_leave_the_report_only(starting):
    import time

    at, _ = starting  # the server's audit never finishes (its thread died, say)
    at.session_state["sample_loading"] = time.monotonic() - 3600  # shown an hour ago
    at.run()
    assert not at.exception, at.exception
    assert not at.session_state["run"].stored
    assert SAMPLE_LOADING_NOTE not in texts(at)


def test_a_page_that_needs_the_data_waits_for_them(starting):
    at, finish = starting
    finish()  # what the page waits for (the lock of sample_run) is done at once here
    at = open_page(at, "views/explanations.py")
    assert DATA_NOT_STORED.format(run=1, what="the explanations") not in texts(at)
    assert "Explainer details" in [e.label for e in at.expander]
    assert SAMPLE_LOADING_CAPTION not in _sidebar(at)


def test_a_page_that_needs_the_data_audits_the_sample_when_the_server_has_not(starting):
    at, _ = starting  # the server's audit never finishes: the page audits the sample itself
    at = open_page(at, "views/privacy.py")
    assert "the privacy scan" not in texts(at)  # no "came from the review store" notice
    assert not at.session_state["run"].stored
    assert SAMPLE_LOADING_CAPTION not in _sidebar(at)


def test_opening_another_run_while_loading_keeps_it(starting, ci_report):
    from app_testing import submit_ci_run

    at, finish = starting
    number = submit_ci_run(ci_report)
    at.query_params["run"] = str(number)
    at.run()
    finish()
    at.run()  # the loaded sample does not take the session back
    assert not at.exception, at.exception
    assert f"**Run {number}**" in _sidebar(at)
    assert at.session_state["run"].stored


def test_explanations_figures_are_drawn_once_per_run_ahead_of_the_visit(app, monkeypatch):
    import sys
    import threading

    from responsible_ai.explain.explanation import Explanation

    figures = sys.modules["figures"]  # the app's module, as the pages imported it
    for thread in threading.enumerate():  # the Overview's draw ahead, started on opening
        if thread.name == "rai-draw-explanations":
            thread.join(120)
    drawn = []
    original = Explanation.plot_bar
    monkeypatch.setattr(
        Explanation, "plot_bar", lambda self, *a, **k: drawn.append(1) or original(self, *a, **k)
    )
    assert any(key[-1] == "bar" for key in figures._DRAWN)  # drawn while the Overview was read
    at = open_page(app, "views/explanations.py")
    assert len(at.get("image")) == 3
    open_page(at, "views/overview.py")
    open_page(at, "views/explanations.py")
    assert drawn == []  # neither visit drew the importance figure again


def test_history_reads_no_report_but_the_two_it_compares(app, ci_report, monkeypatch):
    from app_testing import submit_ci_run

    for build in range(3):
        submit_ci_run(ci_report, label=f"CI build {build}")
    read: list[int] = []
    original = ReviewStore.report
    monkeypatch.setattr(
        ReviewStore, "report", lambda self, run_id: read.append(run_id) or original(self, run_id)
    )
    at = open_page(app, "views/history.py")
    assert "Runs to review (4)" in texts(at)
    assert sorted(read) == [3, 4]  # the two runs of "Compare two runs", not all four
