"""Uploads, roles and policy editing in the app, with one clear error for every bad input."""

from __future__ import annotations

import io
import pickle
import re

import pandas as pd
import pytest
from app_testing import open_page, raw_texts, sidebar_texts, texts

from responsible_ai.datasets import load_german_credit
from responsible_ai.store import ReviewStore

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def decisions_csv() -> bytes:
    german = load_german_credit().data
    frame = german[["sex", "age_group", "credit"]].assign(
        approved=german["credit"].where(german["age_group"] != "under 25", "bad")
    )
    return frame.to_csv(index=False).encode()


def _upload(at, name, content, mime="text/csv"):
    at.file_uploader(key="data_file").set_value((name, content, mime))
    at.run()
    assert not at.exception
    return at


def test_upload_with_prediction_column_audits_and_stores_a_run(app, decisions_csv):
    at = open_page(app, "views/data_and_model.py")
    _upload(at, "decisions.csv", decisions_csv)
    assert "decisions.csv" in texts(at) and "1,000 rows" in texts(at)
    at.radio(key="source").set_value("A column of the data").run()
    at.selectbox(key="prediction").set_value("approved").run()
    at.selectbox(key="target").set_value("credit").run()
    at.selectbox(key="positive").set_value("good").run()
    at.multiselect(key="sensitive").set_value(["sex", "age_group"]).run()
    at.selectbox(key="policy_choice").set_value("german-credit-lending.yaml").run()
    at.button(key="audit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Run 2: verdict FAIL" in texts(at)
    # The sidebar, drawn before the page, names the run just audited, not the sample any more.
    assert "Run 2: decisions.csv" in sidebar_texts(at)
    runs = ReviewStore().runs()
    assert list(runs["run"]) == [2, 1] and runs.loc[0, "label"] == "decisions.csv"

    at = open_page(at, "views/overview.py")
    assert "four-fifths-rule[sex]" in texts(at)  # fails only with these decisions
    at = open_page(at, "views/explanations.py")
    assert "no model to explain" in texts(at)
    at = open_page(at, "views/history.py")
    compare = at.dataframe[-1].value.set_index("check")
    assert compare.loc["four-fifths-rule[sex]", "change"] == "worse"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.csv", b"", "notes.csv is empty"),
        ("broken.parquet", b"not parquet at all", "cannot read broken.parquet as Parquet"),
        ("one.csv", b"only_column\n1\n2\n", "an audit needs rows and at least"),
    ],
)
def test_bad_data_file_gives_one_clear_error(app, name, content, message):
    at = open_page(app, "views/data_and_model.py")
    _upload(at, name, content)
    assert len(at.error) == 1 and message in at.error[0].value


def test_pickled_model_is_refused_unless_trusted(app, decisions_csv, monkeypatch):
    at = open_page(app, "views/data_and_model.py")
    _upload(at, "decisions.csv", decisions_csv)
    payload = pickle.dumps({"not": "a model"})
    at.file_uploader(key="model_file").set_value(("model.pkl", payload, "application/octet-stream"))
    at.run()
    assert not at.exception
    assert "model.pkl is a pickle file" in at.error[0].value
    assert "RAI_TRUST_UPLOADED_MODELS=1" in at.error[0].value


def test_upload_over_the_size_limit_is_refused(app, monkeypatch):
    monkeypatch.setenv("RAI_MAX_UPLOAD_MB", "1")
    at = open_page(app, "views/data_and_model.py")
    _upload(at, "big.csv", b"a,b\n" + b"1,2\n" * 300_000)
    assert "over the upload limit of 1 MB" in at.error[0].value


