"""Perturbation stability and the counterfactual flip test, on models whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from robustness_helpers import security_policy, statuses
from sklearn.base import BaseEstimator, ClassifierMixin

from responsible_ai import audit
from responsible_ai.datasets import load_german_credit
from responsible_ai.robustness.perturbation import Perturber

STABLE = {"id": "stable", "metric": "robustness.perturbation_flip_rate", "must": "<= 0.05"}
GAP = {"id": "gap", "metric": "fairness.robustness_gap", "by": "sex", "must": "<= 0.05"}


class Rule(ClassifierMixin, BaseEstimator):
    """Approves by a fixed rule of the data: no fitting, so every flip rate is known."""

    def __init__(self, rule: str = "constant") -> None:
        self.rule = rule

    def fit(self, X: pd.DataFrame, y: pd.Series) -> Rule:
        self.classes_ = np.array(["bad", "good"])
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.rule == "constant":
            good = np.ones(len(X), dtype=bool)
        elif self.rule == "sex":
            good = (X["sex"] == "male").to_numpy()
        elif self.rule == "age":
            good = (X["age"] >= 25).to_numpy()
        else:  # amount: right at its median, so small noise flips about half the rows near it
            good = (X["credit_amount"] < 2320).to_numpy()
        return np.where(good, "good", "bad")


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return load_german_credit().data


def _fit(rule: str, frame: pd.DataFrame, columns: list[str]) -> Rule:
    return Rule(rule).fit(frame[columns], frame["credit"])


FEATURES = ["credit_amount", "duration", "age", "purpose", "savings"]


def test_a_constant_model_never_flips(german) -> None:
    report = audit(german, security_policy(STABLE, GAP), model=_fit("constant", german, FEATURES))
    assert statuses(report) == {"stable": "pass", "gap": "pass"}
    assert report.checks[0].value == 0
    assert report.checks[0].interval["high"] == 0


def test_a_threshold_on_a_noisy_feature_flips_and_says_how(german) -> None:
    report = audit(
        german, security_policy(STABLE, repeats=3), model=_fit("amount", german, FEATURES)
    )
    finding = report.checks[0]
    assert finding.status == "fail"
    assert 0.05 < finding.value < 0.5
    budget = finding.evidence["budget"]
    assert budget["repeats"] == 3 and budget["noise_scale"] == 0.1
    assert budget["numeric_features"] == ["age", "credit_amount", "duration"]
    assert set(finding.evidence["by_group"]) == {"sex", "age_group"}
    assert finding.interval["low"] < finding.value < finding.interval["high"]


def test_more_noise_flips_more(german) -> None:
    model = _fit("amount", german, FEATURES)
    small = audit(german, security_policy(STABLE, noise_scale=0.02), model=model)
    large = audit(german, security_policy(STABLE, noise_scale=0.5), model=model)
    assert small.checks[0].value < large.checks[0].value


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(0.01, 2.0),
    swap=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_perturbed_values_stay_realistic(scale: float, swap: float, seed: int) -> None:
    frame = load_german_credit().data.head(80)
    perturber = Perturber(frame, ["credit_amount", "age", "purpose"], scale, swap)
    out = perturber.perturb(frame, np.random.default_rng(seed))
    for column in ("credit_amount", "age"):
        assert out[column].between(frame[column].min(), frame[column].max()).all()
        assert out[column].dtype == frame[column].dtype
    assert set(out["purpose"]) <= set(frame["purpose"])
    assert out["sex"].equals(frame["sex"])  # not a perturbed feature


COUNTERFACTUAL = {"id": "cf", "metric": "fairness.counterfactual_flip_rate", "must": "<= 0.1"}


def test_a_model_deciding_on_sex_flips_every_decision(german) -> None:
    model = _fit("sex", german, [*FEATURES, "sex"])
    report = audit(german, security_policy({**COUNTERFACTUAL, "by": "sex"}), model=model)
    finding = report.checks[0]
    assert finding.status == "fail" and finding.value == 1.0
    assert finding.evidence["attribute"]["flip_rate"] == 1.0
    assert finding.evidence["attribute_in_model"] == ["sex"]


def test_a_blind_model_flips_only_through_the_proxy(german) -> None:
    # age decides, age_group is not a model input, and age is its proxy
    model = _fit("age", german, FEATURES)
    check = {**COUNTERFACTUAL, "by": "age_group"}
    both = audit(german, security_policy(check), model=model).checks[0]
    alone = audit(
        german, security_policy({**check, "params": {"change": "attribute"}}), model=model
    ).checks[0]
    assert alone.value == 0.0 and alone.status == "pass"
    assert "age" in both.evidence["proxies"]
    # a donor from the other group has that group's age: every decision flips
    assert both.value == 1.0 and both.status == "fail"
    groups = {row["group"] for row in both.evidence["attribute_and_proxies"]["by_group"]}
    assert groups == {"under 25", "25 and over"}


def test_unknown_counterfactual_parameter_is_refused() -> None:
    from responsible_ai.errors import PolicyError
    from responsible_ai.policy.loader import policy_from_dict

    bad = {**COUNTERFACTUAL, "params": {"change": "everything"}}
    with pytest.raises(PolicyError, match="change"):
        policy_from_dict(security_policy(bad))
