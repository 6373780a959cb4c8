"""Mondrian k-anonymization, checked by recounting the released classes independently."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai.errors import InputError
from responsible_ai.privacy import MondrianAnonymizer
from responsible_ai.privacy.mondrian import SUPPRESSION_OVER_BUDGET, TOO_FEW_RECORDS

HIERARCHY = {"colour": {"warm": ["red", "orange"], "cold": ["blue", "green"]}}


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    ages = draw(st.lists(st.integers(0, 90), min_size=n, max_size=n))
    colours = draw(
        st.lists(st.sampled_from(["red", "orange", "blue", "green", None]), min_size=n, max_size=n)
    )
    ill = draw(st.lists(st.sampled_from(["flu", "cold", "none"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {"age": ages, "colour": colours, "ill": ill, "row": np.arange(n)},
        index=pd.RangeIndex(100, 100 + n),
    )


def _covers(label: str, value: object, column: str) -> bool:
    """Does the released label truthfully cover the original value?"""
    if column == "age":
        low, _, high = label.partition("-")
        return float(low) <= float(value) <= float(high or low)  # type: ignore[arg-type]
    original = "(missing)" if value is None or value != value else str(value)
    members = HIERARCHY["colour"].get(label, label.split("|"))
    return original in members


def _recount(released: pd.DataFrame, columns: list[str]) -> Counter[tuple[str, ...]]:
    return Counter(tuple(str(v) for v in row) for row in released[columns].itertuples(index=False))


@settings(max_examples=40, deadline=None)
@given(table=tables(), k=st.integers(1, 6), use_l=st.booleans())
def test_every_class_has_k_records_and_labels_tell_the_truth(
    table: pd.DataFrame, k: int, use_l: bool
) -> None:
    qis = ["age", "colour"]
    model = MondrianAnonymizer(
        qis, k=k, l=2 if use_l else None, sensitive_attributes=["ill"], hierarchies=HIERARCHY
    )
    enough_values = table["ill"].nunique() >= 2 or not use_l
    if len(table) < k or not enough_values:
        with pytest.raises(InputError, match="cannot reach"):
            model.fit_transform(table)
        return
    released = model.fit_transform(table)
    counts = _recount(released, qis)
    assert min(counts.values()) >= k
    assert len(counts) == model.classes_
    # Rows change only by the reported suppression (none here: no numeric value is missing).
    assert len(released) == len(table) - model.suppressed_ == len(table)
    assert released.index.equals(table.index)
    pd.testing.assert_series_equal(released["ill"], table["ill"])
    for column in qis:
        for label, value in zip(released[column], table[column], strict=True):
            assert _covers(label, value, column)
    if use_l:
        groups = released.groupby(qis, dropna=False)["ill"].nunique()
        assert groups.min() >= 2
    assert 0.0 <= model.information_loss_ <= 1.0


def test_transform_routes_the_training_data_to_the_same_classes() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"age": rng.integers(18, 90, 300), "zip": rng.choice(["a", "b"], 300)})
    model = MondrianAnonymizer(["age", "zip"], k=7)
    pd.testing.assert_frame_equal(model.fit_transform(table), model.transform(table))


def test_missing_numbers_are_suppressed_within_the_budget() -> None:
    table = pd.DataFrame({"age": [20.0, 21.0, None, 30.0, 31.0, 32.0], "s": list("abcdef")})
    model = MondrianAnonymizer(["age"], k=2, max_suppression=0.2)
    released = model.fit_transform(table)
    assert model.suppressed_ == 1 and len(released) == 5
    assert 2 not in released.index
    message = SUPPRESSION_OVER_BUDGET.format(count=1, share=1 / 6, budget=0.1)
    with pytest.raises(InputError, match=re.escape(message)):
        MondrianAnonymizer(["age"], k=2, max_suppression=0.1).fit(table)


def test_t_closeness_is_enforced() -> None:
    rng = np.random.default_rng(1)
    ages = rng.integers(18, 90, 400)
    table = pd.DataFrame({"age": ages, "ill": np.where(ages > 60, "yes", "no")})
    released = MondrianAnonymizer(["age"], k=5, t=0.3, sensitive_attributes=["ill"]).fit_transform(
        table
    )
    from responsible_ai.privacy import t_closeness

    assert t_closeness(released, ["age"], "ill") <= 0.3
    loose = MondrianAnonymizer(["age"], k=5).fit_transform(table)
    assert t_closeness(loose, ["age"], "ill") > 0.3


def test_too_few_records() -> None:
    message = TOO_FEW_RECORDS.format(what="k=5", n=3)
    with pytest.raises(InputError, match=re.escape(message)):
        MondrianAnonymizer(["a"], k=5).fit(pd.DataFrame({"a": [1, 2, 3]}))


@pytest.mark.parametrize(
    ("params", "name"), [({"k": 0}, "k"), ({"t": 2.0}, "t"), ({"max_suppression": -1}, "max")]
)
def test_parameter_errors_read_like_scikit_learn(params: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"The '{name}.*' parameter of MondrianAnonymizer must be"):
        MondrianAnonymizer(**params).fit(pd.DataFrame({"a": [1, 2, 3]}))


def test_entropy_l_diversity_is_enforced() -> None:
    from responsible_ai.privacy import l_diversity

    rng = np.random.default_rng(2)
    ages = rng.integers(18, 90, 600)
    ill = np.where(ages < 40, rng.choice(["a", "b", "c"], 600), rng.choice(["a", "b"], 600))
    table = pd.DataFrame({"age": ages, "ill": ill})
    model = MondrianAnonymizer(["age"], k=5, l=2, l_diversity="entropy",
                               sensitive_attributes=["ill"])  # fmt: skip
    released = model.fit_transform(table)
    assert l_diversity(released, ["age"], "ill")["entropy"] >= 2 - 1e-9
    distinct_only = MondrianAnonymizer(["age"], k=5, l=2, sensitive_attributes=["ill"])
    assert l_diversity(distinct_only.fit_transform(table), ["age"], "ill")["entropy"] < 2
