"""Bad input is refused before any metric runs, with one message naming the problem and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from responsible_ai import audit
from responsible_ai.errors import InputError

POLICY = {
    "name": "t",
    "data": {"target": "y", "positive_label": 1, "sensitive": ["sex"]},
    "checks": [
        {"id": "dp", "metric": "fairness.demographic_parity_difference", "must": "<= 1"},
    ],
}


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], n),
            "y": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
        }
    )


def test_missing_column_suggests_the_close_one() -> None:
    with pytest.raises(
        InputError, match=r"sensitive column 'sexx' is not in the data; did you mean 'sex'\?"
    ):
        audit(frame(), POLICY, prediction="pred", sensitive=["sexx"])


def test_positive_label_of_the_wrong_type() -> None:
    with pytest.raises(
        InputError,
        match=r"positive_label '1' \(str\) does not occur in column 'y', "
        r"whose values are int: write positive_label: 1",
    ):
        audit(frame(), POLICY, prediction="pred", positive_label="1")


def test_positive_label_that_does_not_occur() -> None:
    with pytest.raises(
        InputError, match=r"positive_label 7 does not occur in column 'y'; its values are 0, 1"
    ):
        audit(frame(), POLICY, prediction="pred", positive_label=7)


def test_empty_data() -> None:
    with pytest.raises(InputError, match="the data is empty"):
        audit(frame().iloc[:0], POLICY, prediction="pred")


def test_length_mismatch_of_arrays() -> None:
    with pytest.raises(InputError, match="prediction has 3 values but the data has 40 rows"):
        audit(frame(), POLICY, prediction=[1, 0, 1])


def test_arrays_are_accepted_as_roles() -> None:
    data = frame()
    report = audit(
        data.drop(columns=["y", "pred"]),
        POLICY,
        prediction=data["pred"].to_numpy(),
        target=data["y"].tolist(),
    )
    assert report.checks[0].status == "pass"


def test_missing_sensitive_values_form_their_own_group_and_are_reported() -> None:
    data = frame()
    data.loc[:4, "sex"] = None
    report = audit(data, POLICY, prediction="pred")
    groups = [row["group"] for row in report.checks[0].evidence["groups"]]
    assert groups == ["(missing)", "f", "m"]
    assert report.data_notes == [
        "5 row(s) with a missing value in sensitive feature 'sex' form the group '(missing)' "
        "(data.missing_sensitive: group)"
    ]


def test_missing_sensitive_values_can_be_dropped_with_a_count() -> None:
    data = frame()
    data.loc[:4, "sex"] = None
    policy = {**POLICY, "data": {**POLICY["data"], "missing_sensitive": "drop"}}
    report = audit(data, policy, prediction="pred")
    assert sum(row["count"] for row in report.checks[0].evidence["groups"]) == 35
    assert "dropped 5 row(s)" in report.data_notes[0]


def test_missing_target_values_are_refused() -> None:
    data = frame().astype({"y": float})
    data.loc[3, "y"] = np.nan
    with pytest.raises(InputError, match="target column 'y' has 1 missing value"):
        audit(data, POLICY, prediction="pred", positive_label=1.0)


def test_predictions_in_another_label_space() -> None:
    data = frame().assign(pred=lambda d: np.where(d["pred"] == 1, "yes", "no"))
    with pytest.raises(InputError, match="shares no value with target 'y'"):
        audit(data, POLICY, prediction="pred")


def test_data_of_the_wrong_type() -> None:
    with pytest.raises(InputError, match="data must be a pandas DataFrame or a CSV/Parquet path"):
        audit([[1, 2]], POLICY)  # type: ignore[arg-type]


def test_unreadable_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(InputError, match=r"expected a .csv, .tsv or .parquet file"):
        audit(path, POLICY)
