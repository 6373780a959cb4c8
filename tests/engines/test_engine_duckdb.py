"""The DuckDB engine gives the pandas engine's report (bar the engine note) from a GROUP BY."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import LENDING, WEIGHTED, german_model_and_decisions, same_findings

pytest.importorskip("duckdb")

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.engines import choose, duckdb_engine, sources
from responsible_ai.errors import InputError


def german_with_decisions() -> pd.DataFrame:
    return german_model_and_decisions()[1]


HOSTILE = 'group"; DROP TABLE rai_source; --'


def test_duckdb_on_parquet_equals_the_pandas_engine(policy_file: str, tmp_path: Path) -> None:
    path = tmp_path / "german.parquet"
    german_with_decisions().to_parquet(path)
    pandas_report = audit(path, policy_file, prediction="approved", engine="pandas")
    duck = audit(path, policy_file, prediction="approved", engine="duckdb")
    same_findings(duck, pandas_report)
    assert duck.data_notes[0].startswith("counted by DuckDB over 1 parquet file(s)")
    assert duck.data_notes[1:] == pandas_report.data_notes[1:]
    assert duck.inputs["data"]["sha256"] == pandas_report.inputs["data"]["sha256"]


def test_duckdb_on_csv_equals_the_in_memory_audit(policy_file: str, tmp_path: Path) -> None:
    path = tmp_path / "german.csv"
    german_with_decisions().to_csv(path, index=False)
    in_memory = audit(path, policy_file, prediction="approved")
    duck = audit(path, policy_file, prediction="approved", engine="duckdb")
    same_findings(duck, in_memory)


def test_weighted_counts_equal(tmp_path: Path) -> None:
    path = tmp_path / "german.parquet"
    german_with_decisions().to_parquet(path)
    policy = WEIGHTED
    pandas_report = audit(path, policy, prediction="approved", engine="pandas")
    duck = audit(path, policy, prediction="approved", engine="duckdb")
    same_findings(duck, pandas_report)


def test_a_glob_of_parts_equals_the_whole(policy_file: str, tmp_path: Path) -> None:
    data = german_with_decisions()
    whole = tmp_path / "whole.parquet"
    data.to_parquet(whole)
    parts = tmp_path / "logs"
    parts.mkdir()
    for i, start in enumerate(range(0, len(data), 300)):
        data.iloc[start : start + 300].to_parquet(parts / f"part-{i}.parquet")
    one = audit(whole, policy_file, prediction="approved", engine="duckdb")
    many = audit(str(parts / "*.parquet"), policy_file, prediction="approved")  # chosen: duckdb
    folder = audit(parts, policy_file, prediction="approved", engine="duckdb")
    same_findings(many, one)
    same_findings(folder, one)
    assert "over 4 parquet file(s)" in many.data_notes[0]
    assert many.inputs["data"]["files"] == 4


def test_column_names_are_never_sql(tmp_path: Path) -> None:
    data = german_with_decisions().rename(columns={"sex": HOSTILE})
    path = tmp_path / "hostile.parquet"
    data.to_parquet(path)
    policy = {
        "name": "hostile",
        "data": {"sensitive": [HOSTILE], "positive_label": "good"},
        "checks": [{"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    duck = audit(path, policy, prediction="approved", engine="duckdb")
    pandas_report = audit(path, policy, prediction="approved", engine="pandas")
    same_findings(duck, pandas_report)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.assign(approved=d["approved"].where(d.index != 7, None)),
            "prediction column 'approved' has missing value",
        ),
        (lambda d: d.assign(weight=-d["weight"]), "weight column 'weight' has negative values"),
        (lambda d: d.drop(columns=["age_group"]), "sensitive column 'age_group' is not in"),
    ],
)
def test_bad_data_is_one_line(tmp_path: Path, change, message: str) -> None:
    path = tmp_path / "bad.parquet"
    change(german_with_decisions()).to_parquet(path)
    policy = {
        "name": "p",
        "data": {"sensitive": ["sex", "age_group"], "positive_label": "good", "weight": "weight"},
        "checks": [{"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    with pytest.raises(InputError, match=message):
        audit(path, policy, prediction="approved", engine="duckdb")


def test_what_duckdb_cannot_do_is_refused_with_the_alternative(tmp_path: Path) -> None:
    path = tmp_path / "german.parquet"
    german_with_decisions().to_parquet(path)
    with pytest.raises(InputError, match="needs a model: give it"):  # or --model: a sample
        audit(path, LENDING, prediction="approved", engine="duckdb")
    with pytest.raises(InputError, match=choose.NEEDS_FILES.split(":")[0]):
        audit(german_with_decisions(), LENDING, prediction="approved", engine="duckdb")
    with pytest.raises(InputError, match="no data files match"):
        sources.data_sources(str(tmp_path / "nothing-*.parquet"))
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match="mixes csv and parquet files"):
        sources.data_sources(str(tmp_path / "*"))


def test_memory_limit_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(duckdb_engine.MEMORY_ENV, "lots")
    with pytest.raises(InputError, match="is not a DuckDB memory size"):
        duckdb_engine._memory_limit()
    monkeypatch.setenv(duckdb_engine.MEMORY_ENV, "512MB")
    assert duckdb_engine._memory_limit() == "512MB"


def test_rai_check_on_a_glob(policy_file: str, tmp_path: Path, capsys) -> None:
    data = german_with_decisions()
    for i, start in enumerate(range(0, len(data), 500)):
        data.iloc[start : start + 500].to_parquet(tmp_path / f"part-{i}.parquet")
    code = main(
        [
            "check",
            str(tmp_path / "part-*.parquet"),
            "--policy",
            policy_file,
            "--prediction",
            "approved",
            "--engine",
            "duckdb",
            "--format",
            "md",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 1  # the reference model fails the lending policy's equal-opportunity check
    assert "counted by DuckDB over 2 parquet file(s)" in printed


def test_csv_codes_stay_text_as_in_memory(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "zip": ["02134", "10080", "02134", "94110"] * 50,
            "approved": ["yes", "no", "yes", "yes"] * 50,
        }
    )
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    policy = {
        "name": "codes",
        "data": {"sensitive": ["zip"], "positive_label": "yes"},
        "fairness": {"min_group_size": 10},
        "checks": [{"id": "r", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}],
    }
    in_memory = audit(path, policy, prediction="approved")
    duck = audit(path, policy, prediction="approved", engine="duckdb")
    same_findings(duck, in_memory)
    labels = [g["group"] for g in duck.checks[0].evidence["groups"]]
    assert "02134" in labels
    assert any("column 'zip' kept as text" in note for note in duck.data_notes)
