"""``--follow`` trusts a counted file's stamp (size, time, both ends' hash), re-hashes on doubt,
and its merged result is the full recount's."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.monitor.reading import EDGE_BYTES, file_stamp
from responsible_ai.monitor.run import FILE_CHANGED, NOTHING_NEW

from .conftest import LOGS, POLICY, REFERENCE


@pytest.fixture()
def followed(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    state = tmp_path / "state.json"
    base = ["monitor", str(folder), "--policy", str(POLICY), "--reference", str(REFERENCE)]
    main([*base, "--state", str(state)])
    return folder, [*base, "--state", str(state), "--follow"]


def _rewrite_end(path, keep_time: bool) -> None:
    """Change one byte in the file's last 64 KiB: same size, and (``keep_time``) same mtime."""
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    if keep_time:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_changed_counted_file_is_refused_even_with_its_size_and_time(followed, capsys) -> None:
    folder, args = followed
    june = folder / "2025-06.parquet"
    before = file_stamp(june)
    _rewrite_end(june, keep_time=True)
    after = file_stamp(june)
    assert after[:2] == before[:2] and after[2] != before[2]
    capsys.readouterr()
    assert main(args) == 2
    assert FILE_CHANGED.format(path=june) in capsys.readouterr().err


def test_a_touched_but_unchanged_file_is_hashed_again_and_accepted(followed, capsys) -> None:
    folder, args = followed
    june = folder / "2025-06.parquet"
    os.utime(june, ns=(0, 1_000_000_000))
    capsys.readouterr()
    assert main(args) == 2
    assert NOTHING_NEW.format(logs=folder) in capsys.readouterr().err


def test_a_stamp_reads_both_ends_only(tmp_path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (3 * EDGE_BYTES))
    stamp = file_stamp(path)
    middle = bytearray(path.read_bytes())
    middle[EDGE_BYTES + 10] = ord("b")
    path.write_bytes(bytes(middle))
    os.utime(path, ns=(stamp[1], stamp[1]))
    # The documented limit: a same-size edit in the middle with its time put back.
    assert file_stamp(path) == stamp


def test_follow_day_by_day_equals_a_full_recount(tmp_path, capsys) -> None:
    from responsible_ai.monitor.persist import plain_json, read_state
    from responsible_ai.monitor.run import monitor

    rows = pd.read_parquet(LOGS / "2025-06.parquet")
    days = rows["timestamp"].dt.strftime("%Y-%m-%d")
    folder = tmp_path / "logs"
    folder.mkdir()
    first = sorted(days.unique())
    rows[days <= first[-3]].to_parquet(folder / "a.parquet", index=False)
    state = tmp_path / "state.json"
    base = ["monitor", str(folder), "--policy", str(POLICY), "--reference", str(REFERENCE)]
    main([*base, "--state", str(state)])
    for name, day in (("b", first[-2]), ("c", first[-1])):
        rows[days == day].to_parquet(folder / f"{name}.parquet", index=False)
        main([*base, "--state", str(state), "--follow"])
    capsys.readouterr()
    followed = read_state(state)
    whole = monitor(folder, POLICY, reference=REFERENCE)
    for table in ("groups", "scores", "features"):
        pd.testing.assert_frame_equal(
            getattr(followed.counts, table).reset_index(drop=True),
            getattr(whole.state.counts, table).reset_index(drop=True),
            check_dtype=False,
        )
    assert followed.counts.files == whole.state.counts.files
    assert followed.counts.stamps == whole.state.counts.stamps
    assert plain_json(followed.windows) == plain_json(whole.windows)


def test_the_same_logs_spelled_another_way_are_not_counted_twice(
    tmp_path, monkeypatch, capsys
) -> None:
    # counted as logs/... from tmp_path, followed by its absolute path from another folder
    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    monkeypatch.chdir(tmp_path)
    base = ["--policy", str(POLICY), "--reference", str(REFERENCE), "--state", "state.json"]
    assert main(["monitor", "logs", *base]) in (0, 1)
    shutil.copy(LOGS / "2025-08.parquet", folder)
    monkeypatch.chdir(LOGS)
    state = str(tmp_path / "state.json")
    base[-1] = state
    output = tmp_path / "followed.json"
    assert main(["monitor", str(folder), *base, "--follow", "--output", str(output)]) in (0, 1)
    assert "counted 1 new file(s)" in capsys.readouterr().out
    rows = sum(len(pd.read_parquet(folder / f)) for f in os.listdir(folder))
    followed = pd.read_json(output, typ="series")
    assert followed["inputs"]["data"]["rows"] == rows


def test_a_second_name_for_a_counted_file_is_refused(followed, capsys) -> None:
    folder, follow = followed
    os.link(folder / "2025-06.parquet", folder / "2025-06-again.parquet")
    assert main(follow) == 2
    err = capsys.readouterr().err
    assert "2025-06-again.parquet is" in err and "already counted by this monitor" in err
