"""Additivity on every explainer path: a row's SHAP values sum to its output minus the expected
value, in the explainer's output space, computed here independently from the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from responsible_ai.explain import explain

FEATURES = ["income", "debt", "region", "tenure"]


def _data(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 15, rows),
            "debt": rng.normal(10, 5, rows),
            "region": rng.choice(["north", "south", "east"], rows),
            "tenure": rng.integers(0, 30, rows),
            "sex": rng.choice(["female", "male"], rows),
        }
    )
    score = 0.08 * (frame["income"] - 50) - 0.2 * (frame["debt"] - 10) + (frame["region"] == "east")
    frame["approved"] = np.where(score + rng.normal(0, 1, rows) > 0, "yes", "no")
    return frame


def _encoded(estimator: object) -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), ["region"]),
            ("numeric", StandardScaler(), ["income", "debt", "tenure"]),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", estimator)])


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


NUMERIC = ["income", "debt", "tenure"]
# (name, model builder, feature columns, expected explainer, model output in its space)
CASES = [
    (
        "random-forest",
        lambda: RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0),
        NUMERIC,
        "TreeExplainer",
        lambda m, x: m.predict_proba(x)[:, 1],
    ),
    (
        "hist-gradient-boosting-pipeline",
        lambda: _encoded(HistGradientBoostingClassifier(max_iter=30, random_state=0)),
        FEATURES,
        "TreeExplainer",
        lambda m, x: m.decision_function(x),
    ),
    (
        "gradient-boosting-pipeline",
        lambda: _encoded(GradientBoostingClassifier(n_estimators=20, random_state=0)),
        FEATURES,
        "TreeExplainer",
        lambda m, x: m.decision_function(x),
    ),
    (
        "logistic-regression",
        lambda: make_pipeline(StandardScaler(), LogisticRegression()),
        NUMERIC,
        "LinearExplainer",
        lambda m, x: m.decision_function(x),
    ),
    (
        "logistic-regression-pipeline",
        lambda: _encoded(LogisticRegression()),
        FEATURES,
        "LinearExplainer",
        lambda m, x: m.decision_function(x),
    ),
    (
        "naive-bayes-pipeline",
        lambda: _encoded(GaussianNB()),
        FEATURES,
        "PermutationExplainer",
        lambda m, x: m.predict_proba(x)[:, 1],
    ),
    (
        "pca-pipeline-falls-back",
        lambda: make_pipeline(StandardScaler(), PCA(2), LogisticRegression()),
        NUMERIC,
        "PermutationExplainer",
        lambda m, x: m.predict_proba(x)[:, 1],
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "features", "explainer", "output"), CASES, ids=[c[0] for c in CASES]
)
def test_shap_values_add_up_to_model_output(name, build, features, explainer, output):
    frame = _data()
    model = build().fit(frame[features], frame["approved"])
    rows = 12 if explainer == "PermutationExplainer" else 80
    exp = explain(model, frame, ["sex"], features=features, rows=rows, background_size=40)
    assert exp.explainer_name == explainer
    assert list(exp.values.columns) == features
    expected = output(model, frame.loc[exp.values.index, features])
    total = exp.values.sum(axis=1).to_numpy() + exp.expected_value
    np.testing.assert_allclose(total, expected, atol=1e-6)
    assert exp.additivity_error < 1e-6


def test_regressor_explains_its_prediction():
    frame = _data()
    frame["amount"] = 3 * frame["income"] + frame["debt"]
    for model in (Ridge(), RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0)):
        model.fit(frame[NUMERIC], frame["amount"])
        exp = explain(model, frame, ["sex"], features=NUMERIC, rows=60)
        assert exp.output_space == "prediction"
        total = exp.values.sum(axis=1).to_numpy() + exp.expected_value
        np.testing.assert_allclose(total, model.predict(exp.data), atol=1e-6)


@pytest.mark.parametrize(
    "build",
    [
        lambda: _encoded(LogisticRegression()),
        lambda: _encoded(HistGradientBoostingClassifier(max_iter=20, random_state=0)),
    ],
    ids=["linear", "tree"],
)
def test_first_class_as_positive_label_flips_the_sign(build):
    frame = _data()
    model = build().fit(frame[FEATURES], frame["approved"])
    yes = explain(model, frame, ["sex"], features=FEATURES, rows=50, positive_label="yes")
    no = explain(model, frame, ["sex"], features=FEATURES, rows=50, positive_label="no")
    assert no.output_space == "log-odds of 'no'"
    np.testing.assert_allclose(no.values.to_numpy(), -yes.values.to_numpy(), atol=1e-9)
    total = no.values.sum(axis=1).to_numpy() + no.expected_value
    np.testing.assert_allclose(total, -model.decision_function(no.data), atol=1e-6)


def test_lightgbm_when_installed():
    lightgbm = pytest.importorskip("lightgbm")
    frame = _data()
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0)
    model.fit(frame[NUMERIC], frame["approved"])
    exp = explain(model, frame, ["sex"], features=NUMERIC, rows=60)
    assert exp.explainer_name == "TreeExplainer"
    raw = model.predict(exp.data, raw_score=True)
    np.testing.assert_allclose(exp.values.sum(axis=1) + exp.expected_value, raw, atol=1e-6)


def test_german_reference_model_in_original_columns():
    from responsible_ai.reference_models import train_reference_model

    model, german = train_reference_model("german_credit")
    exp = explain(model, german.data, ["sex", "age_group"], rows=200)
    assert set(exp.global_importance["feature"]) == set(german.features)
    total = exp.values.sum(axis=1) + exp.expected_value
    np.testing.assert_allclose(total, model.decision_function(exp.data), atol=1e-9)
