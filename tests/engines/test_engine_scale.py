"""What a large folder of Parquet files needs: the hash read alongside the counting, the pandas
engine over many files, the same report on every engine, and a dead Spark master refused fast."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import german_model_and_decisions

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.engines import sources
from responsible_ai.engines.sources import BackgroundHash, files_sha256
from responsible_ai.hashing import sha256_file


def _parts(folder: Path, rows: int = 250) -> Path:
    data = german_model_and_decisions()[1]
    folder.mkdir()
    for i, start in enumerate(range(0, len(data), rows)):
        data.iloc[start : start + rows].to_parquet(folder / f"part-{i:03d}.parquet")
    return folder


def _without_engine(report: Any) -> dict[str, Any]:
    """The report as JSON, bar its times and the engine note."""
    found = report.to_dict()
    for key in ("created_at", "duration_seconds"):
        found.pop(key)
    found["data_notes"] = found["data_notes"][1:]
    return found


def test_the_background_hash_is_the_files_hash(tmp_path: Path) -> None:
    one = tmp_path / "one.bin"
    one.write_bytes(b"x" * 3_000_001)
    two = tmp_path / "two.bin"
    two.write_bytes(b"y" * 10)
    with BackgroundHash([one]) as hashed:
        assert hashed.result() == sha256_file(one) == hashlib.sha256(one.read_bytes()).hexdigest()
    with BackgroundHash([one, two]) as hashed:
        assert hashed.result() == files_sha256([one, two])
    assert files_sha256([one, two]) != files_sha256([two, one])


def test_a_stopped_hash_ends_early_and_an_unreadable_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (3 << 20))
    stop = threading.Event()
    stop.set()
    assert files_sha256([path], stop) == hashlib.sha256().hexdigest()  # not one block read
    with BackgroundHash([tmp_path / "gone.bin"]) as hashed, pytest.raises(FileNotFoundError):
        hashed.result()


def test_pandas_streams_a_folder_and_reports_as_duckdb(policy_file: str, tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    folder = _parts(tmp_path / "logs")
    pandas_report = audit(folder, policy_file, prediction="approved", engine="pandas")
    duck = audit(folder, policy_file, prediction="approved", engine="duckdb")
    assert pandas_report.data_notes[0].startswith("streamed from 4 Parquet file(s) in 4 batch(es)")
    assert _without_engine(pandas_report) == _without_engine(duck)
    assert pandas_report.inputs["data"] == {
        "path": str(folder),
        "sha256": files_sha256(sources.data_sources(folder)[0]),
        "columns": 4,  # sex, age_group, credit, approved
        "files": 4,
        "rows": 1000,
        "streamed": True,
    }
    glob = audit(str(folder / "*.parquet"), policy_file, prediction="approved", engine="pandas")
    assert glob.checks == pandas_report.checks


def test_a_dead_spark_master_is_one_line(
    policy_file: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    pytest.importorskip("pyspark")
    # rai check exports --spark-master as $RAI_SPARK_MASTER: removed again after the test.
    monkeypatch.setenv("RAI_SPARK_MASTER", "local[2]")
    from responsible_ai.engines.spark_session import UNREACHABLE, reach_master

    path = tmp_path / "german.parquet"
    german_model_and_decisions()[1].to_parquet(path)
    command = ["check", str(path), "--policy", policy_file, "--prediction", "approved"]
    code = main([*command, "--engine", "spark", "--spark-master", "spark://127.0.0.1:9"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.splitlines() == [
        "rai: error: "
        + UNREACHABLE.format(master="spark://127.0.0.1:9", reason="connection refused")
    ]
    with pytest.raises(Exception, match="is not a Spark master URL"):
        reach_master("spark://:7077")


def test_score_sums_stream_from_a_folder_of_parquet_files(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    from test_engine_scores import policy, same_values, scored

    data = scored()
    folder = tmp_path / "parts"
    folder.mkdir()
    size = len(data) // 3 + 1
    for i, start in enumerate(range(0, len(data), size)):
        data.iloc[start : start + size].to_parquet(folder / f"part-{i}.parquet")
    parts = audit(folder, policy(True), engine="pandas")
    same_values(parts, audit(data, policy(True)))
    same_values(parts, audit(folder, policy(True), engine="duckdb"))
    assert parts.inputs["data"]["files"] == 3
    assert parts.inputs["data"]["sha256"] == files_sha256(sources.data_sources(folder)[0])
