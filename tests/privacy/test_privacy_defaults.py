"""Privacy defaults that protect: quasi-identifiers from the policy, else found by name and values;
direct identifiers said before any k or risk figure; a yes/no `telephone` is no phone number."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai import audit
from responsible_ai.cli import main
from responsible_ai.data_files import read_table
from responsible_ai.privacy import detect_identifiers
from responsible_ai.privacy.quasi import (
    FROM_DATA,
    FROM_POLICY,
    direct_identifiers,
    find_quasi_identifiers,
    quasi_identifiers,
)
from responsible_ai.privacy.settings import PrivacySettings

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ROOT / "sample_data" / "people.csv"
GERMAN = ROOT / "sample_data" / "german_credit.csv"
PEOPLE_DIRECT = {"person_id", "full_name", "email", "phone", "national_id", "street_address"}


def rai(*args: str, cwd: Path) -> tuple[int, str, str]:
    """The CLI in-process, as in tests/cli/test_cli_check.py."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return read_table(PEOPLE)


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return read_table(GERMAN)


def test_people_direct_identifiers_and_quasi_identifiers(people: pd.DataFrame) -> None:
    found = detect_identifiers(people)
    assert set(direct_identifiers(found)["column"]) == PEOPLE_DIRECT
    assert "birth_date" not in set(direct_identifiers(found)["column"])  # only in combination
    assert quasi_identifiers(people) == (["birth_date", "zip_code", "sex"], FROM_DATA)


def test_german_telephone_yes_no_is_not_a_phone_number(german: pd.DataFrame) -> None:
    assert set(german["telephone"]) == {"yes", "no"}
    assert "telephone" not in set(detect_identifiers(german)["column"])
    columns, source = quasi_identifiers(german)
    assert source == FROM_DATA and {"age", "sex"} <= set(columns) and "telephone" not in columns


def test_a_telephone_column_of_numbers_is_still_a_phone(german: pd.DataFrame) -> None:
    numbers = [f"+49 30 {1000000 + i}" for i in range(len(german))]
    found = detect_identifiers(german.assign(telephone=numbers))
    assert found.set_index("column").loc["telephone", "kind"] == "phone"


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("email", ["yes", "no"] * 20),
        ("phone", ["true", "false", "false"] * 10),
        ("national_id", ["0", "1"] * 15),
    ],
)
def test_yes_no_values_are_no_identifier_whatever_the_name(column, values) -> None:
    assert detect_identifiers(pd.DataFrame({column: values})).empty


def test_the_policy_names_the_quasi_identifiers(people: pd.DataFrame) -> None:
    settings = PrivacySettings(quasi_identifiers=["zip_code", "sex"])
    assert quasi_identifiers(people, settings) == (["zip_code", "sex"], FROM_POLICY)


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("age", [f"free text {i}" for i in range(40)]),
        ("zip", ["yes please", "no thank you"] * 20),
        ("sex", [f"s{i}" for i in range(40)]),
        ("wage", list(range(40))),
    ],
)
def test_a_name_alone_does_not_make_a_quasi_identifier(column, values) -> None:
    assert find_quasi_identifiers(pd.DataFrame({column: values})) == []


def test_a_check_without_policy_quasi_identifiers_uses_those_found(tmp_path: Path) -> None:
    policy = {
        "name": "k only",
        "checks": [{"id": "k", "metric": "privacy.k_anonymity", "must": ">= 2"}],
    }
    finding = audit(PEOPLE, policy).checks[0]
    assert finding.status == "fail"  # birth date and ZIP code single people out
    assert finding.evidence["quasi_identifiers"] == ["birth_date", "zip_code", "sex"]
    assert finding.evidence["quasi_identifiers_from"] == FROM_DATA


def test_rai_check_says_direct_identifiers_first(root: Path, tmp_path: Path) -> None:
    code, out, _ = rai(
        "check", str(PEOPLE), "--policy", "policies/k-anonymous-release.yaml", cwd=root
    )
    lines = [line.split() for line in out.splitlines()[1:] if line.startswith("  ")]
    assert code == 1 and lines[0][:3] == ["FAIL", "critical", "no-direct-identifiers"]
    assert any(line[0] == "ERROR" for line in lines[1:])  # errors come after it
    code, _, _ = rai(
        "check", str(PEOPLE), "--policy", "policies/k-anonymous-release.yaml",
        "--output", str(tmp_path / "report.md"), cwd=root,
    )  # fmt: skip
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.index("no-direct-identifiers") < markdown.index("k-anonymity")
