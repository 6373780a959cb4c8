"""On random data the engine equals fairlearn within 1e-9 wherever a rate is defined.

Where a rate is undefined (a group without positives has no TPR), fairlearn returns 0
(scikit-learn's zero-division default); the engine reports it as undefined, keeps it out of
the disparity and says so in the evidence. Those groups are kept out of the comparison here
and asserted separately.
"""

from __future__ import annotations

import math
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score

from responsible_ai.auditing import audit
from responsible_ai.fairness.groups import count_groups
from responsible_ai.fairness.rates import compare, group_rate

TOLERANCE = 1e-9
METRICS = {
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
    "accuracy": accuracy_score,
}


@st.composite
def audit_data(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 120))
    n_columns = draw(st.integers(1, 2))
    columns = {
        f"a{c}": draw(
            st.lists(
                st.sampled_from(["x", "y", "z"][: draw(st.integers(1, 3))]), min_size=n, max_size=n
            )
        )
        for c in range(n_columns)
    }
    y_true = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    weighted = draw(st.booleans())
    weight = None
    if weighted:
        weight = np.array(
            draw(st.lists(st.floats(0.01, 50, allow_nan=False), min_size=n, max_size=n))
        )
    return {
        "frame": pd.DataFrame(columns),
        "by": list(columns),
        "y_true": y_true,
        "y_pred": y_pred,
        "weight": weight,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audit_data())
def test_group_rates_equal_metricframe_where_defined(case: dict) -> None:
    frame, by, y_true, y_pred, weight = (
        case[k] for k in ("frame", "by", "y_true", "y_pred", "weight")
    )
    counts = count_groups(frame, by, y_pred, y_true, weight)
    sensitive = frame[by[0]] if len(by) == 1 else frame[by]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = flm.MetricFrame(
            metrics=METRICS,
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=sensitive,
            sample_params=None
            if weight is None
            else {key: {"sample_weight": weight} for key in METRICS},
        )
    for name in METRICS:
        ours = group_rate(counts.cells, name)
        for position, group in enumerate(counts.groups):
            theirs = mf.by_group.loc[group[0] if len(by) == 1 else group, name]
            if math.isnan(ours[position]):
                # undefined here; fairlearn (scikit-learn's zero_division) says 0
                spec_den = {
                    "true_positive_rate": ("tp", "fn"),
                    "false_negative_rate": ("tp", "fn"),
                    "false_positive_rate": ("fp", "tn"),
                    "true_negative_rate": ("fp", "tn"),
                }
                assert name in spec_den
                assert sum(counts.cells[c][position] for c in spec_den[name]) == 0
                assert theirs == 0
            else:
                assert ours[position] == pytest.approx(theirs, abs=TOLERANCE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audit_data())
def test_disparities_equal_fairlearn_when_every_group_is_defined(case: dict) -> None:
    frame, by, y_true, y_pred, weight = (
        case[k] for k in ("frame", "by", "y_true", "y_pred", "weight")
    )
    counts = count_groups(frame, by, y_pred, y_true, weight)
    sensitive = frame[by[0]] if len(by) == 1 else frame[by]
    kwargs = {} if weight is None else {"sample_weight": weight}
    tpr = group_rate(counts.cells, "true_positive_rate")
    fpr = group_rate(counts.cells, "false_positive_rate")
    selection = group_rate(counts.cells, "selection_rate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_dp = flm.demographic_parity_difference(
            y_true, y_pred, sensitive_features=sensitive, **kwargs
        )
        assert compare(selection, "difference") == pytest.approx(expected_dp, abs=TOLERANCE)
        if not (np.isnan(tpr).any() or np.isnan(fpr).any()):
            expected = flm.equalized_odds_difference(
                y_true, y_pred, sensitive_features=sensitive, **kwargs
            )
            ours = max(compare(tpr, "difference"), compare(fpr, "difference"))
            assert ours == pytest.approx(expected, abs=TOLERANCE)


def test_undefined_rate_is_reported_and_left_out_of_the_disparity() -> None:
    # Group "b" has no actual positives: its TPR is undefined (fairlearn would say 0).
    frame = pd.DataFrame(
        {
            "group": ["a"] * 4 + ["b"] * 3 + ["c"] * 4,
            "truth": [1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0],
            "decision": [1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0],
        }
    )
    policy = {
        "name": "undefined",
        "data": {"target": "truth", "prediction": "decision", "sensitive": ["group"]},
        "checks": [{"id": "eo", "metric": "fairness.equal_opportunity_difference", "must": "<= 1"}],
    }
    finding = audit(frame, policy).checks[0]
    assert finding.status == "pass"
    assert finding.value == pytest.approx(1.0 - 0.5)
    assert any("TPR of b is undefined" in note for note in finding.evidence["undefined"])
    b_row = next(row for row in finding.evidence["groups"] if row["group"] == "b")
    assert b_row["true_positive_rate"] is None
    fairlearn_value = flm.equal_opportunity_difference(
        frame["truth"], frame["decision"], sensitive_features=frame["group"]
    )
    assert fairlearn_value == pytest.approx(1.0)  # fairlearn counts b's TPR as 0
