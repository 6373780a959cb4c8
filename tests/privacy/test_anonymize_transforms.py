"""Drop, mask, generalize and suppress: what a data steward sees in the output."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from responsible_ai.errors import InputError
from responsible_ai.privacy import ColumnDropper, Generalizer, Masker, RecordSuppressor
from responsible_ai.privacy.generalize import GENERALIZE_ONE_RULE
from responsible_ai.privacy.transforms import MISSING_COLUMNS, SUPPRESSION_OVER_BUDGET

PEOPLE = pd.DataFrame(
    {
        "phone": ["+1 212-555-8431", "12", None],
        "birth": ["1993-06-25", "2006-05-06", "1980-01-31"],
        "zip": ["02134", "10080", "10081"],
        "age": [23, 37, 70],
        "status": ["Divorced", "Never-married", "Married-civ-spouse"],
    }
)


def test_mask_keeps_the_last_characters_and_never_a_whole_short_value() -> None:
    out = Masker(["phone"], keep_last=4).fit_transform(PEOPLE)
    assert out["phone"].tolist()[:2] == ["***********8431", "**"]
    assert pd.isna(out["phone"][2])


def test_drop() -> None:
    out = ColumnDropper(["phone", "birth"]).fit_transform(PEOPLE)
    assert list(out.columns) == ["zip", "age", "status"]


@pytest.mark.parametrize(
    ("params", "column", "expected"),
    [
        ({"bin_width": 10}, "age", ["[20, 30)", "[30, 40)", "[70, 80)"]),
        ({"bins": [0, 30, 65, 120]}, "age", ["[0, 30)", "[30, 65)", "[65, 120)"]),
        ({"date": "year"}, "birth", ["1993", "2006", "1980"]),
        ({"date": "month"}, "birth", ["1993-06", "2006-05", "1980-01"]),
        ({"prefix": 3}, "zip", ["021**", "100**", "100**"]),
        (
            {
                "hierarchy": {
                    "Married": ["Married-civ-spouse"],
                    "Single": ["Divorced", "Never-married"],
                }
            },
            "status",
            ["Single", "Single", "Married"],
        ),
    ],
)
def test_generalize(params: dict, column: str, expected: list[str]) -> None:
    out = Generalizer(column, **params).fit_transform(PEOPLE)
    assert out[column].tolist() == expected
    assert out.drop(columns=column).equals(PEOPLE.drop(columns=column))


def test_generalize_refuses_values_it_cannot_place() -> None:
    with pytest.raises(InputError, match="in no group of the hierarchy"):
        Generalizer("status", hierarchy={"Single": ["Divorced"]}).fit_transform(PEOPLE)
    with pytest.raises(InputError, match="fall outside the bins"):
        Generalizer("age", bins=[0, 50]).fit_transform(PEOPLE)
    with pytest.raises(InputError, match="are not dates"):
        Generalizer("zip", date="year").fit_transform(PEOPLE.assign(zip=["x", "y", "z"]))
    with pytest.raises(InputError, match=re.escape(GENERALIZE_ONE_RULE.format(got="none"))):
        Generalizer("age").fit(PEOPLE)


def test_missing_column_is_named() -> None:
    message = MISSING_COLUMNS.format(
        action="drop", columns="email", available="phone, birth, zip, age, status"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        ColumnDropper(["email"]).fit(PEOPLE)


def test_suppression_within_and_over_budget() -> None:
    frame = pd.DataFrame({"zip": ["1", "1", "2", "3", "3", "3"]})
    suppressor = RecordSuppressor(["zip"], k=2, max_suppression=0.2)
    out = suppressor.fit_transform(frame)
    assert suppressor.suppressed_ == 1
    assert out.index.tolist() == [0, 1, 3, 4, 5]
    message = SUPPRESSION_OVER_BUDGET.format(k=3, qis="zip", count=3, share=0.5, budget=0.2)
    with pytest.raises(InputError, match=re.escape(message)):
        RecordSuppressor(["zip"], k=3, max_suppression=0.2).fit(frame)
