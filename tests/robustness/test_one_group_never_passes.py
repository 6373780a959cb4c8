"""Data with one group of a sensitive attribute: the counterfactual and proxy checks of that
attribute have nothing to compare, so they are errors, never a pass of 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from responsible_ai.auditing import audit
from responsible_ai.errors import InputError
from responsible_ai.reference_models import train_reference_model

ROOT = Path(__file__).resolve().parents[2]
LENDING = ROOT / "policies" / "german-credit-lending.yaml"


@pytest.fixture(scope="module")
def german():
    model, dataset = train_reference_model("german_credit")
    return model, dataset.data


def test_one_group_of_sex_is_an_error_for_its_counterfactual_and_proxy_checks(german):
    model, frame = german
    report = audit(frame.assign(sex="female"), LENDING, model=model)
    found = {f.id: f for f in report.checks}
    for check in ("counterfactual-decision[sex]", "proxy-for-sex"):
        assert found[check].status == "error", (check, found[check].status)
        assert "only one group of sex in the data" in found[check].message
    # the other attribute still has its groups
    assert found["counterfactual-decision[age_group]"].status in ("pass", "fail")


def test_a_model_that_cannot_predict_says_so_in_one_line(german):
    model, frame = german
    with pytest.raises(InputError) as refused:
        audit(frame.assign(duration=np.nan), LENDING, model=model)
    assert "\n" not in str(refused.value)
    assert str(refused.value).startswith("the model could not predict on the data")


def test_two_groups_still_measure(german):
    model, frame = german
    report = audit(frame, LENDING, model=model)
    statuses = {f.id: f.status for f in report.checks}
    assert statuses["counterfactual-decision[sex]"] == "pass"
    assert statuses["proxy-for-sex"] == "pass"
