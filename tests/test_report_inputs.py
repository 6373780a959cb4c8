"""Every report names the inputs that took part: the data file, each policy file, the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from responsible_ai.auditing import audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.report import report_json_schema
from responsible_ai.report.html import render_html

POLICIES = Path(__file__).resolve().parents[1] / "policies"


@pytest.fixture(scope="module")
def extended_report():
    """German credit predictions audited by a policy that extends the EEOC pack."""
    german = load_german_credit().data
    frame = german.assign(approved=german["credit"])
    return audit(
        frame,
        POLICIES / "german-credit-lending.yaml",
        prediction="approved",
        data_name="applicants-2026-q3.csv",
    )


def test_every_policy_file_is_listed_with_its_hash(extended_report) -> None:
    files = {f["path"]: f["sha256"] for f in extended_report.policy["files"]}
    assert len(files) == 2  # the lending policy and the EEOC pack it extends
    html = render_html(extended_report)
    markdown = extended_report.to_markdown()
    for path, sha in files.items():
        assert path in html and sha in html
        assert path in markdown and sha in markdown
    assert "policy (extended)" in html and "policy (extended)" in markdown


def test_in_memory_data_is_named_by_where_it_came_from(extended_report) -> None:
    assert extended_report.inputs["data"]["name"] == "applicants-2026-q3.csv"
    for text in (render_html(extended_report), extended_report.to_markdown()):
        assert "applicants-2026-q3.csv" in text
        assert "(in memory)" not in text


def test_a_data_name_is_in_the_report_schema(extended_report) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(extended_report.to_dict(), report_json_schema())
    schema = report_json_schema()
    assert "name" in schema["$defs"]["input"]["properties"]


def test_a_file_audit_names_the_file_not_a_name_given(tmp_path) -> None:
    german = load_german_credit().data
    path = tmp_path / "scored.csv"
    german.assign(approved=german["credit"]).to_csv(path, index=False)
    report = audit(
        path,
        POLICIES / "eeoc-four-fifths.yaml",
        prediction="approved",
        target="credit",
        sensitive=["sex"],
        positive_label="good",
        data_name="ignored",
    )
    assert report.inputs["data"]["path"] == str(path)
    assert "name" not in report.inputs["data"]
    assert str(path) in render_html(report)


def test_the_app_sample_names_its_data_file() -> None:
    from responsible_ai.audit_run import sample_run

    rows = sample_run().report.input_rows()
    assert rows[0][0] == "data" and rows[0][1].startswith("german_credit.csv")
    assert [kind for kind, _, _ in rows].count("policy (extended)") == 1
