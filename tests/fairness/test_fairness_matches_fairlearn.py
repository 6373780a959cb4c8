"""The engine's numbers equal fairlearn's on German credit with the reference model (1e-12)."""

from __future__ import annotations

import math
from functools import cache

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, precision_score, roc_auc_score

from responsible_ai.auditing import audit
from responsible_ai.fairness.groups import count_groups
from responsible_ai.fairness.rates import compare, group_rate
from responsible_ai.reference_models import train_reference_model

TOLERANCE = 1e-12
BYS = [["sex"], ["age_group"], ["sex", "age_group"]]


@cache
def german() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    model, dataset = train_reference_model("german_credit")
    frame = dataset.data
    y_true = (frame["credit"] == "good").to_numpy()
    y_pred = model.predict(frame[dataset.features]) == "good"
    score = model.predict_proba(frame[dataset.features])[:, list(model.classes_).index("good")]
    weight = np.random.default_rng(7).uniform(0.2, 3.0, len(frame))
    return frame, y_true, y_pred, score, weight


def _npv(y_true, y_pred, sample_weight=None):
    return precision_score(~y_true, ~y_pred, sample_weight=sample_weight, zero_division=0)


FAIRLEARN_GROUP_METRICS = {
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
    "accuracy": accuracy_score,
    "precision": lambda t, p, sample_weight=None: precision_score(
        t, p, sample_weight=sample_weight, zero_division=0
    ),
    "negative_predictive_value": _npv,
    "balanced_accuracy": balanced_accuracy_score,
}


