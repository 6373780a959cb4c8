"""Explanation checks in an audit: the German lending policy with its reference model."""

from __future__ import annotations

import pytest

from responsible_ai import audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.explain import explanation as explanation_module
from responsible_ai.reference_models import train_reference_model

POLICY = "policies/german-credit-lending.yaml"
EXPLAIN_CHECKS = {
    "no-direct-reliance": "pass",
    "proxy-for-sex": "pass",
    "proxy-for-age-group": "warn",
    "attribution-gap-age": "pass",
    "explanation-faithful": "pass",
}


@pytest.fixture(scope="module")
def report_and_calls():
    model, german = train_reference_model("german_credit")
    calls = []
    original = explanation_module.Explanation.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    explanation_module.Explanation.__init__ = counting
    try:
        report = audit(german.data, POLICY, model=model)
    finally:
        explanation_module.Explanation.__init__ = original
    return report, calls


def test_lending_policy_explanation_checks(report_and_calls):
    report, _ = report_and_calls
    found = {f.id: f for f in report.checks if f.metric.startswith("explain.")}
    assert {key: f.status for key, f in found.items()} == EXPLAIN_CHECKS


def test_shap_values_are_computed_once_per_run(report_and_calls):
    _, calls = report_and_calls
    assert len(calls) == 1


def test_evidence_names_features_in_original_columns(report_and_calls):
    report, _ = report_and_calls
    features = set(load_german_credit().features)
    found = {f.id: f for f in report.checks}
    proxy = found["proxy-for-age-group"].evidence
    assert proxy["feature"] == "age"
    assert proxy["proxies"] == ["age"]
    assert proxy["measure"] == "uncertainty_coefficient"
    assert proxy["importance"] > 0
    share = found["no-direct-reliance"].evidence
    assert {r["feature"] for r in share["global_importance"]} == features
    assert "LogisticRegression is linear" in share["explainer_reason"]
    gap = found["attribution-gap-age"].evidence
    assert gap["feature"] in features
    assert gap["gap_ci_low"] <= gap["gap_ci_high"]
    assert set(gap["group_mean_shap"]) == {"under 25", "25 and over"}
    faithful = found["explanation-faithful"].evidence
    assert faithful["reasons_shown"]
    assert {r["feature"] for r in faithful["reasons_shown"]} <= features


def test_prediction_column_audit_gives_error_findings_that_ask_for_a_model():
    german = load_german_credit()
    frame = german.data.assign(approved=german.data["credit"])
    report = audit(frame, POLICY, prediction="approved")
    found = [f for f in report.checks if f.metric.startswith("explain.")]
    assert found and all(f.status == "error" for f in found)
    assert all("needs a model (--model)" in f.message for f in found)
    assert report.verdict == "fail"
