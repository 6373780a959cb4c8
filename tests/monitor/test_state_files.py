"""``--state``: an index plus appended parts. ``--follow`` gives the results of one pass over
every file (the sequential test continued, not re-run, equal to the last digit), an old one-file
state still loads, a write that stops half-way leaves the old state whole."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from responsible_ai.cli import main
from responsible_ai.monitor.persist import plain_json, read_state, state_json, windows_json
from responsible_ai.monitor.sequential import continue_sequential, run_sequential
from responsible_ai.monitor.state_files import StoredState

from .conftest import LOGS, POLICY, REFERENCE


def _report(path) -> dict:
    report = json.loads(path.read_text())
    for key in ("created_at", "duration_seconds"):
        report.pop(key, None)
    return report


def _inputs(rng, windows: int, groups: list[str]) -> tuple[list, list]:
    hits, sizes = [], []
    for _ in range(windows):
        n = {g: float(rng.integers(0, 60)) for g in groups if rng.random() > 0.1}
        rate = {"a": 0.8, "b": 0.3}  # a gap wider than the tolerance: the test alarms
        hits.append({g: float(rng.binomial(int(v), rate.get(g, 0.5))) for g, v in n.items()})
        sizes.append(n)
    return hits, sizes


def _same(a, b) -> None:
    assert a.threshold == b.threshold
    assert [(p.high, p.low, p.alarm_window) for p in a.pairs] == [
        (p.high, p.low, p.alarm_window) for p in b.pairs
    ]
    assert plain_json([p.gaps for p in a.pairs]) == plain_json([p.gaps for p in b.pairs])
    assert plain_json([p.log_wealth for p in a.pairs]) == plain_json(
        [p.log_wealth for p in b.pairs]
    )
    assert (a.alarm and a.alarm.__dict__) == (b.alarm and b.alarm.__dict__)
    assert a.best().__dict__ == b.best().__dict__
    assert a.computed == b.computed


@pytest.mark.parametrize("lookback", [0, 3, 7])
def test_the_continued_test_is_the_full_run_to_the_last_digit(lookback) -> None:
    rng = np.random.default_rng(lookback)
    groups = ["a", "b", "c"]
    hits, sizes = _inputs(rng, 40, groups)
    names = [f"{i:03d}" for i in range(40)]
    args = {"tolerance": 0.05, "alpha": 0.05, "lookback": lookback, "min_rows": 5}
    whole = run_sequential(names, hits, sizes, **args)
    # A test that alarms (alarm windows are compared too); no bet without a look back.
    assert (whole.alarm is not None) == (lookback > 0)
    # Day by day, from the first window.
    step = run_sequential(names[:1], hits[:1], sizes[:1], **args)
    for t in range(1, 40):
        step = continue_sequential(step, names[t : t + 1], hits[t : t + 1], sizes[t : t + 1])
    _same(step, whole)
    # Several new windows at once, and a changed old window (runs again from the kept inputs).
    part = continue_sequential(
        run_sequential(names[:30], hits[:30], sizes[:30], **args), names[30:], hits[30:], sizes[30:]
    )
    _same(part, whole)
    changed = continue_sequential(part, [names[12]], [hits[3]], [sizes[3]])
    redone = run_sequential(
        names, [*hits[:12], hits[3], *hits[13:]], [*sizes[:12], sizes[3], *sizes[13:]], **args
    )
    _same(changed, redone)


def test_a_new_group_runs_the_test_again_over_the_kept_inputs() -> None:
    rng = np.random.default_rng(5)
    hits, sizes = _inputs(rng, 20, ["a", "b"])
    extra_hits, extra_sizes = {"a": 3.0, "b": 9.0, "z": 10.0}, {"a": 30.0, "b": 30.0, "z": 30.0}
    names = [f"{i:03d}" for i in range(21)]
    args = {"tolerance": 0.0, "alpha": 0.05, "lookback": 7, "min_rows": 1}
    kept = run_sequential(names[:20], hits, sizes, **args)
    continued = continue_sequential(kept, names[20:], [extra_hits], [extra_sizes])
    _same(continued, run_sequential(names, [*hits, extra_hits], [*sizes, extra_sizes], **args))


@pytest.fixture()
def months(tmp_path):
    """June and July counted; August's first days (one file) and the rest (another) not yet."""
    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    august = pd.read_parquet(LOGS / "2025-08.parquet")
    days = august["timestamp"].dt.strftime("%Y-%m-%d")
    early = days <= sorted(days.unique())[2]
    return folder, august[early], august[~early]


def _base(folder) -> list[str]:
    return ["monitor", str(folder), "--policy", str(POLICY), "--reference", str(REFERENCE)]