def _sensitive(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame | pd.Series:
    return frame[by[0]] if len(by) == 1 else frame[by]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("by", BYS, ids=["sex", "age", "sex_x_age"])
def test_group_metrics_equal_metricframe(by: list[str], weighted: bool) -> None:
    frame, y_true, y_pred, _, weight = german()
    w = weight if weighted else None
    counts = count_groups(frame, by, y_pred, y_true, w)
    params = {"sample_weight": w} if weighted else None
    mf = flm.MetricFrame(
        metrics=FAIRLEARN_GROUP_METRICS,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=_sensitive(frame, by),
        sample_params=dict.fromkeys(FAIRLEARN_GROUP_METRICS, params) if weighted else None,
    )
    by_group = mf.by_group
    for position, group in enumerate(counts.groups):
        key = group[0] if len(by) == 1 else group
        for name in FAIRLEARN_GROUP_METRICS:
            ours = group_rate(counts.cells, name)[position]
            assert not math.isnan(ours), (name, group)
            assert ours == pytest.approx(by_group.loc[key, name], abs=TOLERANCE), (name, group)
    for name in FAIRLEARN_GROUP_METRICS:
        overall = group_rate(counts.overall().cells, name)[0]
        assert overall == pytest.approx(mf.overall[name], abs=TOLERANCE), name


DERIVED = [
    ("fairness.demographic_parity_difference", flm.demographic_parity_difference, {}),
    ("fairness.demographic_parity_ratio", flm.demographic_parity_ratio, {}),
    ("fairness.selection_rate_ratio", flm.demographic_parity_ratio, {}),
    ("fairness.equalized_odds_difference", flm.equalized_odds_difference, {}),
    ("fairness.equalized_odds_ratio", flm.equalized_odds_ratio, {}),
    ("fairness.equal_opportunity_difference", flm.equal_opportunity_difference, {}),
    ("fairness.equal_opportunity_ratio", flm.equal_opportunity_ratio, {}),
    ("fairness.false_positive_rate_ratio", flm.false_positive_rate_ratio, {}),
    ("fairness.true_negative_rate_difference", flm.true_negative_rate_difference, {}),
    ("fairness.accuracy_difference", flm.accuracy_score_difference, {}),
    ("fairness.accuracy_ratio", flm.accuracy_score_ratio, {}),
    ("fairness.accuracy_group_min", flm.accuracy_score_group_min, {}),
    ("fairness.balanced_accuracy_group_min", flm.balanced_accuracy_score_group_min, {}),
    ("fairness.demographic_parity_difference", flm.demographic_parity_difference, "to_overall"),
    ("fairness.demographic_parity_ratio", flm.demographic_parity_ratio, "to_overall"),
    ("fairness.equalized_odds_difference", flm.equalized_odds_difference, "to_overall"),
    ("fairness.equalized_odds_ratio", flm.equalized_odds_ratio, "to_overall"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("by", BYS, ids=["sex", "age", "sex_x_age"])
def test_audit_values_equal_fairlearn_functions(by: list[str], weighted: bool) -> None:
    frame, y_true, y_pred, _, weight = german()
    data = frame.assign(approved=np.where(y_pred, "good", "bad"), w=weight)
    checks = []
    for index, (metric, _, method) in enumerate(DERIVED):
        params = {"n_boot": 0}
        if method == "to_overall":
            params["method"] = "to_overall"
        checks.append(
            {"id": f"c{index}", "metric": metric, "by": by, "must": ">= 0", "params": params}
        )
    policy = {
        "name": "fairlearn-equality",
        "data": {
            "target": "credit",
            "prediction": "approved",
            "positive_label": "good",
            "weight": "w" if weighted else None,
        },
        "checks": checks,
    }
    report = audit(data, policy)
    sensitive = _sensitive(frame, by)
    for finding, (metric, function, method) in zip(report.checks, DERIVED, strict=True):
        kwargs = {"sample_weight": weight} if weighted else {}
        if method == "to_overall":
            kwargs["method"] = "to_overall"
        expected = function(y_true, y_pred, sensitive_features=sensitive, **kwargs)
        assert finding.value is not None, finding.message
        assert finding.value == pytest.approx(expected, abs=TOLERANCE), (metric, method)


@pytest.mark.parametrize("by", BYS, ids=["sex", "age", "sex_x_age"])
def test_score_metrics_equal_scikit_learn(by: list[str]) -> None:
    frame, y_true, _, score, _ = german()
    data = frame.assign(p_good=score)
    policy = {
        "name": "scores",
        "data": {"target": "credit", "score": "p_good", "positive_label": "good"},
        "checks": [
            {"id": "auc", "metric": "fairness.roc_auc_group_min", "by": by, "must": ">= 0"},
            {"id": "mean", "metric": "fairness.mean_score_difference", "by": by, "must": ">= 0"},
        ],
    }
    report = audit(data, policy)
    groups = report.checks[0].evidence["groups"]
    sensitive = _sensitive(frame, by)
    auc = flm.MetricFrame(
        metrics={"roc_auc": roc_auc_score, "mean": flm.mean_prediction},
        y_true=y_true,
        y_pred=score,
        sensitive_features=sensitive,
    )
    for row in groups:
        key = tuple(row["values"][c] for c in by)
        key = key[0] if len(by) == 1 else key
        assert row["roc_auc"] == pytest.approx(auc.by_group.loc[key, "roc_auc"], abs=TOLERANCE)
    assert report.checks[0].value == pytest.approx(auc.group_min()["roc_auc"], abs=TOLERANCE)
    assert report.checks[1].value == pytest.approx(auc.difference()["mean"], abs=TOLERANCE)


def test_compare_matches_fairlearn_to_overall_ratio_when_a_group_is_zero() -> None:
    values = np.array([0.0, 0.5, 0.25])
    assert compare(values, "ratio", "to_overall", 0.4) == 0.0
    assert compare(values, "difference", "to_overall", 0.4) == pytest.approx(0.4)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_regression_metrics_equal_fairlearn_and_scikit_learn(weighted: bool) -> None:
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    frame, _, _, score, weight = german()
    # Predict the credit amount from the score, to have a regression to audit.
    data = frame.assign(predicted_amount=2000 + 3000 * score, w=weight)
    metrics = ("mean_prediction", "mean_absolute_error", "root_mean_squared_error")
    params = {"prediction": "predicted_amount", "target": "credit_amount"}
    policy = {
        "name": "regression",
        "data": {"weight": "w" if weighted else None},
        "checks": [
            {
                "id": m,
                "metric": f"fairness.{m}_group_max",
                "by": ["sex", "age_group"],
                "must": ">= 0",
                "params": params,
            }
            for m in metrics
        ],
    }
    report = audit(data, policy)
    kwargs = {"sample_weight": weight} if weighted else {}

    def rmse(y_true, y_pred, sample_weight=None):
        return math.sqrt(mean_squared_error(y_true, y_pred, sample_weight=sample_weight))

    functions = {
        "mean_prediction": flm.mean_prediction,
        "mean_absolute_error": mean_absolute_error,
        "root_mean_squared_error": rmse,
    }
    mf = flm.MetricFrame(
        metrics=functions,
        y_true=data["credit_amount"],
        y_pred=data["predicted_amount"],
        sensitive_features=data[["sex", "age_group"]],
        sample_params={m: kwargs for m in metrics} if weighted else None,
    )
    for finding, name in zip(report.checks, metrics, strict=True):
        assert finding.status == "pass", finding.message
        assert finding.value == pytest.approx(mf.group_max()[name], rel=1e-12)
        for row in finding.evidence["groups"]:
            key = (row["values"]["sex"], row["values"]["age_group"])
            assert row[name] == pytest.approx(mf.by_group.loc[key, name], rel=1e-12)
