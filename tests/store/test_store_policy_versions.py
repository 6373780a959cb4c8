"""Policy edits are new versions: the edited text's hash in the version, the text in the store,
History marking the change, and a comparison that never calls a loosened requirement better."""

from __future__ import annotations

import hashlib

import pytest

from responsible_ai.audit_run import (
    SAMPLE_POLICY,
    policies_dir,
    recorded_policy_text,
    rerun_with_policy,
    run_audit,
)
from responsible_ai.datasets import load_german_credit
from responsible_ai.policy.versions import (
    LOOSENED,
    REQUIREMENT_CHANGED,
    TIGHTENED,
    UNCHANGED,
    edited_version,
    requirement_change,
)
from responsible_ai.review import compare_runs
from responsible_ai.store import ReviewStore

ORIGINAL = 'id: equal-opportunity-age\n    metric: fairness.equal_opportunity_difference\n    by: age_group\n    must: "<= 0.15"'  # noqa: E501


def _edit(text: str, must: str) -> str:
    assert ORIGINAL in text
    return text.replace(ORIGINAL, ORIGINAL.replace('"<= 0.15"', f'"{must}"'))


@pytest.fixture(scope="module")
def pack() -> tuple[str, bytes]:
    path = policies_dir() / SAMPLE_POLICY
    return path.read_text(encoding="utf-8"), path.read_bytes()


@pytest.fixture(scope="module")
def sample(pack):
    """The lending pack on German credit with decisions that fail the age checks."""
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    return run_audit(
        german.assign(approved=approved),
        pack[0],
        policy_name=SAMPLE_POLICY,
        policy_dir=policies_dir(),
        prediction="approved",
    )


@pytest.fixture(scope="module")
def loosened(sample, pack):
    return rerun_with_policy(sample, _edit(pack[0], "<= 1.0"))


def test_edited_version_names_the_pack_version_and_the_text_hash():
    text = "name: x\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    assert edited_version("1.0", text) == f"1.0+edit.{digest}"
    # an edit of an edit names the pack's version once, and the newest text
    assert edited_version(f"1.0+edit.{digest}", "name: y\n").startswith("1.0+edit.")
    assert edited_version(f"1.0+edit.{digest}", "name: y\n").count("+edit.") == 1
    assert edited_version("1.0", "name: y\n") != edited_version("1.0", text)


def test_the_pack_runs_as_its_own_version(sample):
    assert sample.report.policy["version"] == "1.0"


def test_an_edited_policy_runs_as_a_new_version_and_the_pack_is_untouched(loosened, pack):
    text = loosened.policy_text
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert loosened.report.policy["version"] == f"1.0+edit.{digest[:8]}"
    assert loosened.report.policy["name"] == "german-credit-lending"
    assert loosened.report.inputs["policy"]["sha256"] == digest
    assert (policies_dir() / SAMPLE_POLICY).read_bytes() == pack[1]


def test_the_store_records_the_text_that_ran_and_its_version(tmp_path, sample, loosened):
    store = ReviewStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    first = store.save_run(sample.report, policy_text=recorded_policy_text(sample))
    second = store.save_run(loosened.report, policy_text=recorded_policy_text(loosened))
    record = store.run_record(second)
    texts = list(record["policy_text"].values())
    assert texts[0] == loosened.policy_text  # the edited text, not the pack on disk
    assert len(texts) == 2 and "name: eeoc-four-fifths" in texts[1]  # and what it extends
    assert record["policy_version"] == loosened.report.policy["version"]
    assert record["policy_sha256"] == hashlib.sha256(loosened.policy_text.encode()).hexdigest()
    assert next(iter(store.run_record(first)["policy_text"].values())) == sample.policy_text
    assert store.verify().ok


