"""Evasion within a query budget, and the poisoning screen of the training data."""

from __future__ import annotations

import numpy as np
import pytest
from robustness_helpers import security_policy, statuses

from responsible_ai import audit
from responsible_ai.robustness.evasion import NO_NUMERIC, attack_iterations

EVADE = {"id": "evade", "metric": "robustness.evasion_success_rate", "must": "<= 0.5"}
MEDIAN = {"id": "median", "metric": "robustness.evasion_median_perturbation", "must": ">= 0.5"}
POISON = {"id": "poison", "metric": "robustness.poisoning_suspect_share", "must": "<= 0.05"}


@pytest.fixture(scope="module")
def evasion_report(german_split):
    policy = security_policy(EVADE, MEDIAN, evasion_rows=6, evasion_queries=120)
    return audit(german_split["held_out"], policy, model=german_split["smooth"])


def test_evasion_states_its_budget_and_stays_within_it(evasion_report) -> None:
    finding = evasion_report.checks[0]
    assert finding.status in ("pass", "fail")
    evidence = finding.evidence
    # about 6 rows: each of the 4 groups of sex x age group gets at least one
    assert 6 <= evidence["budget"]["rows"] <= 6 + 4
    assert evidence["budget"]["queries_per_row"] == 120
    assert evidence["queries_used"]["max"] <= 120
    assert "not that the model is secure" in evidence["note"]
    assert evidence["attack"] == "hopskipjump"
    curve = [point["success_rate"] for point in evidence["success_by_perturbation"]]
    assert curve == sorted(curve)  # a larger perturbation budget never finds fewer
    assert finding.interval["low"] <= finding.value <= finding.interval["high"]


def test_evasion_is_reproducible(german_split, evasion_report) -> None:
    policy = security_policy(EVADE, MEDIAN, evasion_rows=6, evasion_queries=120)
    again = audit(german_split["held_out"], policy, model=german_split["smooth"])
    assert [f.to_dict() for f in again.checks] == [f.to_dict() for f in evasion_report.checks]


def test_more_queries_give_more_iterations() -> None:
    assert attack_iterations(100) < attack_iterations(300) < attack_iterations(1000)


def test_boundary_attack_runs(german_split) -> None:
    policy = security_policy(EVADE, evasion_rows=3, evasion_queries=60, evasion_attack="boundary")
    finding = audit(german_split["held_out"], policy, model=german_split["smooth"]).checks[0]
    assert finding.status in ("pass", "fail"), finding.message
    assert finding.evidence["attack"] == "boundary"


def test_a_model_without_numeric_inputs_cannot_be_evaded_is_an_error(german_split) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    train = german_split["train"]
    columns = ["purpose", "savings", "housing"]
    model = Pipeline(
        [
            (
                "prepare",
                ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), columns)]),
            ),
            ("model", LogisticRegression()),
        ]
    ).fit(train[columns], train["credit"])
    report = audit(german_split["held_out"], security_policy(EVADE), model=model)
    assert statuses(report) == {"evade": "error"}
    assert NO_NUMERIC in report.checks[0].message


def test_poisoning_screen_lists_flipped_labels_first(german_split) -> None:
    train = german_split["train"].copy()
    clean = audit(
        german_split["held_out"], security_policy(POISON), model=german_split["smooth"], train=train
    ).checks[0]
    # flip the labels of the 20 records the model is surest about: poisoning in plain sight
    score = german_split["smooth"].predict_proba(train[german_split["german"].features])[:, 1]
    sure = np.argsort(-np.abs(score - 0.5))[:20]
    train.loc[sure, "credit"] = np.where(train.loc[sure, "credit"] == "good", "bad", "good")
    poisoned = audit(
        german_split["held_out"], security_policy(POISON), model=german_split["smooth"], train=train
    ).checks[0]
    assert clean.status == poisoned.status == "pass"  # a share of 3%: a screen, not an alarm
    listed = [row["training_row"] for row in poisoned.evidence["most_suspicious"]]
    assert len(set(listed) & set(sure.tolist())) >= 12  # most suspects listed are the flipped
    before = {row["training_row"] for row in clean.evidence["most_suspicious"]}
    assert not before & set(sure.tolist())  # and none of them was a suspect before
    assert poisoned.evidence["screened_rows"] == len(train)
    assert poisoned.evidence["threshold"] == 0.1
