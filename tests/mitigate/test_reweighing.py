"""Reweighing: weighted, label and group are independent; the weights reach the classifier."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from responsible_ai.mitigate import ReweighingClassifier, reweighing_weights
from responsible_ai.mitigate.reweighing import STRENGTH_RANGE


@st.composite
def _groups_and_labels(draw: Any) -> tuple[pd.DataFrame, np.ndarray]:
    n = draw(st.integers(4, 200))
    a = draw(st.lists(st.sampled_from(["f", "m", "x"]), min_size=n, max_size=n))
    b = draw(st.lists(st.sampled_from(["young", "old"]), min_size=n, max_size=n))
    labels = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return pd.DataFrame({"a": a, "b": b}), labels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_groups_and_labels(), st.sampled_from([["a"], ["b"], ["a", "b"]]))
def test_weighted_label_is_independent_of_group(data: Any, by: list[str]) -> None:
    frame, labels = data
    weights = reweighing_weights(frame, by, labels)
    key = frame[by].astype(str).agg("|".join, axis=1).to_numpy()
    # Kamiran-Calders needs both labels in every group (no weight can fill an empty cell)
    assume(all(0 < labels[key == g].sum() < (key == g).sum() for g in np.unique(key)))
    total = weights.sum()
    positive_share = weights[labels].sum() / total
    # the favourable share overall equals the unweighted one ...
    assert positive_share == pytest.approx(labels.mean(), abs=1e-12)
    for group in np.unique(key):
        rows = key == group
        # ... and every group's weighted favourable share equals it, with the group's size kept
        assert weights[rows & labels].sum() / weights[rows].sum() == pytest.approx(
            labels.mean(), abs=1e-12
        )
        assert weights[rows].sum() == pytest.approx(rows.sum(), abs=1e-9)


def test_the_weights_are_kamiran_calders() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "a", "b"]})
    weights = reweighing_weights(frame, ["g"], np.array([True, True, False, False]))
    # P(a)=3/4, P(+)=1/2, P(a,+)=2/4: w = (3/4 * 1/2) / (2/4) = 0.75
    assert weights.tolist() == pytest.approx([0.75, 0.75, 1.5, 0.5])
    assert reweighing_weights(frame, ["g"], np.array([True, True, False, False]), 0.0).tolist() == [
        1,
        1,
        1,
        1,
    ]


def test_the_weights_reach_the_pipeline_classifier(german: Any, german_model: Any) -> None:
    frame = german.data
    model = ReweighingClassifier(german_model, sensitive=["age_group"], positive_label="good")
    model.fit(frame[[*german.features, "age_group"]], frame["credit"])
    by_hand = clone(german_model).fit(
        frame[german.features],
        (frame["credit"] == "good").astype(int),
        model__sample_weight=reweighing_weights(frame, ["age_group"], frame["credit"] == "good"),
    )
    np.testing.assert_allclose(
        model.estimator_.named_steps["model"].coef_, by_hand.named_steps["model"].coef_
    )
    # the fitted model predicts from the features alone and keeps the original labels
    assert list(model.feature_names_in_) == german.features
    assert set(model.predict(frame[german.features])) <= {"good", "bad"}
    # no routing request is left in the fitted pipeline (nothing extra in the saved file)
    assert "_metadata_request" not in vars(model.estimator_.named_steps["model"])


def test_a_bad_strength_is_refused(german: Any, german_model: Any) -> None:
    frame = german.data
    model = ReweighingClassifier(german_model, sensitive=["sex"], strength=2.0)
    with pytest.raises(ValueError, match=re.escape(STRENGTH_RANGE.format(got=2.0))):
        model.fit(frame[[*german.features, "sex"]], frame["credit"])