def test_history_marks_runs_whose_policy_changed(tmp_path, sample, loosened, pack):
    store = ReviewStore(f"sqlite:///{tmp_path / 'store.sqlite'}")
    tightened = rerun_with_policy(sample, _edit(pack[0], "<= 0.1"))
    ids = [
        store.save_run(run.report, policy_text=recorded_policy_text(run))
        for run in (sample, sample, loosened, tightened, sample)
    ]
    marks = dict(zip(store.history()["run"], store.history()["policy_change"], strict=True))
    v_loose = loosened.report.policy["version"]
    v_tight = tightened.report.policy["version"]
    assert marks[ids[0]] == "" and marks[ids[1]] == ""  # the first, and an unchanged re-run
    assert marks[ids[2]] == f"policy changed: 1.0 -> {v_loose}"
    assert marks[ids[3]] == f"policy changed: {v_loose} -> {v_tight}"
    assert marks[ids[4]] == f"policy changed: {v_tight} -> 1.0"


@pytest.mark.parametrize(
    ("before", "after", "label"),
    [
        ((">=", 0.8), (">=", 0.7), LOOSENED),
        ((">=", 0.8), (">=", 0.9), TIGHTENED),
        ((">=", 0.8), (">=", 0.8), UNCHANGED),
        ((">", 0.8), (">", 0.7), LOOSENED),
        ((">", 0.8), (">", 0.9), TIGHTENED),
        ((">", 0.8), (">=", 0.8), LOOSENED),
        ((">=", 0.8), (">", 0.8), TIGHTENED),
        (("<=", 0.1), ("<=", 0.2), LOOSENED),
        (("<=", 0.2), ("<=", 0.1), TIGHTENED),
        (("<=", 0.1), ("<=", 0.1), UNCHANGED),
        (("<", 0.5), ("<", 0.6), LOOSENED),
        (("<", 0.5), ("<", 0.4), TIGHTENED),
        (("<", 0.5), ("<=", 0.5), LOOSENED),
        (("==", 0.0), ("==", 0.0), UNCHANGED),
        (("==", 0.0), ("==", 0.1), REQUIREMENT_CHANGED),
        (("==", 0.5), ("<=", 0.5), LOOSENED),
        (("<=", 0.5), ("==", 0.5), TIGHTENED),
        ((">=", 0.8), ("<=", 0.8), REQUIREMENT_CHANGED),
        (("!=", 0.0), ("!=", 0.1), REQUIREMENT_CHANGED),
    ],
)
def test_requirement_change_labels(before, after, label):
    assert requirement_change(before, after) == label


def test_compare_shows_requirements_side_by_side_and_never_calls_loosening_better(sample, loosened):
    table = compare_runs(sample.report, loosened.report).set_index("check")
    row = table.loc["equal-opportunity-age"]
    assert (row.requirement_before, row.requirement_after) == ("<= 0.15", "<= 1")
    assert (row.status_before, row.status_after) == ("fail", "pass")
    assert row.value_before == row.value_after == 1.0
    assert row.requirement == "requirement loosened"
    assert row.change == "passes only because the requirement was loosened"
    assert "better" not in set(table["change"])
    other = table.loc["accuracy-gap-age"]
    assert (other.requirement, other.change) == ("requirement unchanged", "same")
    back = compare_runs(loosened.report, sample.report).set_index("check")
    assert back.loc["equal-opportunity-age"].requirement == "requirement tightened"
    # 1.0 met "<= 1.0": the model did not get worse, the bar rose
    assert (
        back.loc["equal-opportunity-age"].change
        == "fails only because the requirement was tightened"
    )


def test_compare_calls_a_real_improvement_better(sample, pack):
    german = load_german_credit().data
    fair = run_audit(
        german.assign(approved=german["credit"]),
        _edit(pack[0], "<= 0.2"),
        policy_name=SAMPLE_POLICY,
        policy_dir=policies_dir(),
        prediction="approved",
    )
    row = compare_runs(sample.report, fair.report).set_index("check").loc["equal-opportunity-age"]
    assert row.requirement == "requirement loosened"
    assert row.status_after == "pass" and row.value_after <= 0.15  # meets the old bar too
    assert row.change == "better"
