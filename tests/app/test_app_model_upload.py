"""A model uploaded as .skops is audited; pickles load only when the server trusts them."""

from __future__ import annotations

import io

import joblib
import pandas as pd
import pytest
from app_testing import open_page, texts

from responsible_ai.datasets import load_german_credit
from responsible_ai.errors import UntrustedModelError
from responsible_ai.reference_models import train_reference_model
from responsible_ai.store import ReviewStore
from responsible_ai.uploads import load_uploaded_model, read_uploaded_table


@pytest.fixture(scope="module")
def german_model():
    model, _ = train_reference_model("german_credit")
    return model


def test_skops_model_upload_is_audited(app, german_model):
    import skops.io as sio

    at = open_page(app, "views/data_and_model.py")
    data = load_german_credit().data.to_csv(index=False).encode()
    at.file_uploader(key="data_file").set_value(("german.csv", data, "text/csv")).run()
    at.file_uploader(key="model_file").set_value(
        ("german.skops", sio.dumps(german_model), "application/octet-stream")
    ).run()
    assert not at.error, [e.value for e in at.error]
    assert "Loaded Pipeline from german.skops" in texts(at)
    at.selectbox(key="target").set_value("credit").run()
    at.selectbox(key="positive").set_value("good").run()
    at.multiselect(key="sensitive").set_value(["sex", "age_group"]).run()
    at.selectbox(key="policy_choice").set_value("german-credit-lending.yaml").run()
    at.button(key="audit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Run 2: verdict FAIL" in texts(at)
    # The same model, data and policy as the sample: the same findings, check by check.
    store = ReviewStore()
    sample, uploaded = store.report(1), store.report(2)
    assert [(f.id, f.status, f.value) for f in uploaded.checks] == [
        (f.id, f.status, f.value) for f in sample.checks
    ]
    assert uploaded.inputs["model"]["type"] == "sklearn.pipeline.Pipeline"


def test_parquet_upload_reads():
    frame = pd.DataFrame({"sex": ["f", "m"], "decision": [1, 0]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    back = read_uploaded_table("d.parquet", buffer.getvalue())
    assert back.equals(frame)


def test_pickle_loads_only_when_trusted(german_model, monkeypatch):
    buffer = io.BytesIO()
    joblib.dump(german_model, buffer)
    monkeypatch.delenv("RAI_TRUST_UPLOADED_MODELS", raising=False)
    with pytest.raises(UntrustedModelError, match=r"model\.joblib is a joblib file"):
        load_uploaded_model("model.joblib", buffer.getvalue())
    monkeypatch.setenv("RAI_TRUST_UPLOADED_MODELS", "1")
    loaded = load_uploaded_model("model.joblib", buffer.getvalue())
    assert type(loaded).__name__ == "Pipeline"
