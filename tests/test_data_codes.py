"""Codes stay as the user wrote them: ZIP codes and ids with leading zeros are read as text by
every reader (the CLI, audit() on a path, the app's uploads, rai anonymize), with a data note."""

from __future__ import annotations

import doctest
import importlib
import json
import re
import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsible_ai import audit
from responsible_ai.data_files import (
    FIXED_WIDTH,
    KEPT_AS_TEXT,
    LEADING_ZEROS,
    code_columns,
    read_table,
    text_code_notes,
)
from responsible_ai.errors import InputError
from responsible_ai.privacy.pipeline import read_data
from responsible_ai.uploads import read_uploaded_table

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = ROOT / "sample_data" / "people.csv"
EEOC = ROOT / "policies" / "eeoc-four-fifths.yaml"


def _zip_note(example: str) -> str:
    return KEPT_AS_TEXT.format(column="zip_code", why=LEADING_ZEROS, example=example)


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_people_zip_codes_keep_their_leading_zeros() -> None:
    frame = read_table(PEOPLE)
    raw = pd.read_csv(PEOPLE, dtype=str)["zip_code"]
    assert raw.str.startswith("0").any()  # the sample holds such codes
    assert frame["zip_code"].tolist() == raw.tolist()
    assert text_code_notes(frame) == [_zip_note(raw[raw.str.startswith("0")].iloc[0])]
    assert pd.api.types.is_integer_dtype(frame["annual_income"])  # a quantity stays a number


def test_leading_zeros_and_fixed_width_codes_but_not_quantities(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "id,zip,age,year,amount,flag\n007,10080,31,1990,12.5,1\n123,10072,47,2001,7,0\n",
    )
    frame = read_table(path)
    assert frame["id"].tolist() == ["007", "123"]
    assert frame["zip"].tolist() == ["10080", "10072"]
    for column in ("age", "year", "flag"):
        assert pd.api.types.is_integer_dtype(frame[column]), column
    assert pd.api.types.is_float_dtype(frame["amount"])
    assert text_code_notes(frame) == [
        KEPT_AS_TEXT.format(column="id", why=LEADING_ZEROS, example="007"),
        KEPT_AS_TEXT.format(column="zip", why=FIXED_WIDTH.format(width=5), example="10080"),
    ]


def test_a_tsv_follows_the_same_rule(tmp_path: Path) -> None:
    frame = read_table(_csv(tmp_path, "zip_code\tn\n02134\t1\n10080\t2\n", "data.tsv"))
    assert frame["zip_code"].tolist() == ["02134", "10080"]


@pytest.mark.parametrize(
    "text",
    [
        'zip_code,n\n"02134",1\n"10080",2\n',  # quoted
        "zip_code,n\r\n02134,1\r\n10080,2\r\n",  # Windows line ends
        "n,zip_code\n1,10080\n2,02134\n",  # last field of a line
    ],
)
def test_leading_zeros_are_found_wherever_the_field_sits(tmp_path: Path, text: str) -> None:
    assert "02134" in read_table(_csv(tmp_path, text))["zip_code"].tolist()


def test_large_and_infinite_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = read_table(_csv(tmp_path, "a,b\n10000,1e300\ninf,2e300\n"))
    assert pd.api.types.is_float_dtype(frame["a"]) and pd.api.types.is_float_dtype(frame["b"])


def test_missing_cells_stay_missing_in_a_code_column(tmp_path: Path) -> None:
    frame = read_table(_csv(tmp_path, "zip_code,n\n02134,1\n,2\n10080,3\n"))
    assert frame["zip_code"].iloc[0] == "02134" and pd.isna(frame["zip_code"].iloc[1])


def test_parquet_keeps_its_own_types(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pd.DataFrame({"zip": [2134, 10080], "s": ["007", "1"]}).to_parquet(path)
    frame = read_table(path)
    assert frame["zip"].tolist() == [2134, 10080] and frame["s"].tolist() == ["007", "1"]
    assert text_code_notes(frame) == []


def test_every_reader_applies_the_same_rule(tmp_path: Path) -> None:
    content = PEOPLE.read_bytes()
    cli = read_table(PEOPLE)
    upload = read_uploaded_table("people.csv", content)
    release = read_data(PEOPLE)
    assert upload["zip_code"].tolist() == cli["zip_code"].tolist()
    assert release["zip_code"].tolist() == cli["zip_code"].tolist()
    assert text_code_notes(upload) == text_code_notes(cli)


def test_the_audit_report_says_which_columns_were_kept_as_text() -> None:
    report = audit(
        PEOPLE, EEOC, prediction="loan_approved", sensitive=["sex"], positive_label="yes"
    )
    zips = pd.read_csv(PEOPLE, dtype=str)["zip_code"]
    assert _zip_note(zips[zips.str.startswith("0")].iloc[0]) in report.data_notes
    assert "kept as text" in json.dumps(report.to_dict())


def test_a_frame_given_in_memory_has_no_code_note() -> None:
    report = audit(
        read_table(PEOPLE).astype({"zip_code": "int64"}),
        EEOC,
        prediction="loan_approved",
        sensitive=["sex"],
        positive_label="yes",
    )
    assert not [note for note in report.data_notes if "kept as text" in note]


def test_code_columns_names_only_columns_that_would_become_numbers() -> None:
    text = pd.DataFrame({"a": ["01", "x"], "b": ["0.5", "1.5"], "c": ["01", "1.5"]})
    assert list(code_columns(text)) == ["c"]


_cell = st.one_of(
    st.from_regex(r"0[0-9]{1,6}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{0,6}", fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + " .-_", max_size=8),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=8))
def test_read_table_never_crashes_and_never_drops_a_leading_zero(
    tmp_path: Path, rows: list[tuple[str, str]]
) -> None:
    path = _csv(tmp_path, "\n".join(["a,b", *(f"{x},{y}" for x, y in rows)]) + "\n")
    try:
        frame = read_table(path)
    except InputError:
        return  # a one-line refusal (e.g. no data rows) is allowed; a crash is not
    assert len(frame) == len(rows)
    for index, row in enumerate(rows):
        for position, column in enumerate(["a", "b"]):
            if re.fullmatch(r"0[0-9]+", row[position]):
                assert frame[column].iloc[index] == row[position]


@pytest.mark.parametrize("name", ["responsible_ai.data_files", "responsible_ai.alignment"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
