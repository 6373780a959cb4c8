"""`rai anonymize` end to end on the shipped sample data and policies."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.datasets import load_people
from responsible_ai.privacy.keys import NO_KEY

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ROOT / "sample_data" / "people.csv"
ADULT = ROOT / "sample_data" / "adult.csv"
GDPR = ROOT / "policies" / "gdpr-pseudonymisation.yaml"
K_RELEASE = ROOT / "policies" / "k-anonymous-release.yaml"
KEY = "38a860d7178daee4ec825303540ab38bca19d72ecab6335b8e05c4d5ecb4f09a"  # a random key
DIRECT = ["full_name", "email", "phone", "national_id", "street_address", "person_id"]


def test_gdpr_release_of_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAI_PSEUDONYMIZATION_KEY", KEY)
    out, report_file = tmp_path / "people.csv", tmp_path / "report.json"
    code = main(["anonymize", str(PEOPLE), "--policy", str(GDPR), "--output", str(out),
                 "--report", str(report_file)])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    original = load_people().data
    cells = set(released.to_numpy().ravel().tolist())
    for column in DIRECT:
        leaked = cells & set(original[column].astype(str))
        assert not leaked, f"{column} values left in the output: {sorted(leaked)[:3]}"
    assert not released.apply(lambda c: c.str.contains("@")).any().any()
    report = json.loads(report_file.read_text())
    assert report["verdict"] == "pass"
    statuses = {check["id"]: check["status"] for check in report["checks"]}
    assert statuses["no-direct-identifiers"] == "pass"
    # Rows change only by the reported suppression, and k is what the report says.
    assert len(released) == len(original) - 20
    assert "records: 5000 in, 4980 out" in report["data_notes"]
    from responsible_ai.hashing import sha256_file

    assert f"source data: {PEOPLE} (sha256 {sha256_file(PEOPLE)})" in report["data_notes"]
    recount = released.groupby(["birth_date", "zip_code", "sex"]).size().min()
    k_check = next(c for c in report["checks"] if c["id"] == "k-at-least-2")
    assert recount == k_check["value"] >= 2
    # The key never appears; its key id does.
    for text in (report_file.read_text(), out.read_text(), printed.out, printed.err):
        assert KEY not in text
    assert any(
        re.fullmatch(r"pseudonymization key id: [0-9a-f]{16}", n) for n in report["data_notes"]
    )


def test_without_a_key_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RAI_PSEUDONYMIZATION_KEY", raising=False)
    out = tmp_path / "people.csv"
    code = main(["anonymize", str(PEOPLE), "--policy", str(GDPR), "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"rai: error: {NO_KEY.format(env='RAI_PSEUDONYMIZATION_KEY')}"
    assert list(tmp_path.iterdir()) == []


def test_failing_checks_write_nothing_but_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAI_PSEUDONYMIZATION_KEY", KEY)
    strict = tmp_path / "strict.yaml"
    strict.write_text(GDPR.read_text().replace('must: ">= 2"', 'must: ">= 50"'))
    out, report_file = tmp_path / "people.csv", tmp_path / "report.json"
    code = main(["anonymize", str(PEOPLE), "--policy", str(strict), "--output", str(out),
                 "--report", str(report_file)])  # fmt: skip
    assert code == 1
    assert not out.exists()
    assert "nothing written" in capsys.readouterr().out
    report = json.loads(report_file.read_text())
    assert {c["id"]: c["status"] for c in report["checks"]}["k-at-least-2"] == "fail"


def test_k_anonymous_release_of_adult_is_proved_by_an_independent_recount(
    tmp_path: Path,
) -> None:
    out, report_file = tmp_path / "adult.csv", tmp_path / "report.json"
    code = main(["anonymize", str(ADULT), "--policy", str(K_RELEASE), "--output", str(out),
                 "--report", str(report_file)])  # fmt: skip
    assert code == 0
    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    qis = ["age", "sex", "race", "marital_status", "education", "native_country", "workclass",
           "occupation"]  # fmt: skip
    sizes = released.groupby(qis).size()
    report = json.loads(report_file.read_text())
    k_value = next(c["value"] for c in report["checks"] if c["id"] == "k-anonymity")
    assert sizes.min() == k_value >= 10
    assert released.groupby(qis)["income"].nunique().min() >= 2
    assert len(released) >= 0.99 * 48842
    assert not {"fnlwgt", "education_num", "age_group"} & set(released.columns)


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--output", "x.json"], "the output must end in .csv or .parquet"),
        (["--output", str(PEOPLE)], "it is the input data file"),
    ],
)
def test_bad_output_is_a_usage_error(
    argv_tail: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["anonymize", str(PEOPLE), "--policy", str(GDPR), *argv_tail]) == 2
    assert message in capsys.readouterr().err


def test_policy_without_transforms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = ROOT / "policies" / "eeoc-four-fifths.yaml"
    shutil.copy(PEOPLE, tmp_path / "people.csv")
    code = main(["anonymize", str(tmp_path / "people.csv"), "--policy", str(policy),
                 "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert code == 2
    assert "has no transforms" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_identifiers_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identifiers", str(PEOPLE), "--sample-size", "200"]) == 0
    printed = capsys.readouterr().out
    for column in DIRECT:
        assert column in printed


def test_parquet_release_records_the_key_id_not_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from responsible_ai.privacy import key_id

    monkeypatch.setenv("RAI_PSEUDONYMIZATION_KEY", KEY)
    out = tmp_path / "people.parquet"
    assert main(["anonymize", str(PEOPLE), "--policy", str(GDPR), "--output", str(out)]) == 0
    metadata = pq.read_schema(out).metadata
    assert metadata[b"rai.key_ids"].decode() == key_id(KEY.encode())
    assert KEY.encode() not in out.read_bytes()
    assert len(pd.read_parquet(out)) == 4980


def test_a_policy_without_checks_proves_nothing_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from responsible_ai.privacy.cli import NO_CHECKS

    policy = tmp_path / "no-checks.yaml"
    policy.write_text("name: no-checks\ntransforms:\n  - {kind: drop, columns: [email]}\n")
    out = tmp_path / "out.csv"
    assert main(["anonymize", str(PEOPLE), "--policy", str(policy), "--output", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"rai: error: {NO_CHECKS.format(name='no-checks')}"
    assert not out.exists()
