"""``count_by``: the NumPy counts equal a pandas ``groupby(sort=True)`` on any keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai.monitor import grouping
from responsible_ai.monitor.grouping import coded, coded_text, count_by
from responsible_ai.monitor.reading import _text


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 200),
    st.lists(st.integers(1, 2**40), min_size=1, max_size=4),
    st.integers(0, 2**32 - 1),
)
def test_count_by_is_a_sorted_groupby(rows: int, spaces: list[int], seed: int) -> None:
    # Key spaces up to 2**40 each: four of them overflow one int64, so the keys are made dense
    # again on the way (the bound the code keeps).
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            f"k{i}": rng.integers(0, space, rows) % rng.integers(1, 6)
            for i, space in enumerate(spaces)
        }
    )
    frame["w"] = rng.random(rows)
    keys = {name: coded(frame[name].to_numpy()) for name in frame.columns if name != "w"}
    got = count_by(keys, {"w": frame["w"].to_numpy()}, [*keys, "rows", "w"])
    frame["rows"] = 1
    expected = frame.groupby(list(keys), sort=True)[["rows", "w"]].sum().reset_index()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_wide_keys_are_made_dense_before_they_overflow(monkeypatch) -> None:
    monkeypatch.setattr(grouping, "_KEY_BOUND", 8)  # force the dense step at every key
    values = np.array([3, 1, 3, 2, 1, 3])
    keys = {"a": coded(values), "b": coded(values * 10), "c": coded(-values)}
    got = count_by(keys, {}, ["a", "b", "c", "rows"])
    assert got.to_dict("list") == {
        "a": [1, 2, 3],
        "b": [10, 20, 30],
        "c": [-1, -2, -3],
        "rows": [2, 1, 3],
    }


def test_values_with_the_same_text_share_a_code_and_missing_is_counted() -> None:
    column = pd.Series([1, "1", None, True, "true", float("nan"), "a"], dtype=object)
    key, missing = coded_text(column, _text, "(missing)")
    names = key.values[key.codes].tolist()
    assert names == ["1", "1", "(missing)", "true", "true", "(missing)", "a"]
    assert missing == 2
    assert len(set(key.codes[[0, 1]])) == 1 and len(set(key.codes[[3, 4]])) == 1


def test_no_rows_give_an_empty_table_with_the_columns() -> None:
    keys = {"a": coded(np.array([], dtype=np.int64))}
    assert list(count_by(keys, {}, ["a", "rows"]).columns) == ["a", "rows"]
