"""Risk measures on small tables whose answers are worked out by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from responsible_ai.errors import InputError
from responsible_ai.privacy import anonymity_summary, information_loss, l_diversity, t_closeness
from responsible_ai.privacy.risk import NO_QUASI_IDENTIFIERS

FRAME = pd.DataFrame(
    {
        "zip": ["100", "100", "100", "101", "101", "102"],
        "sex": ["f", "f", "f", "m", "m", "m"],
        "ill": ["flu", "flu", "cold", "flu", "cancer", "flu"],
        "age": [30, 31, 35, 50, 52, 70],
    }
)


def test_summary_by_hand() -> None:
    summary = anonymity_summary(FRAME, ["zip", "sex"], sensitive=["ill"], risk_threshold=0.4)
    assert summary["k"] == 1
    assert summary["classes"] == 3 and summary["records"] == 6
    assert summary["unique_records"] == 1
    assert summary["unique_records_share"] == pytest.approx(1 / 6)
    assert summary["prosecutor_risk_max"] == 1.0
    assert summary["prosecutor_risk_avg"] == pytest.approx(3 / 6)
    assert summary["records_at_risk"] == 3  # the class of 2 (risk 0.5) and the unique record
    assert summary["l_diversity"]["ill"]["distinct"] == 1.0
    assert summary["class_sizes"] == {1: 1, 2: 1, 3: 1}


def test_l_diversity_distinct_and_entropy() -> None:
    two = FRAME.iloc[:5]
    result = l_diversity(two, ["zip"], "ill")
    assert result["distinct"] == 2.0
    # Class "100": flu, flu, cold -> exp(H) with p = (2/3, 1/3).
    import math

    expected = math.exp(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert result["entropy"] == pytest.approx(expected)


def test_t_closeness_equal_and_ordered_distance() -> None:
    # Overall ill: flu 4/6, cold 1/6, cancer 1/6; class 102 is all flu: TV = 1/3.
    assert t_closeness(FRAME, ["zip"], "ill") == pytest.approx(max(1 / 3, 1 / 2 * (2 / 6 * 2)))
    # Ordered distance on a numeric attribute: one class holds the lowest half, one the highest.
    frame = pd.DataFrame({"q": ["a", "a", "b", "b"], "v": [1, 2, 3, 4]})
    # Cumulative differences for class a: (1/2-1/4, 1-1/2, 1-3/4) -> (1/4 + 1/2 + 1/4) / 3.
    assert t_closeness(frame, ["q"], "v") == pytest.approx(1 / 3)


def test_information_loss_by_hand() -> None:
    released = FRAME.assign(zip="10*", age="30-52").iloc[:5]
    loss = information_loss(FRAME, released, ["zip", "age"])
    # zip: one class spans 2 of 3 values -> (2-1)/(3-1) = 0.5 for 5 records; age spans 30..52 of
    # 30..70 -> 22/40 for 5 records; the suppressed record costs 1 on both.
    expected = (5 * 0.5 + 1 + 5 * 22 / 40 + 1) / (6 * 2)
    assert loss["ncp"] == pytest.approx(expected)
    assert loss["discernibility"] == 5**2 + 1 * 6
    assert loss["suppressed"] == 1


def test_no_quasi_identifiers_is_an_input_error() -> None:
    with pytest.raises(InputError, match=re.escape(NO_QUASI_IDENTIFIERS)):
        anonymity_summary(FRAME, [])


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match="quasi-identifier column\\(s\\) zipcode"):
        anonymity_summary(FRAME, ["zipcode"])
