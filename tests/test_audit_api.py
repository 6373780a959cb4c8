"""The notebook API: one call, a report that renders, serializes and is reproducible."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from responsible_ai import Report, audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.errors import UntrustedModelError
from responsible_ai.models import load_model


@pytest.fixture(scope="module")
def german_report() -> Report:
    from responsible_ai.reference_models import train_reference_model

    model, german = train_reference_model("german_credit")
    return audit(german.data, "policies/german-credit-lending.yaml", model=model)


def test_report_faces(german_report: Report) -> None:
    assert german_report.passed is (german_report.verdict == "pass")
    frame = german_report.to_dataframe()
    assert list(frame.columns[:4]) == ["id", "metric", "by", "status"]
    assert len(frame) == len(german_report.checks)
    html = german_report._repr_html_()
    assert "german-credit-lending" in html and "<table>" in html
    again = Report.from_json(german_report.to_json())
    assert again.to_dict() == german_report.to_dict()


def test_model_in_memory_is_fingerprinted(german_report: Report) -> None:
    model = german_report.inputs["model"]
    assert model["path"] is None and len(model["sha256"]) == 64
    assert model["type"] == "sklearn.pipeline.Pipeline"
    assert "sex" not in model["features"]


def test_same_inputs_and_seed_give_the_same_report(german_report: Report) -> None:
    from responsible_ai.reference_models import train_reference_model

    model, german = train_reference_model("german_credit")
    again = audit(german.data, "policies/german-credit-lending.yaml", model=model)

    def stable(report: Report) -> dict:
        data = report.to_dict()
        for key in ("created_at", "duration_seconds"):
            data.pop(key)
        return data

    assert json.dumps(stable(again)) == json.dumps(stable(german_report))


def test_values_match_fairlearn_on_german_credit(german_report: Report) -> None:
    from fairlearn.metrics import demographic_parity_ratio, equalized_odds_difference

    from responsible_ai.reference_models import train_reference_model

    model, german = train_reference_model("german_credit")
    y_true = german.data["credit"] == "good"
    y_pred = pd.Series(model.predict(german.data[german.features]) == "good")
    by_id = {f.id: f.value for f in german_report.checks}
    assert by_id["four-fifths-rule[sex]"] == pytest.approx(
        demographic_parity_ratio(y_true, y_pred, sensitive_features=german.data["sex"]), abs=1e-12
    )
    assert by_id["equalized-odds-sex"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=german.data["sex"]), abs=1e-12
    )


def test_skops_with_foreign_types_needs_trust(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "model.skops"
    sio.dump(make_pipeline(FunctionTransformer(func=json.dumps), LogisticRegression()), path)
    with pytest.raises(
        UntrustedModelError, match=r"holds types this tool does not trust: json\.dumps;"
    ):
        load_model(path)
    assert load_model(path, trust_model=True) is not None


def test_policy_as_dict_and_prediction_arrays() -> None:
    german = load_german_credit()
    policy = {
        "name": "inline",
        "data": {"positive_label": "good", "sensitive": ["sex"]},
        "checks": [{"id": "di", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    report = audit(german.data, policy, prediction=german.data["credit"].to_numpy())
    assert [f.id for f in report.checks] == ["di[sex]"]
    assert report.inputs["policy"] is None
