"""XGBoost explained by its own ``pred_contribs``: the values of shap's ``TreeExplainer`` (which
makes the same call), close to shap's own C++ TreeSHAP, and the audit says how it ran."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explain_parallel import _lightgbm_data

from responsible_ai.explain import explain

xgboost = pytest.importorskip("xgboost")


def _model(classes: int) -> tuple[object, pd.DataFrame]:
    frame, target = _lightgbm_data(classes)
    kind = xgboost.XGBRegressor if classes == 0 else xgboost.XGBClassifier
    model = kind(n_estimators=30, max_depth=4, random_state=0, n_jobs=1)
    return model.fit(frame, target), frame


@pytest.mark.parametrize("classes", [2, 3, 0], ids=["binary", "multiclass", "regression"])
def test_xgboost_contributions_equal_shaps_tree_explainer(classes: int) -> None:
    import shap

    from responsible_ai.explain._native import XGBoostContributions, native_contributions

    model, frame = _model(classes)
    native = native_contributions(model, n_jobs=2)
    assert isinstance(native, XGBoostContributions)
    ours = native.shap_values(frame.to_numpy())
    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    theirs = np.asarray(explainer.shap_values(frame.to_numpy(), check_additivity=False))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(native.expected_value, explainer.expected_value, atol=1e-12)
    # shap's own C++ TreeSHAP on the parsed trees: XGBoost sums in float32, so close, not equal.
    explainer.model.model_type = "internal"
    internal = np.asarray(explainer.shap_values(frame.to_numpy(), check_additivity=False))
    np.testing.assert_allclose(ours, internal, rtol=0, atol=1e-5)


def test_a_linear_xgboost_booster_is_left_to_shap() -> None:
    from responsible_ai.explain._native import native_contributions

    frame, target = _lightgbm_data(0)
    model = xgboost.XGBRegressor(booster="gblinear", n_estimators=5).fit(frame, target)
    assert native_contributions(model, n_jobs=1) is None
    assert native_contributions(xgboost.XGBRegressor(), n_jobs=1) is None  # not fitted


def test_an_audit_of_an_xgboost_model_says_how_it_was_explained() -> None:
    frame, target = _lightgbm_data(2)
    features = list(frame.columns)
    frame["sex"] = np.where(frame["x3"] > 0, "female", "male")
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=4, n_jobs=1)
    model.fit(frame[features], target)
    exp = explain(model, frame, ["sex"], features=features, n_jobs=2, bootstrap=20)
    assert exp.compute_details == ["TreeSHAP by XGBoost's own pred_contribs, 2 thread(s)"]
    assert exp.explainer_name == "TreeExplainer"
    assert exp.additivity_error < 1e-5  # float32 sums inside XGBoost
