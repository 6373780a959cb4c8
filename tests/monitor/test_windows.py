"""Window counts: both readers agree, counts merge, day and row windows cut where they should."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from responsible_ai.errors import InputError
from responsible_ai.monitor.reading import (
    BAD_TIMESTAMPS,
    LogSpec,
    _text,
    _text_by_value,
    count_frame,
    count_logs,
)
from responsible_ai.monitor.settings import parse_window
from responsible_ai.monitor.windows import WindowCounts

SPEC = LogSpec(
    "ts",
    ("days", 1),
    ["group"],
    "pred",
    "yes",
    target="label",
    score="score",
    numeric={"x": [1.0, 2.0, 3.0]},
    categorical=["colour"],
)


def _logs(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2025-03-01")
            + pd.to_timedelta(rng.integers(0, 5 * 86400, rows), "s"),
            "group": rng.choice(["a", "b", None], rows),
            "pred": rng.choice(["yes", "no"], rows),
            "label": rng.choice(["yes", "no", None], rows),
            "score": rng.random(rows),
            "x": rng.choice([0.5, 1.0, 2.0, 2.5, 9.0, np.nan], rows),
            "colour": rng.choice(["red", "blue"], rows),
        }
    )
    return frame.sort_values("ts").reset_index(drop=True)


def _same(a: WindowCounts, b: WindowCounts) -> None:
    for name in ("groups", "scores", "features"):
        left = getattr(a, name).reset_index(drop=True)
        right = getattr(b, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_duckdb_and_batches_count_the_same(tmp_path, suffix) -> None:
    pytest.importorskip("duckdb")
    frame = _logs(3000)
    files = []
    for i, start in enumerate(range(0, 3000, 1000)):
        part = frame.iloc[start : start + 1000]
        path = tmp_path / f"part{i}.{suffix}"
        part.to_parquet(path) if suffix == "parquet" else part.to_csv(path, index=False)
        files.append(path)
    duck = count_logs(files, suffix, SPEC, engine="duckdb")
    batches = count_logs(files, suffix, SPEC, engine="batches")
    _same(duck, batches)
    assert duck.rows_total == batches.rows_total == 3000
    assert duck.windows == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05"]


_CSV_HEADER = "ts,group,pred,label,score,x,colour\n"
_CSV_ROWS = {
    # pandas reads these texts as missing in CSV; DuckDB must too (a group "NA", a label "nan")
    "missing texts": "2025-03-01 10:00:00,NA,yes,yes,0.5,1,NA\n"
    "2025-03-01 11:00:00,a,no,None,0.2,2,red\n2025-03-01,b,yes,nan,0.5,1,null\n",
    # an offset is honoured (this is 04:30 UTC on March 2nd), naive times are UTC
    "offsets": "2025-03-01T23:30:00-05:00,a,yes,yes,0.5,1,red\n2025-03-01T10:00:00Z,a,no,no,,,\n",
    "a missing prediction": "2025-03-01,a,null,yes,0.5,1,red\n",
    "a day-first or month-first date": "03/01/2025,a,yes,yes,0.5,1,red\n",
    "seconds since 1970": "1740787200,a,yes,yes,0.5,1,red\n",
}


@pytest.mark.parametrize("case", sorted(_CSV_ROWS))
def test_duckdb_and_batches_read_csv_text_alike(tmp_path, case) -> None:
    pytest.importorskip("duckdb")
    path = tmp_path / "logs.csv"
    path.write_text(_CSV_HEADER + _CSV_ROWS[case])
    outcomes = []
    for engine in ("duckdb", "batches"):
        try:
            outcomes.append(count_logs([path], "csv", SPEC, engine=engine))
        except InputError as refused:
            outcomes.append(str(refused).split(" (first")[0])
    duck, batches = outcomes
    if isinstance(duck, str) or isinstance(batches, str):
        assert duck == batches  # refused by both, for the same reason
    else:
        _same(duck, batches)
        assert duck.windows == batches.windows


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 400), st.integers(0, 10_000))
def test_counts_of_two_batches_merge_to_the_counts_of_both(split, seed) -> None:
    frame = _logs(401, seed)
    whole = count_frame(frame, SPEC)
    merged = count_frame(frame.iloc[:split], SPEC).merge(count_frame(frame.iloc[split:], SPEC))
    _same(whole, merged)
    assert int(whole.groups["rows"].sum()) == 401


def test_a_new_day_merges_into_many_days_like_a_recount() -> None:
    frame = _logs(2000, seed=5)
    late = frame["ts"] >= pd.Timestamp("2025-03-05 12:00")
    before = count_frame(frame[~late], SPEC)  # five days, the last one half counted
    merged = before.merge(count_frame(frame[late], SPEC))  # one window of five: the fast path
    assert len(before.windows) == 5
    _same(merged, count_frame(frame, SPEC))


def test_state_round_trips_through_json() -> None:
    counts = count_frame(_logs(500), SPEC)
    _same(WindowCounts.from_json(counts.to_json()), counts)


def test_seven_day_windows_start_on_mondays() -> None:
    spec = LogSpec("ts", parse_window("7d"), [], "pred", "yes")
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2025-03-02", "2025-03-03", "2025-03-09", "2025-03-10"]),
            "pred": "yes",
        }
    )
    counts = count_frame(frame, spec)
    assert counts.windows == ["2025-02-24", "2025-03-03", "2025-03-10"]
    assert counts.groups.groupby("window")["rows"].sum().tolist() == [1, 2, 1]


def test_row_windows_continue_across_batches() -> None:
    spec = LogSpec("ts", parse_window("100 rows"), [], "pred", "yes")
    frame = pd.DataFrame({"ts": range(250), "pred": "no"})
    first = count_frame(frame.iloc[:130], spec, first_row=0)
    rest = count_frame(frame.iloc[130:], spec, first_row=130)
    sizes = first.merge(rest).groups.groupby("window")["rows"].sum()
    assert sizes.tolist() == [100, 100, 50]


def test_a_timestamp_that_is_not_a_time_is_refused() -> None:
    frame = _logs(10)
    frame["ts"] = frame["ts"].astype(str)
    frame.loc[3, "ts"] = "yesterday-ish"
    with pytest.raises(InputError, match="1 value\\(s\\) that are not times"):
        count_frame(frame, SPEC)
    assert "ISO 8601" in BAD_TIMESTAMPS


@pytest.mark.parametrize("text", ["1d", "7d", "10000 rows", " 3 d "])
def test_windows_parse(text) -> None:
    assert parse_window(text)[1] >= 1


@pytest.mark.parametrize("text", ["0d", "weekly", "7 days", "-1 rows"])
def test_bad_windows_are_refused(text) -> None:
    with pytest.raises(ValueError, match="expected a window such as"):
        parse_window(text)


_COLUMNS = {
    "str": st.lists(st.one_of(st.none(), st.text(max_size=4))).map(
        lambda v: pd.Series(v, dtype="str")
    ),
    "string": st.lists(st.one_of(st.none(), st.text(max_size=4))).map(
        lambda v: pd.Series(v, dtype="string")
    ),
    "bool": st.lists(st.booleans()).map(lambda v: pd.Series(v, dtype=bool)),
    "int64": st.lists(st.integers(-(2**63), 2**63 - 1)).map(lambda v: pd.Series(v, dtype="int64")),
    "uint8": st.lists(st.integers(0, 255)).map(lambda v: pd.Series(v, dtype="uint8")),
    "Int64": st.lists(st.one_of(st.none(), st.integers(-5, 5))).map(
        lambda v: pd.Series(v, dtype="Int64")
    ),
    "boolean": st.lists(st.one_of(st.none(), st.booleans())).map(
        lambda v: pd.Series(v, dtype="boolean")
    ),
    "float": st.lists(st.one_of(st.none(), st.floats(allow_infinity=False))).map(
        lambda v: pd.Series(v, dtype=float)
    ),
    "mixed": st.lists(
        st.one_of(st.none(), st.booleans(), st.integers(-9, 9), st.text(max_size=2))
    ).map(lambda v: pd.Series(v, dtype=object)),
}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(_COLUMNS)).flatmap(lambda kind: _COLUMNS[kind]))
def test_column_wise_text_is_the_value_by_value_text(values: pd.Series) -> None:
    # The fast paths for text, integer and boolean columns give what str() of each value gives.
    fast, slow = _text(values), _text_by_value(values)
    pd.testing.assert_series_equal(fast, slow)
    assert [type(v) for v in fast] == [type(v) for v in slow]


_KEY_VALUES = {
    "str": st.one_of(st.none(), st.sampled_from(["a", "b", "", "NA", "é", "01", "1.50"])),
    "int": st.integers(-3, 3),
    "bool": st.booleans(),
    "float": st.one_of(st.none(), st.sampled_from([0.5, 1.0, -2.25, 1e20, 0.1])),
}


@st.composite
def _random_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, str, str]:
    rows = draw(st.integers(1, 40))
    kinds = [draw(st.sampled_from(sorted(_KEY_VALUES))) for _ in range(2)]
    column = {
        kind: st.lists(_KEY_VALUES[kind], min_size=rows, max_size=rows) for kind in _KEY_VALUES
    }
    seconds = draw(st.lists(st.integers(0, 9 * 86400), min_size=rows, max_size=rows))
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2025-03-01") + pd.to_timedelta(seconds, "s"),
            "group": pd.Series(draw(column[kinds[0]]), dtype=_DTYPES[kinds[0]]),
            "pred": draw(st.lists(st.sampled_from(["yes", "no"]), min_size=rows, max_size=rows)),
            "label": draw(
                st.lists(st.sampled_from(["yes", "no", None]), min_size=rows, max_size=rows)
            ),
            "score": draw(
                st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=rows, max_size=rows)
            ),
            "x": draw(
                st.lists(
                    st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0, 2.5, 9.0, -1.0])),
                    min_size=rows,
                    max_size=rows,
                )
            ),
            "colour": pd.Series(draw(column[kinds[1]]), dtype=_DTYPES[kinds[1]]),
        }
    )
    window = draw(st.sampled_from(["1d", "7d"]))
    return frame, draw(st.sampled_from(["parquet", "csv"])), window


_DTYPES = {"str": object, "int": "int64", "bool": bool, "float": float}


@settings(max_examples=30, deadline=None)
@given(_random_logs())
def test_both_readers_count_any_logs_alike(case: tuple[pd.DataFrame, str, str]) -> None:
    # The batch reader (what --follow takes for a small new file) and DuckDB (what counts the
    # bulk) must give the same counts on any logs, or a continued monitor would mix two truths.
    pytest.importorskip("duckdb")
    import tempfile

    frame, suffix, window = case
    spec = LogSpec(
        "ts",
        parse_window(window),
        ["group"],
        "pred",
        "yes",
        target="label",
        score="score",
        numeric={"x": [1.0, 2.0, 3.0]},
        categorical=["colour"],
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"logs.{suffix}"
        frame.to_parquet(path) if suffix == "parquet" else frame.to_csv(path, index=False)
        duck = count_logs([path], suffix, spec, engine="duckdb")
        batches = count_logs([path], suffix, spec, engine="batches")
    _same(duck, batches)
    assert duck.windows == batches.windows
    assert duck.rows_total == batches.rows_total == len(frame)


def test_auto_counts_small_logs_in_batches_and_large_ones_with_duckdb(tmp_path, monkeypatch):
    pytest.importorskip("duckdb")
    from responsible_ai.monitor import duckdb_windows, reading

    path = tmp_path / "logs.parquet"
    _logs(300).to_parquet(path)
    used: list[str] = []
    real = duckdb_windows.count_with_duckdb
    monkeypatch.setattr(
        duckdb_windows, "count_with_duckdb", lambda *a: used.append("duckdb") or real(*a)
    )
    small = count_logs([path], "parquet", SPEC)
    assert used == []
    monkeypatch.setattr(reading, "BATCHES_UP_TO", path.stat().st_size - 1)
    large = count_logs([path], "parquet", SPEC)
    assert used == ["duckdb"]
    _same(small, large)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_COLUMNS)).flatmap(lambda kind: _COLUMNS[kind]))
@example(pd.Series([1, True, 1.0, "1", None], dtype=object))
@example(pd.Series([0.0, -0.0, np.nan], dtype=float))
def test_groups_are_the_text_of_each_value(values: pd.Series) -> None:
    # Any column type as a sensitive column: the groups are the values' texts (1 and True in an
    # object column, 0.0 and -0.0 in a float one are different groups), missing as (missing).
    rows = len(values)
    frame = pd.DataFrame(
        {
            "ts": [pd.Timestamp("2025-03-01")] * rows,
            "group": values,
            "pred": (["yes", "no"] * rows)[:rows],
        }
    )
    spec = LogSpec("ts", ("days", 1), ["group"], "pred", "yes")
    got = count_frame(frame, spec).groups
    texts = _text_by_value(values).fillna("(missing)")
    expected = (
        pd.DataFrame({"group": texts, "predicted": frame["pred"] == "yes", "rows": 1})
        .groupby(["group", "predicted"], sort=True)["rows"]
        .sum()
    )
    keys = zip(got["group"], got["predicted"], strict=True)
    assert dict(zip(keys, got["rows"], strict=True)) == expected.to_dict()
    assert int(got["rows"].sum()) == rows


def test_decisions_other_than_the_positive_label_are_one_group() -> None:
    # Three classes: "bad" and "unsure" are both not "good": one key, not two rows of one key.
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2025-01-01"] * 4),
            "g": "a",
            "p": ["bad", "unsure", "good", "bad"],
            "y": ["bad", "unsure", "good", None],
        }
    )
    groups = count_frame(frame, LogSpec("ts", ("days", 1), ["g"], "p", "good", target="y")).groups
    assert groups[["predicted", "actual", "rows"]].values.tolist() == [
        [False, -1, 1],
        [False, 0, 2],
        [True, 1, 1],
    ]


def test_csv_rows_one_field_longer_than_the_header_are_refused(tmp_path) -> None:
    path = tmp_path / "logs.csv"
    path.write_text("ts,group,pred\n7,2025-01-01,a,yes\n8,2025-01-02,b,no\n")
    spec = LogSpec("ts", ("days", 1), ["group"], "pred", "yes")
    with pytest.raises(InputError, match="more fields than the header"):
        count_logs([path], "csv", spec, engine="batches")


def test_row_windows_need_no_timestamp_column_in_csv(tmp_path) -> None:
    path = tmp_path / "logs.csv"
    path.write_text("group,pred\na,yes\nb,no\n")
    spec = LogSpec("ts", parse_window("10 rows"), ["group"], "pred", "yes")
    assert count_logs([path], "csv", spec).rows_total == 2


def test_infinite_scores_are_refused() -> None:
    frame = _logs(20)
    frame.loc[3, "score"] = np.inf
    with pytest.raises(InputError, match="1 infinite value"):
        count_frame(frame, SPEC)
