"""The Mitigation page: runs on the current run's data and model with progress, shows the Pareto
front and the before/after table, and submits the chosen candidate as a new run for review."""

from __future__ import annotations

from app_testing import open_page, texts

from responsible_ai.store import ReviewStore


def test_mitigation_runs_shows_and_submits(app):
    at = open_page(app, "views/mitigation.py")
    assert not at.dataframe  # nothing until asked
    at.multiselect(key="mitigation_methods").set_value(["reweighing"])
    at.multiselect(key="mitigation_checks").set_value(["equal-opportunity-age"])
    at.button(key="run_mitigation").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert "Chosen: reweighing(strength=1)" in page
    table = at.dataframe[0].value
    assert list(table["candidate"]) == ["original", "reweighing(strength=1)"]
    assert "cost" in table.columns and "equal-opportunity-age" in table.columns
    assert table.loc[1, "notes"] == "CHOSEN"
    images = [e for e in at.main if getattr(e, "type", "") == "image"]
    assert len(images) == 1  # the Pareto front
    every = at.dataframe[1].value
    assert "four-fifths-rule[age_group]" in list(every["check"])
    at.button(key="submit_mitigated").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Run 2: the mitigated model" in texts(at)
    stored = ReviewStore().report(2)
    assert stored.mitigation is not None and stored.mitigation["chosen"] == "reweighing(strength=1)"


def test_a_run_without_a_model_says_what_to_do(stored_app):
    at = open_page(stored_app, "views/mitigation.py")
    assert "this run has no model" in texts(at)
