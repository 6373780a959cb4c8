"""``rai monitor``: exit codes, outputs, ``--follow`` merging counts, one-line errors."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.monitor.cli import FOLLOW_NEEDS_STATE
from responsible_ai.monitor.run import FILE_CHANGED, NO_MONITORING, NOTHING_NEW

from .conftest import LOGS, POLICY, REFERENCE


@pytest.fixture()
def two_months(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    return folder


def _policy(tmp_path, **monitoring) -> str:
    import yaml

    data = yaml.safe_load(POLICY.read_text())
    data["monitoring"]["reference"] = str(REFERENCE)
    data["monitoring"].update(monitoring)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_an_alert_exits_1_and_every_format_renders(two_months, tmp_path, capsys) -> None:
    policy = _policy(tmp_path)
    out = tmp_path / "report.json"
    assert main(["monitor", str(two_months), "--policy", policy, "--output", str(out)]) == 1
    report = json.loads(out.read_text())
    assert report["verdict"] == "fail"
    assert {c["id"] for c in report["checks"] if c["status"] == "fail"} >= {"input-drift"}
    for fmt, marker in (("md", "# "), ("junit", "<testsuites")):
        assert main(["monitor", str(two_months), "--policy", policy, "--format", fmt]) == 1
        assert marker in capsys.readouterr().out


def test_follow_reads_only_new_files_and_merges_their_counts(two_months, tmp_path, capsys) -> None:
    from responsible_ai.monitor.persist import read_state

    policy = _policy(tmp_path)
    state = tmp_path / "state.json"
    july = two_months / "2025-07.parquet"
    moved = tmp_path / "later.parquet"
    shutil.move(july, moved)
    assert main(["monitor", str(two_months), "--policy", policy, "--state", str(state)]) == 0
    shutil.move(moved, july)
    code = main(["monitor", str(two_months), "--policy", policy, "--state", str(state), "--follow"])
    assert code == 1
    assert "counted 1 new file(s)" in capsys.readouterr().out
    followed = read_state(state)
    whole = tmp_path / "whole.json"
    main(["monitor", str(two_months), "--policy", policy, "--state", str(whole)])
    fresh = read_state(whole)
    for name in ("groups", "scores", "features"):
        pd.testing.assert_frame_equal(
            getattr(followed.counts, name).reset_index(drop=True),
            getattr(fresh.counts, name).reset_index(drop=True),
            check_dtype=False,
        )
    assert [w["window"] for w in followed.windows] == [w["window"] for w in fresh.windows]
    assert followed.windows[-1]["checks"] == fresh.windows[-1]["checks"]


def test_follow_refuses_what_it_cannot_do(two_months, tmp_path, capsys) -> None:
    policy = _policy(tmp_path)
    assert main(["monitor", str(two_months), "--policy", policy, "--follow"]) == 2
    assert FOLLOW_NEEDS_STATE in capsys.readouterr().err
    state = tmp_path / "state.json"
    main(["monitor", str(two_months), "--policy", policy, "--state", str(state)])
    capsys.readouterr()
    args = ["monitor", str(two_months), "--policy", policy, "--state", str(state), "--follow"]
    assert main(args) == 2
    assert NOTHING_NEW.format(logs=two_months) in capsys.readouterr().err
    june = two_months / "2025-06.parquet"
    pd.read_parquet(june).iloc[:10].to_parquet(june)
    assert main(args) == 2
    assert FILE_CHANGED.format(path=june) in capsys.readouterr().err


def test_bad_input_is_one_line_and_exit_2(two_months, tmp_path, capsys) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: x\nchecks: []\n")
    assert main(["monitor", str(two_months), "--policy", str(plain)]) == 2
    err = capsys.readouterr().err
    assert NO_MONITORING.format(policy=plain) in err
    assert len(err.strip().splitlines()) == 1
    missing = _policy(tmp_path, features=["no_such_column"])
    assert main(["monitor", str(two_months), "--policy", missing]) == 2
    assert "'no_such_column' is not in the reference data" in capsys.readouterr().err
    assert main(["monitor", str(tmp_path / "nothing*.parquet"), "--policy", missing]) == 2


def test_an_unknown_monitoring_key_is_a_policy_error(tmp_path, capsys) -> None:
    policy = _policy(tmp_path, windw="1d")
    assert main(["policy", "validate", policy]) == 2
    assert "windw" in capsys.readouterr().err
    bad = _policy(tmp_path, window="weekly")
    assert main(["policy", "validate", bad]) == 2
    assert "expected a window such as" in capsys.readouterr().err


def test_a_threshold_rule_must_name_a_check(two_months, tmp_path, capsys) -> None:
    policy = _policy(tmp_path, thresholds=[{"id": "t", "check": "nope", "consecutive": 2}])
    assert main(["monitor", str(two_months), "--policy", policy]) == 2
    assert "names check 'nope'" in capsys.readouterr().err


def _month_as_csv(path) -> str:
    frame = pd.read_parquet(LOGS / "2025-01.parquet")
    frame["timestamp"] = frame["timestamp"].astype(str)
    return frame.to_csv(index=False)


def _random_bytes(path) -> None:
    import random

    rng = random.Random(3)
    path.with_suffix(".csv").write_bytes(bytes(rng.randrange(1, 256) for _ in range(3000)))


def _nul_bytes(path) -> None:
    path.with_suffix(".csv").write_bytes(b"timestamp,age\x00group\n1,2\n")


def _longer_row(path) -> None:
    lines = _month_as_csv(path).split("\n")
    lines[5] += ",one too many"
    path.with_suffix(".csv").write_text("\n".join(lines))


def _damaged_pages(path) -> None:
    data = bytearray((LOGS / "2025-01.parquet").read_bytes())
    middle = len(data) // 3
    data[middle : middle + 2000] = bytes(2000)  # the footer intact: found only when read
    path.with_suffix(".parquet").write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (_random_bytes, "is not UTF-8 text"),
        (_nul_bytes, "holds binary data"),
        (_longer_row, "Expected 26 fields in line 6, saw 27"),
        (_damaged_pages, "as Parquet"),
    ],
)
@pytest.mark.parametrize("engine", ["batches", "duckdb"])
def test_hostile_log_files_are_one_line_and_exit_2(tmp_path, capsys, make, said, engine) -> None:
    # A day's file is counted in batches (auto, under 16 MiB): it must refuse what DuckDB does.
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    logs = tmp_path / "logs"
    logs.mkdir()
    make(logs / "day")
    args = ["monitor", str(logs), "--policy", str(POLICY), "--engine", engine]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    if engine == "batches":
        assert said in err
