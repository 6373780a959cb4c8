"""The stratified sample, the column mapping of pipelines, and bad input to ``explain``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from responsible_ai.errors import InputError
from responsible_ai.explain import explain
from responsible_ai.explain._columns import source_columns
from responsible_ai.explain._permutation import permutation_shap
from responsible_ai.explain._sample import stratified_sample
from responsible_ai.explain.explanation import MISSING_COLUMNS, NO_FEATURES, NOT_A_MODEL


def test_sample_represents_every_group_and_is_seeded():
    frame = pd.DataFrame({"g": ["big"] * 980 + ["tiny"] * 20, "h": ["x", "y"] * 500})
    first = stratified_sample(frame, ["g", "h"], 100, min_per_group=15, random_state=7)
    again = stratified_sample(frame, ["g", "h"], 100, min_per_group=15, random_state=7)
    other = stratified_sample(frame, ["g", "h"], 100, min_per_group=15, random_state=8)
    assert first.equals(again) and not first.equals(other)
    counts = frame.loc[first].groupby(["g", "h"]).size()
    assert counts.loc[("tiny", "x")] == 10 and counts.loc[("tiny", "y")] == 10
    assert counts.loc[("big", "x")] == 49


def test_sample_takes_every_row_of_small_data():
    frame = pd.DataFrame({"g": ["a", "b"] * 5})
    assert list(stratified_sample(frame, ["g"], 100)) == list(frame.index)


def test_source_columns_through_nested_pipelines_and_remainder():
    frame = pd.DataFrame(
        {
            "city": ["a", "b", None, "a"],
            "age": [20.0, 30.0, 40.0, 50.0],
            "age_band": ["x", "y", "x", "y"],
            "kept": [1.0, 2.0, 3.0, 4.0],
        }
    )
    prepare = ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
                ["city", "age_band"],
            ),
            ("num", StandardScaler(), ["age"]),
        ],
        remainder="passthrough",
    ).fit(frame)
    sources = source_columns(prepare, list(frame.columns))
    assert sources == ["city", "city", "age_band", "age_band", "age", "kept"]
    assert prepare.transform(frame).shape[1] == len(sources)


def test_source_columns_refuses_mixed_outputs():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    assert source_columns(make_pipeline(StandardScaler(), PCA(1)).fit(frame), ["a", "b"]) is None


def test_permutation_shap_is_exact_for_a_linear_function():
    rng = np.random.default_rng(0)
    rows, background = rng.normal(size=(5, 4)), rng.normal(size=(30, 4))
    weights = np.array([1.0, -2.0, 0.5, 3.0])
    values, base = permutation_shap(lambda x: x @ weights, rows, background, orders=4)
    np.testing.assert_allclose(values, (rows - background.mean(axis=0)) * weights, atol=1e-9)
    assert base == pytest.approx(float((background @ weights).mean()))


def _model_and_frame():
    frame = pd.DataFrame({"x": np.arange(40.0), "sex": ["f", "m"] * 20})
    frame["y"] = (frame["x"] > 20).astype(int)
    return LogisticRegression().fit(frame[["x"]], frame["y"]), frame


def test_bad_input_gives_one_clear_message():
    model, frame = _model_and_frame()
    with pytest.raises(InputError, match=NOT_A_MODEL.format(kind="NoneType")[:40]):
        explain(None, frame, ["sex"])
    with pytest.raises(InputError, match="data must be a pandas DataFrame; got list"):
        explain(model, [1, 2], ["sex"])
    message = MISSING_COLUMNS.format(role="sensitive", columns=["race"], available="")
    with pytest.raises(
        InputError, match=message.split("(")[0].replace("[", r"\[").replace("]", r"\]")
    ):
        explain(model, frame, ["race"])
    with pytest.raises(InputError, match=r"The 'rows' parameter of explain must be an int"):
        explain(model, frame, ["sex"], rows=0)
    with pytest.raises(InputError, match=r"The 'proxy_threshold' parameter of explain"):
        explain(model, frame, ["sex"], proxy_threshold=1.5)
    with pytest.raises(InputError, match="positive label 'maybe' is not one of the classes"):
        explain(model, frame, ["sex"], positive_label="maybe")


def test_features_are_required_when_the_model_has_no_names():
    _, frame = _model_and_frame()
    bare = LogisticRegression().fit(frame[["x"]].to_numpy(), frame["y"])
    with pytest.raises(InputError, match="cannot tell which columns the model takes"):
        explain(bare, frame, ["sex"])
    assert NO_FEATURES.startswith("cannot tell")
    exp = explain(bare, frame, ["sex"], features=["x"])
    assert list(exp.values.columns) == ["x"]


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(1, 6),
    orders=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_permutation_shap_is_additive_for_any_function(width, orders, seed):
    rng = np.random.default_rng(seed)
    rows, background = rng.normal(size=(3, width)), rng.normal(size=(7, width))

    def bumpy(x: np.ndarray) -> np.ndarray:
        return np.sin(x).prod(axis=1) + np.maximum(x, 0).sum(axis=1) ** 2

    values, base = permutation_shap(bumpy, rows, background, orders=orders, random_state=seed)
    np.testing.assert_allclose(values.sum(axis=1) + base, bumpy(rows), atol=1e-9)
