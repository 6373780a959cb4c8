"""Identifier detection: the people dataset's direct identifiers are found, Adult has none."""

from __future__ import annotations

import pandas as pd
import pytest

from responsible_ai.datasets import load_adult, load_people
from responsible_ai.errors import InputError
from responsible_ai.privacy import detect_identifiers
from responsible_ai.privacy.detect import DETECTION_COLUMNS, NOT_A_FRAME, iban_valid, luhn_valid


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return load_people().data


def test_every_direct_identifier_of_people_is_found(people: pd.DataFrame) -> None:
    found = detect_identifiers(people).set_index("column")
    expected = {
        "email": "email",
        "phone": "phone",
        "national_id": "national_id",
        "full_name": "person_name",
        "street_address": "street_address",
        "birth_date": "date_of_birth",
        "person_id": "record_id",
    }
    assert found.loc[list(expected), "kind"].to_dict() == expected
    assert (found.loc[list(expected), "confidence"] >= 0.5).all()
    assert list(found.columns) == DETECTION_COLUMNS[1:]
    for column in ("sex", "ethnicity", "health_condition", "annual_income", "zip_code"):
        assert column not in found.index


def test_adult_has_no_direct_identifiers() -> None:
    assert detect_identifiers(load_adult().data).empty


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009"], "payment_card"),
        (["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"], "iban"),
        (["192.168.0.1", "10.0.0.255", "2001:db8::1"], "ip_address"),
        (["ann@example.org", "b.c+d@mail.example.com"], "email"),
        (["AB123456C", "JG 10 34 56 B"], "national_id"),
    ],
)
def test_kinds_are_recognized_from_values_alone(values: list[str], kind: str) -> None:
    found = detect_identifiers(pd.DataFrame({"field_7": values}))
    assert found["kind"].tolist() == [kind]
    assert found["matched"][0] == len(values)


def test_checksums_reject_near_misses() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")
    found = detect_identifiers(pd.DataFrame({"x": ["4111 1111 1111 1112"] * 5}))
    assert "payment_card" not in found["kind"].tolist()


def test_a_suggestive_name_alone_is_only_a_hint() -> None:
    found = detect_identifiers(pd.DataFrame({"email": ["n/a", "unknown", "none"]}))
    assert found["kind"].tolist() == ["email"]
    assert found["confidence"][0] < 0.5


def test_sampling_is_reproducible_and_bounded(people: pd.DataFrame) -> None:
    first = detect_identifiers(people, sample_size=50, random_state=3)
    again = detect_identifiers(people, sample_size=50, random_state=3)
    pd.testing.assert_frame_equal(first, again)
    assert (first["sampled"] <= 50).all()


@pytest.mark.parametrize("bad", [[1, 2], "people.csv"])
def test_not_a_frame_is_an_input_error(bad: object) -> None:
    with pytest.raises(InputError, match=NOT_A_FRAME.format(type=type(bad).__name__)):
        detect_identifiers(bad)  # type: ignore[arg-type]


def test_sample_size_must_be_positive(people: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="sample_size must be a positive integer"):
        detect_identifiers(people, sample_size=0)


def test_a_few_identifiers_left_among_pseudonyms_are_caught() -> None:
    values = ["0123456789abcdef0123456789abcdef"] * 9 + ["ann@example.org"]
    found = detect_identifiers(pd.DataFrame({"contact": values}))
    assert found["kind"].tolist() == ["email"]
    assert found["confidence"][0] >= 0.5


def test_generalized_year_ranges_are_not_phone_numbers() -> None:
    frame = pd.DataFrame({"born": ["1950-1959", "1960-1969"] * 5, "tel": ["555-1234"] * 10})
    found = detect_identifiers(frame).set_index("column")
    assert found.loc["tel", "kind"] == "phone" and found.loc["tel", "confidence"] >= 0.5
    assert found.loc["born", "kind"] != "phone" and found.loc["born", "confidence"] < 0.5