def test_missing_column_names_the_column_and_the_fix(app, decisions_csv):
    at = open_page(app, "views/data_and_model.py")
    frame = pd.read_csv(io.BytesIO(decisions_csv)).drop(columns=["credit"])
    _upload(at, "no_target.csv", frame.to_csv(index=False).encode())
    at.radio(key="source").set_value("A column of the data").run()
    at.selectbox(key="prediction").set_value("approved").run()
    at.selectbox(key="positive").set_value("good").run()
    at.multiselect(key="sensitive").set_value(["sex"]).run()
    at.selectbox(key="policy_choice").set_value("german-credit-lending.yaml").run()
    at.button(key="audit").click().run()
    assert not at.exception
    assert "target column 'credit' is not in the data" in at.error[0].value


def test_policy_edit_validates_live_and_reruns(app):
    at = open_page(app, "views/policy.py")
    assert "The policy is valid." in texts(at)
    area = at.text_area[0]
    original = area.value
    area.input(original.replace('must: "<= 0.15"', 'must: "<= zero"', 1)).run()
    assert "problem(s) in the policy" in at.error[0].value
    assert "line" in at.error[0].value and "expected an operator" in at.error[0].value
    assert at.button(key="rerun").disabled
    at.text_area[0].input(original.replace("fail_on: high", "fail_on: critical")).run()
    assert "The policy is valid." in texts(at)
    at.button(key="rerun").click().run()
    assert not at.exception
    assert "Run 2: verdict PASS" in texts(at)  # every failure is now below fail_on
    assert "Run 2:" in sidebar_texts(at) and "Run 1:" not in sidebar_texts(at)
    assert ReviewStore().report(2).policy["fail_on"] == "critical"


def test_malformed_yaml_names_the_line(app):
    at = open_page(app, "views/policy.py")
    at.text_area[0].input("name: x\nchecks: [\n").run()
    assert "invalid YAML" in at.error[0].value
    assert not at.exception


def test_script_column_name_shows_as_text(app, decisions_csv):
    frame = pd.read_csv(io.BytesIO(decisions_csv)).rename(columns={"sex": SCRIPT})
    frame[SCRIPT] = frame[SCRIPT].map({"female": "<b>f</b>", "male": "m"})
    at = open_page(app, "views/data_and_model.py")
    _upload(at, "<i>x</i>.csv", frame.to_csv(index=False).encode())
    at.radio(key="source").set_value("A column of the data").run()
    at.selectbox(key="prediction").set_value("approved").run()
    at.selectbox(key="target").set_value("credit").run()
    at.selectbox(key="positive").set_value("good").run()
    at.multiselect(key="sensitive").set_value([SCRIPT]).run()
    at.selectbox(key="policy_choice").set_value("eeoc-four-fifths.yaml").run()
    at.button(key="audit").click().run()
    assert not at.error, [e.value for e in at.error]
    for page in ("views/overview.py", "views/fairness.py", "views/review.py"):
        at = open_page(at, page)
        for element in [*at.markdown, *at.caption, *at.error, *at.warning]:
            # Markdown reaches the browser only with every tag character escaped.
            assert not re.search(r"(?<!\\)<(script|b>)", element.value), element.value
    assert "\\<script\\>alert\\(1\\)\\</script\\>" in raw_texts(open_page(at, "views/overview.py"))


def test_privacy_page_finds_the_identifiers_of_an_upload(app):
    from responsible_ai.datasets import sample_data_dir

    at = open_page(app, "views/data_and_model.py")
    _upload(at, "people.csv", (sample_data_dir() / "people.csv").read_bytes())
    at.radio(key="source").set_value("A column of the data").run()
    at.selectbox(key="prediction").set_value("loan_approved").run()
    at.selectbox(key="positive").set_value("yes").run()
    at.multiselect(key="sensitive").set_value(["sex"]).run()
    at.selectbox(key="policy_choice").set_value("eeoc-four-fifths.yaml").run()
    at.button(key="audit").click().run()
    assert not at.error, [e.value for e in at.error]
    at = open_page(at, "views/privacy.py")
    found = at.dataframe[0].value.set_index("column")
    assert {"email", "phone", "national_id"} <= set(found.index)
    at.multiselect[0].set_value(["zip_code", "birth_date", "sex"]).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["k (smallest group)"] == "1"  # birth date and zip code single people out