def test_follow_equals_one_pass_and_writes_only_new_parts(months, tmp_path, capsys) -> None:
    folder, early, late = months
    state = tmp_path / "state.json"
    main([*_base(folder), "--state", str(state)])
    parts = state.parent / "state.json.parts"
    first = {p.name: p.stat().st_mtime_ns for p in parts.iterdir() if "sequential" not in p.name}
    early.to_parquet(folder / "a.parquet", index=False)
    main([*_base(folder), "--state", str(state), "--follow"])
    late.to_parquet(folder / "b.parquet", index=False)
    out, windows = tmp_path / "r.json", tmp_path / "w.json"
    main(
        [
            *_base(folder),
            "--state",
            str(state),
            "--follow",
            "--output",
            str(out),
            "--windows",
            str(windows),
        ]
    )
    # The first part is kept as written; the follows added theirs.
    now = {p.name: p.stat().st_mtime_ns for p in parts.iterdir()}
    assert all(now.get(name) == time for name, time in first.items())
    assert len({name.split(".")[0] for name in now}) == 3
    whole_out, whole_windows = tmp_path / "r1.json", tmp_path / "w1.json"
    main(
        [
            *_base(folder),
            "--state",
            str(tmp_path / "one.json"),
            "--output",
            str(whole_out),
            "--windows",
            str(whole_windows),
        ]
    )
    capsys.readouterr()
    assert _report(out)["checks"] == _report(whole_out)["checks"]
    assert windows.read_text() == whole_windows.read_text()
    followed, whole = read_state(state), read_state(tmp_path / "one.json")
    for table in ("groups", "scores", "features"):
        pd.testing.assert_frame_equal(
            getattr(followed.counts, table), getattr(whole.counts, table), check_dtype=False
        )
    assert plain_json(followed.windows) == plain_json(whole.windows)


