"""Runs submitted from CI open in the app: ?run=N, History's inbox and Open, the sidebar names
the run shown, and pages that need data or a model say the store does not hold them."""

from __future__ import annotations

from app_testing import APP, PROVENANCE, open_page, sidebar_texts, submit_ci_run, texts
from streamlit.testing.v1 import AppTest

from responsible_ai.audit_run import BAD_RUN_ID, DATA_NOT_STORED
from responsible_ai.review import run_review_state
from responsible_ai.store import ReviewStore

FAILING = ["equal-opportunity-age", "four-fifths-rule[age_group]", "four-fifths-rule[sex]"]


def test_the_address_opens_the_submitted_run(stored_app, ci_report):
    at = stored_app
    shown = texts(at)
    assert "Run 1 · CI build 42" in shown
    assert f"Not approvable yet: {run_review_state(ci_report, []).blocking_text}" in shown
    for check in FAILING:
        assert check in shown
    side = sidebar_texts(at)
    assert "Run 1: CI build 42" in side
    assert "Submitted by: ci (submitter)" in side
    assert f"Commit: {PROVENANCE['commit'][:12]}" in side and PROVENANCE["commit"] not in side
    assert "Branch: release/2.3" in side
    assert f"CI job: {PROVENANCE['ci_job_url']}" in side
    # Opening a stored run audits nothing: the store still holds only the submitted run.
    assert list(ReviewStore().runs()["run"]) == [1]


def test_fairness_review_and_download_work_on_a_stored_run(stored_app):
    at = open_page(stored_app, "views/fairness.py")
    assert at.selectbox[0].options[0].startswith(FAILING[0])
    assert "95% confidence interval" in texts(at)
    at = open_page(at, "views/review.py")
    assert {m.label: m.value for m in at.metric}["Checks blocking approval"] == "3"
    at = open_page(at, "views/download.py")
    labels = [b.label for b in at.get("download_button")]
    assert labels[:2] == ["HTML report (.html)", "JSON report (.json)"]


def test_pages_that_need_data_say_the_store_does_not_hold_them(stored_app):
    for page, what in (
        ("views/explanations.py", "the explanations"),
        ("views/privacy.py", "the privacy scan"),
    ):
        at = open_page(stored_app, page)
        assert at.info[0].value == DATA_NOT_STORED.format(run=1, what=what)
        assert "Global importance" not in texts(at) and "Identifier columns" not in texts(at)
    at = open_page(stored_app, "views/policy.py")
    assert "the policy text it ran, read only" in texts(at)
    assert "id: equal-opportunity-age" in at.code[0].value
    assert not [b for b in at.button if b.key == "rerun"]
    at = open_page(stored_app, "views/data_and_model.py")
    assert "keeps its report but not its data or model" in texts(at)


def test_history_lists_runs_to_review_and_opens_one(app_env, ci_report):
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()  # the sample: run 1
    assert submit_ci_run(ci_report) == 2
    at = open_page(at, "views/history.py")
    assert "Runs to review (2)" in texts(at)
    inbox = [b.key for b in at.button if b.key.startswith("open_inbox_")]
    assert inbox == ["open_inbox_1", "open_inbox_2"]  # oldest first
    at.button(key="open_inbox_2").click().run()
    assert not at.exception
    assert "Run 2: CI build 42" in sidebar_texts(at)
    assert "Run 2 · CI build 42" in texts(at)  # the overview, of run 2
    at = open_page(at, "views/explanations.py")
    assert at.info[0].value == DATA_NOT_STORED.format(run=2, what="the explanations")


def test_an_address_that_names_no_run_says_so_once(app_env):
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["run"] = "2 OR 1=1"
    at.run()
    assert not at.exception
    assert at.error[0].value == BAD_RUN_ID.format(given="2 OR 1=1")
    assert "German credit sample" in sidebar_texts(at)  # the session keeps a run of its own
    at.query_params["run"] = "99"
    at.run()
    assert at.error[0].value.startswith("no run 99 in the store")
