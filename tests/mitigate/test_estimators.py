"""Every mitigator fits the model's pipeline, saves as .skops and loads through the trusted
loader with the same predictions; deterministic ones predict the same on every run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsible_ai.mitigate._base import NOT_BINARY
from responsible_ai.mitigate.methods import METHODS
from responsible_ai.models import load_model

_BY = ["sex", "age_group"]


def _build(
    method: str, model: Any, setting: float | None, constraint: str | None, seed: int = 0
) -> Any:
    return METHODS[method].build(model, _BY, constraint, setting, "good", seed, True)


def _cases() -> list[tuple[str, float | None, str | None]]:
    return [
        ("reweighing", 1.0, None),
        ("correlation_remover", 0.5, None),
        ("exponentiated_gradient", 0.2, "true_positive_rate_parity"),
        ("grid_search", 0.5, "demographic_parity"),
        ("group_thresholds", 1.0, "true_positive_rate_parity"),
        ("threshold_optimizer", 0.05, "true_positive_rate_parity"),
        ("threshold_optimizer", None, "equalized_odds"),
    ]


@pytest.mark.parametrize(("method", "setting", "constraint"), _cases())
def test_saves_as_skops_and_loads_through_the_trusted_loader(
    method: str,
    setting: float | None,
    constraint: str | None,
    german: Any,
    german_model: Any,
    tmp_path: Any,
) -> None:
    frame = german.data.sample(400, random_state=0)  # small: this is about saving, not fitting
    columns = [*german.features, *_BY]
    model = _build(method, german_model, setting, constraint).fit(frame[columns], frame["credit"])
    path = tmp_path / "mitigated.skops"
    path.write_bytes(sio.dumps(model))
    loaded = load_model(path)  # no trust_model: every type is on the allowlist
    inputs = frame[list(model.feature_names_in_)]
    np.testing.assert_array_equal(loaded.predict(inputs), model.predict(inputs))
    np.testing.assert_allclose(loaded.predict_proba(inputs), model.predict_proba(inputs))
    assert set(np.unique(model.predict(inputs))) <= {"good", "bad"}
    uses = METHODS[method].uses_sensitive_at_decision
    assert bool(set(_BY) & set(model.feature_names_in_)) == uses


@pytest.mark.parametrize(
    "method", ["reweighing", "exponentiated_gradient", "grid_search", "group_thresholds"]
)
def test_mitigation_moves_the_constrained_gap(method: str, german: Any, german_model: Any) -> None:
    frame = german.data
    columns = [*german.features, "age_group"]
    constraint = None if method == "reweighing" else "true_positive_rate_parity"
    setting = 0.05 if method == "exponentiated_gradient" else 1.0
    model = METHODS[method].build(german_model, ["age_group"], constraint, setting, "good", 0, True)
    model.fit(frame[columns], frame["credit"])

    def tpr_gap(decisions: np.ndarray) -> float:
        good = frame["credit"].to_numpy() == "good"
        rates = [
            np.mean(decisions[good & (frame["age_group"].to_numpy() == g)] == "good")
            for g in frame["age_group"].unique()
        ]
        return float(max(rates) - min(rates))

    before = tpr_gap(german_model.predict(frame[german.features]))
    after = tpr_gap(model.predict(frame[list(model.feature_names_in_)]))
    assert after < before


_DETERMINISTIC = [
    ("reweighing", [0.5, 1.0], None),
    ("exponentiated_gradient", [0.1, 0.2], "true_positive_rate_parity"),
    ("grid_search", [0.1, 0.9], "demographic_parity"),
    ("group_thresholds", [0.25, 1.0], "demographic_parity"),
]


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    case=st.sampled_from(_DETERMINISTIC),
    pick=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_a_deterministic_candidate_predicts_the_same_on_every_run(
    case: Any, pick: int, seed: int, german: Any, german_model: Any
) -> None:
    method, values, constraint = case
    frame = german.data.sample(n=200, random_state=seed)
    columns = [*german.features, *_BY]
    setting = values[pick % len(values)]
    runs = []
    for _ in range(2):
        model = _build(method, german_model, setting, constraint, seed=seed)
        model.fit(frame[columns], frame["credit"])
        runs.append(model.predict(german.data[list(model.feature_names_in_)]))
    np.testing.assert_array_equal(runs[0], runs[1])
    # and in any row order: a deterministic model decides each row on its own
    shuffled = german.data.sample(frac=1.0, random_state=seed + 1)
    again = model.predict(shuffled[list(model.feature_names_in_)])
    expected = pd.Series(runs[1], index=german.data.index).loc[shuffled.index].to_numpy()
    np.testing.assert_array_equal(again, expected)


def test_a_non_binary_target_is_refused(german: Any, german_model: Any) -> None:
    frame = german.data.assign(credit=np.resize(["a", "b", "c"], len(german.data)))
    model = _build("reweighing", german_model, 1.0, None)
    with pytest.raises(ValueError, match=NOT_BINARY.split("{")[0]):
        model.fit(frame[[*german.features, *_BY]], frame["credit"])


def test_the_sensitive_columns_must_be_there(german: Any, german_model: Any) -> None:
    model = _build("group_thresholds", german_model, 1.0, "demographic_parity")
    with pytest.raises(ValueError, match="needs the sensitive column"):
        model.fit(german.data[german.features], german.data["credit"])