def test_new_rows_in_an_old_window_recount_it(months, tmp_path, capsys) -> None:
    folder, early, late = months
    state = tmp_path / "state.json"
    late.to_parquet(folder / "b.parquet", index=False)
    main([*_base(folder), "--state", str(state)])
    # Early August: after July, before the rest of August (touches no window twice) ...
    early.iloc[: len(early) // 2].to_parquet(folder / "a.parquet", index=False)
    main([*_base(folder), "--state", str(state), "--follow"])
    # ... and more rows of windows already counted.
    early.iloc[len(early) // 2 :].to_parquet(folder / "c.parquet", index=False)
    out, whole_out = tmp_path / "r.json", tmp_path / "r1.json"
    main([*_base(folder), "--state", str(state), "--follow", "--output", str(out)])
    main([*_base(folder), "--output", str(whole_out)])
    capsys.readouterr()
    assert _report(out)["checks"] == _report(whole_out)["checks"]


def test_a_state_file_of_the_first_format_still_loads_and_follows(months, tmp_path, capsys):
    from responsible_ai.monitor.run import monitor

    folder, early, _ = months
    old = tmp_path / "old.json"
    old.write_text(state_json(monitor(folder, POLICY, reference=REFERENCE).state))
    new = tmp_path / "new.json"
    main([*_base(folder), "--state", str(new)])
    assert read_state(old).counts.files == read_state(new).counts.files
    early.to_parquet(folder / "a.parquet", index=False)
    reports = []
    for state in (old, new):
        out = tmp_path / f"{state.stem}.r.json"
        main([*_base(folder), "--state", str(state), "--follow", "--output", str(out)])
        reports.append(_report(out))
    capsys.readouterr()
    assert reports[0]["checks"] == reports[1]["checks"]
    assert json.loads(old.read_text())["format"] == "rai-monitor-state/2"  # written anew


def test_a_write_that_stops_half_way_leaves_the_old_state(months, tmp_path, monkeypatch, capsys):
    import responsible_ai._atomic as atomic

    folder, early, _ = months
    state = tmp_path / "state.json"
    main([*_base(folder), "--state", str(state)])
    before = state.read_text()
    early.to_parquet(folder / "a.parquet", index=False)
    real = atomic.write_bytes_atomic

    def fails_on_the_index(path, content, **kwargs):
        if str(path) == str(state):
            raise KeyboardInterrupt  # stopped after the parts, before the index
        return real(path, content, **kwargs)

    monkeypatch.setattr(atomic, "write_bytes_atomic", fails_on_the_index)
    assert main([*_base(folder), "--state", str(state), "--follow"]) == 130
    monkeypatch.undo()
    assert state.read_text() == before
    kept = read_state(state)
    assert not any("a.parquet" in f for f in kept.counts.files)
    out, whole = tmp_path / "r.json", tmp_path / "r1.json"
    assert main([*_base(folder), "--state", str(state), "--follow", "--output", str(out)]) in (0, 1)
    main([*_base(folder), "--output", str(whole)])
    capsys.readouterr()
    assert _report(out)["checks"] == _report(whole)["checks"]


def test_past_max_parts_one_part_again(months, tmp_path, monkeypatch, capsys) -> None:
    import responsible_ai.monitor.state_files as files

    monkeypatch.setattr(files, "MAX_PARTS", 2)
    folder, early, late = months
    state = tmp_path / "state.json"
    main([*_base(folder), "--state", str(state)])
    for i, frame in enumerate((early, late.iloc[:500], late.iloc[500:])):
        frame.to_parquet(folder / f"n{i}.parquet", index=False)
        main([*_base(folder), "--state", str(state), "--follow"])
    parts = {p.name.split(".")[0] for p in (tmp_path / "state.json.parts").iterdir()}
    assert len(parts) <= 2
    followed = read_state(state)
    from responsible_ai.monitor.run import monitor

    whole = monitor(folder, POLICY, reference=REFERENCE)
    assert plain_json(followed.windows) == plain_json(whole.windows)
    assert followed.counts.rows_total == whole.state.counts.rows_total
    capsys.readouterr()


def test_a_missing_part_is_one_line_exit_2(months, tmp_path, capsys) -> None:
    folder, early, _ = months
    state = tmp_path / "state.json"
    main([*_base(folder), "--state", str(state)])
    for part in (tmp_path / "state.json.parts").glob("*.windows.json"):
        part.unlink()
    early.to_parquet(folder / "a.parquet", index=False)
    assert main([*_base(folder), "--state", str(state), "--follow"]) == 2
    err = capsys.readouterr().err
    assert "is not a monitor state" in err and "Traceback" not in err


def test_windows_json_of_a_followed_run_builds_every_pair(shipped_run) -> None:
    text = windows_json(shipped_run)
    sequential = json.loads(text)["sequential"]
    assert all(
        len(p["log_wealth"]) == len(shipped_run.windows)
        for r in sequential.values()
        for p in r["pairs"]
    )


def test_a_state_on_an_input_or_among_the_logs_is_refused_before_anything(
    months, tmp_path, capsys
) -> None:
    folder, _, _ = months
    before = {p: p.read_bytes() for p in folder.iterdir()}
    log = next(iter(before))
    assert main([*_base(folder), "--state", str(log)]) == 2
    assert "refusing to write" in capsys.readouterr().err
    inside = folder / "state" / "monitor.json"
    assert main([*_base(folder), "--state", str(inside)]) == 2
    assert "keep the state outside the logs folder" in capsys.readouterr().err
    glob = str(folder / "**" / "*.parquet")
    assert main([*_base(glob), "--state", str(inside)]) == 2
    # nothing written: the logs folder holds its files, unchanged, and nothing else
    assert {p: p.read_bytes() for p in folder.iterdir()} == before
    assert main([*_base(folder), "--state", str(tmp_path / "monitor.json")]) in (0, 1)


def test_the_library_refuses_a_state_among_the_logs_too(shipped_run, tmp_path) -> None:
    # A notebook writing the state itself (persist.write_state) is held to the CLI's rule.
    from responsible_ai.errors import InputError
    from responsible_ai.monitor.persist import write_state

    logs = tmp_path / "logs"
    logs.mkdir()
    with pytest.raises(InputError, match="keep the state outside the logs folder"):
        write_state(logs / "monitor.json", shipped_run.state, logs=logs)
    assert list(logs.iterdir()) == []  # neither the index nor a part
    write_state(tmp_path / "monitor.json", shipped_run.state, logs=logs)
    assert read_state(tmp_path / "monitor.json").window_names == shipped_run.state.window_names


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.update(parts="../elsewhere.parts"),
        lambda m: m["windows"][0].__setitem__(1, "../../victim"),
        lambda m: m["sequential"].__setitem__("part", "/tmp/x"),
        lambda m: m.update(rows_total=-5),
    ],
)
def test_a_tampered_index_never_leads_outside_its_folder(months, tmp_path, capsys, tamper):
    folder, early, _ = months
    state = tmp_path / "run" / "state.json"
    main([*_base(folder), "--state", str(state)])
    victim = tmp_path / "victim.groups.parquet"
    victim.write_bytes(b"keep me")
    manifest = json.loads(state.read_text())
    tamper(manifest)
    with pytest.raises(ValueError):  # refused as read, before any name is used
        StoredState(state, manifest)
    state.write_text(json.dumps(manifest))
    early.to_parquet(folder / "a.parquet", index=False)
    assert main([*_base(folder), "--state", str(state), "--follow"]) == 2
    assert "is not a monitor state" in capsys.readouterr().err
    assert victim.read_bytes() == b"keep me"
