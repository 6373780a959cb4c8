"""Sensitive-attribute reliance and proxies: a planted proxy is flagged, a model without the
sensitive attribute has a direct share of 0, a model with it does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mutual_info_score

from responsible_ai.explain import explain
from responsible_ai.explain._association import (
    association,
    correlation_ratio,
    cramers_v,
    uncertainty_coefficient,
)


def _lending(rows: int = 1500, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows)
    frame = pd.DataFrame(
        {
            "sex": sex,
            # The planted proxy: the sensitive attribute plus noise.
            "shopping_score": (sex == "female") * 2.0 + rng.normal(0, 0.5, rows),
            "income": rng.normal(50, 15, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
        }
    )
    logit = 0.05 * (frame["income"] - 50) - 0.8 * frame["shopping_score"] + 0.8
    frame["approved"] = (logit + rng.logistic(size=rows) > 0).astype(int)
    return frame


def test_planted_proxy_is_flagged_and_independent_features_are_not():
    frame = _lending()
    features = ["shopping_score", "income"]
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    model.fit(frame[features], frame["approved"])
    exp = explain(model, frame, ["sex"], features=features, rows=300, proxy_threshold=0.5)
    proxies = exp.proxies.set_index("feature")
    assert proxies.loc["shopping_score", "is_proxy"]
    assert proxies.loc["shopping_score", "association"] > 0.8
    assert proxies.loc["shopping_score", "importance"] > 0
    assert not proxies.loc["income", "is_proxy"]
    assert proxies.loc["income", "association"] < 0.1


def test_model_without_the_sensitive_attribute_has_direct_share_zero():
    frame = _lending()
    features = ["shopping_score", "income"]
    model = LogisticRegression().fit(frame[features], frame["approved"])
    exp = explain(model, frame, ["sex"], features=features, rows=200)
    assert exp.sensitive_attribution_share == 0.0


def test_model_with_the_sensitive_attribute_has_a_positive_share():
    frame = _lending()
    frame["is_female"] = (frame["sex"] == "female").astype(int)
    frame["approved"] = np.where(frame["is_female"] == 1, frame["approved"], 1)
    features = ["is_female", "income"]
    model = LogisticRegression().fit(frame[features], frame["approved"])
    exp = explain(model, frame, ["is_female"], features=features, rows=200)
    assert 0.3 < exp.sensitive_attribution_share <= 1.0
    assert "is_female" not in set(exp.proxies["feature"])


def test_threshold_derived_group_is_found_through_the_uncertainty_coefficient():
    rng = np.random.default_rng(0)
    age = pd.Series(rng.integers(19, 75, 1000))
    group = pd.Series(np.where(age < 25, "under 25", "25 and over"))
    value, measure = association(age, group)
    assert measure == "uncertainty_coefficient"
    assert value > 0.9


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["x", "y"] * 200, ["x", "y"] * 200, 1.0),
        (["x", "y"] * 200, ["p"] * 200 + ["q"] * 200, 0.0),
    ],
)
def test_cramers_v_bounds(a, b, expected):
    assert cramers_v(pd.Series(a), pd.Series(b)) == pytest.approx(expected, abs=1e-6)


def test_correlation_ratio_of_a_mean_shift():
    groups = pd.Series(["a"] * 100 + ["b"] * 100)
    shifted = pd.Series([0.0] * 100 + [1.0] * 100)
    assert correlation_ratio(shifted, groups) == pytest.approx(1.0)
    assert correlation_ratio(pd.Series(np.tile([0.0, 1.0], 100)), groups) == pytest.approx(0.0)


def _uncertainty_with_pandas(numeric: pd.Series, categories: pd.Series, bins: int = 20) -> float:
    """The definition: ranks cut by ``pd.qcut``, scikit-learn's mutual information."""
    values = pd.to_numeric(numeric, errors="coerce")
    keep = values.notna()
    labels = categories[keep].astype(object).fillna("(missing)").astype(str).to_numpy()
    if keep.sum() < 2 or len(set(labels)) < 2:
        return 0.0
    binned = pd.qcut(values[keep].rank(method="first"), q=bins, labels=False, duplicates="drop")
    coarse = values[keep].to_numpy() if values.nunique() <= bins else binned.to_numpy()
    shares = pd.Series(labels).value_counts(normalize=True).to_numpy()
    entropy = float(-(shares * np.log(shares)).sum())
    return float(min(1.0, mutual_info_score(labels, coarse) / entropy))


def _eta_with_pandas(numeric: pd.Series, categories: pd.Series) -> float:
    measured = pd.to_numeric(numeric, errors="coerce")
    keep = measured.notna()
    values = measured[keep].to_numpy(dtype=float)
    if len(values) < 2 or ((values - values.mean()) ** 2).sum() == 0:
        return 0.0
    frame = pd.DataFrame({"v": values, "g": categories[keep].astype(object).fillna("(none)")})
    stats = frame.groupby("g")["v"].agg(["mean", "count"])
    between = (stats["count"] * (stats["mean"] - values.mean()) ** 2).sum()
    return float(min(1.0, np.sqrt(between / ((values - values.mean()) ** 2).sum())))


@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-40, 40), st.floats(-1e6, 1e6)), max_size=120),
    seed=st.integers(0, 2**16),
)
def test_the_numpy_measures_equal_their_pandas_and_sklearn_definitions(values, seed) -> None:
    rng = np.random.default_rng(seed)
    numeric = pd.Series([np.nan if v is None else float(v) for v in values], dtype=float)
    groups = pd.Series(rng.choice(["a", "b", "c", None], len(values)), dtype=object)
    assert uncertainty_coefficient(numeric, groups) == pytest.approx(
        _uncertainty_with_pandas(numeric, groups), abs=1e-12
    )
    assert correlation_ratio(numeric, groups) == pytest.approx(
        _eta_with_pandas(numeric, groups), abs=1e-9
    )
