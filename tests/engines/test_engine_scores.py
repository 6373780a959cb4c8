"""Score and regression metrics on the engines: sums computed where the rows are, no rows back.

The values equal the in-memory engine's to 1e-12 on DuckDB and on streamed Parquet (Spark: in
test_engine_spark.py, sharing its session); the intervals that the in-memory engine bootstraps
from rows come from the sums' bootstrap, which matches the row bootstrap within Monte Carlo
error; what needs each row stays refused with the check named (ROC AUC and the scoring
rate from fine score bins: test_engine_auc.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_helpers import german_model_and_decisions, rounded, same_findings
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.engines.choose import NEEDS_ROWS
from responsible_ai.engines.sums import frame_count_table, merge_count_tables
from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import GroupIndex, group_index
from responsible_ai.fairness.score_sums import (
    FROM_SUMS,
    SUMS_BOOTSTRAP_METHOD,
    SUMS_SIMULTANEOUS_METHOD,
    SumsNeeded,
    group_sums,
    metric_sums,
)
from responsible_ai.fairness.scores import MAE_METHOD, row_sums
from responsible_ai.reference_models import train_reference_model

pytest.importorskip("duckdb")

CHECKS: list[dict[str, Any]] = [
    {"id": "mean-score", "metric": "fairness.mean_score_difference", "must": "<= 0.5"},
    {"id": "gap", "metric": "fairness.calibration_gap_difference", "must": "<= 0.5"},
    {"id": "ece", "metric": "fairness.expected_calibration_error_difference", "must": "<= 0.5"},
    {
        "id": "ece-5-intersectional",
        "metric": "fairness.expected_calibration_error_difference",
        "must": "<= 0.5",
        "by": ["sex", "age_group"],
        "params": {"n_bins": 5},
    },
    {
        "id": "ece-to-overall",
        "metric": "fairness.expected_calibration_error_difference",
        "must": "<= 0.5",
        "params": {"method": "to_overall"},
    },
    {"id": "mean-prediction", "metric": "fairness.mean_prediction_ratio", "must": ">= 0.5"},
    {
        "id": "mae",
        "metric": "fairness.mean_absolute_error_difference",
        "must": "<= 0.5",
        "params": {"target": "outcome"},
    },
    {
        "id": "rmse",
        "metric": "fairness.root_mean_squared_error_difference",
        "must": "<= 0.5",
        "params": {"target": "outcome", "prediction": "p"},
    },
    {"id": "four-fifths", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"},
]


@cache
def scored() -> pd.DataFrame:
    """German credit with decisions, a score, a numeric outcome, two missing sexes, weights."""
    _model, data = german_model_and_decisions()
    model, dataset = train_reference_model("german_credit")
    good = list(model.classes_).index("good")
    return data.assign(
        p=model.predict_proba(dataset.data[dataset.features])[:, good],
        outcome=(data["credit"] == "good").astype(float),
    )


def policy(weighted: bool, prediction: bool = True) -> dict[str, Any]:
    roles: dict[str, Any] = {
        "target": "credit",
        "score": "p",
        "sensitive": ["sex", "age_group"],
        "positive_label": "good",
    }
    if prediction:
        roles["prediction"] = "approved"
    if weighted:
        roles["weight"] = "weight"
    checks = CHECKS if prediction else CHECKS[:-1]
    return {"name": "scores", "data": roles, "checks": checks}


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "scored.parquet"
    scored().to_parquet(path)
    return path


def same_values(ours: Any, in_memory: Any) -> None:
    """Same checks, statuses, values (1e-12) and group evidence as the in-memory audit."""
    assert [f.id for f in ours.checks] == [f.id for f in in_memory.checks]
    assert [f.status for f in ours.checks] == [f.status for f in in_memory.checks]
    for a, b in zip(ours.checks, in_memory.checks, strict=True):
        assert a.value == pytest.approx(b.value, abs=1e-12), a.id
        assert rounded(a.evidence["groups"]) == rounded(b.evidence["groups"]), a.id


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_duckdb_and_streamed_parquet_equal_the_in_memory_engine(parquet, weighted) -> None:
    in_memory = audit(scored(), policy(weighted))
    on_duckdb = audit(parquet, policy(weighted), engine="duckdb")
    streamed = audit(parquet, policy(weighted))  # a .parquet with such a policy streams
    same_values(on_duckdb, in_memory)
    same_values(streamed, in_memory)
    same_findings(on_duckdb, streamed)  # the same sums: the same intervals too
    assert on_duckdb.data_notes[0].endswith("per-group counts only and score sums")
    assert streamed.data_notes[0].startswith("streamed from Parquet in 1 batch(es)")
    assert on_duckdb.data_notes[1:] == streamed.data_notes[1:]
    methods = {f.id: f.interval["method"] for f in on_duckdb.checks if f.interval}
    memory = {f.id: f.interval["method"] for f in in_memory.checks if f.interval}
    # MAE and RMSE draw from sums in memory too: the same method and the same interval
    assert methods["mae[age_group]"] == memory["mae[age_group]"] == MAE_METHOD
    mae = next(f for f in on_duckdb.checks if f.id == "mae[age_group]")
    assert mae.interval == pytest.approx(
        next(f for f in in_memory.checks if f.id == "mae[age_group]").interval
    )
    # resampled rows in memory; the sums' bootstrap on the engine, and the evidence says so
    assert methods["gap[age_group]"] == SUMS_BOOTSTRAP_METHOD
    assert methods["gap[sex]"] == SUMS_SIMULTANEOUS_METHOD  # three groups with the missing one
    if not weighted:  # ECE's closed form between groups, from per-bin sums: the same interval
        ece = next(f for f in on_duckdb.checks if f.id == "ece[sex]")
        assert ece.interval == pytest.approx(
            next(f for f in in_memory.checks if f.id == "ece[sex]").interval
        )


def test_a_score_policy_needs_no_prediction_column(parquet) -> None:
    in_memory = audit(scored().drop(columns=["approved"]), policy(False, prediction=False))
    same_values(audit(parquet, policy(False, prediction=False), engine="duckdb"), in_memory)
    same_values(audit(parquet, policy(False, prediction=False)), in_memory)


def test_csv_globs_and_missing_groups_dropped(tmp_path) -> None:
    data = scored()
    for part, rows in enumerate(np.array_split(np.arange(len(data)), 3)):
        data.iloc[rows].to_csv(tmp_path / f"part-{part}.csv", index=False)
    dropped = policy(True) | {"data": policy(True)["data"] | {"missing_sensitive": "drop"}}
    in_memory = audit(data, dropped)
    on_duckdb = audit(str(tmp_path / "*.csv"), dropped, engine="duckdb")
    same_values(on_duckdb, in_memory)
    assert "dropped" in on_duckdb.data_notes[-1]


def test_what_still_needs_the_rows_is_refused_with_the_check_named(parquet, capsys) -> None:
    # ROC AUC is no longer refused: binned counts (tests/engines/test_engine_auc.py)
    auc = {"id": "auc", "metric": "fairness.roc_auc_difference", "must": "<= 0.1"}
    ranked = policy(False) | {"checks": [*CHECKS, auc]}
    assert audit(parquet, ranked, engine="duckdb").checks[-1].status == "pass"
    flips = {"id": "flips", "metric": "privacy.direct_identifier_columns", "must": "== 0"}
    path = parquet.parent / "flips.yaml"
    path.write_text(
        "name: flips\ndata: {target: credit, score: p, prediction: approved, "
        "sensitive: [sex], positive_label: good}\n"
        "checks:\n  - {id: flips, metric: privacy.direct_identifier_columns, must: '== 0'}\n"
    )
    code = main(["check", str(parquet), "--policy", str(path), "--engine", "duckdb"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        "rai: error: " + NEEDS_ROWS.format(check="flips", metric=flips["metric"], engine="duckdb")
    ]


def test_bad_score_and_regression_columns_fail_as_in_memory(tmp_path) -> None:
    data = scored().assign(outcome=scored()["outcome"].astype(object))
    data.loc[5, "outcome"] = "none yet"  # not a number: the regression checks error
    data.loc[7, "p"] = np.nan
    csv = tmp_path / "bad.csv"
    data.to_csv(csv, index=False)
    with pytest.raises(InputError, match="score column 'p' has 1 missing value"):
        audit(csv, policy(False), engine="duckdb")
    with pytest.raises(InputError, match="score column 'p' has 1 missing value"):
        audit(data, policy(False))
    data.loc[7, "p"] = 1.5  # a score outside [0, 1]: ECE errors, as in memory
    data.to_csv(csv, index=False)
    on_duckdb = {f.id: f for f in audit(csv, policy(False), engine="duckdb").checks}
    in_memory = {f.id: f for f in audit(pd.read_csv(csv), policy(False)).checks}
    for check in ("mae[sex]", "rmse[age_group]", "ece[sex]", "ece-5-intersectional"):
        assert on_duckdb[check].status == in_memory[check].status == "error"
        assert on_duckdb[check].message == in_memory[check].message
    data.loc[5, "outcome"] = "n/a"  # what pandas reads as missing is missing on DuckDB too
    data.to_csv(csv, index=False)
    on_duckdb = {f.id: f for f in audit(csv, policy(False), engine="duckdb").checks}
    in_memory = {f.id: f for f in audit(pd.read_csv(csv), policy(False)).checks}
    assert on_duckdb["mae[sex]"].message == in_memory["mae[sex]"].message
    assert in_memory["mae[sex]"].message.endswith("has missing values")
    missing = policy(False) | {
        "checks": [CHECKS[6] | {"params": {"target": "no_such_column"}}, CHECKS[-1]]
    }
    found = audit(csv, missing, engine="duckdb").checks[0]
    assert found.status == in_memory["mae[sex]"].status == "error"
    assert found.message == audit(pd.read_csv(csv), missing).checks[0].message


def _table_sums(frame: pd.DataFrame, needed: SumsNeeded, n_bins: int = 1) -> Any:
    table = frame_count_table(frame, ["g", "y"], "w", needed)
    index = group_index(table, ["g"])
    outcome = table["y"].to_numpy(dtype=bool)
    return group_sums(table, index.codes, index.groups, ["g"], outcome, needed, n_bins)


@pytest.mark.parametrize(
    ("metric", "weighted"),
    [("calibration_gap", False), ("mean_score", True), ("expected_calibration_error", True)],
)
def test_the_sums_bootstrap_matches_the_row_bootstrap(metric, weighted) -> None:
    """Replicates from sums have the row bootstrap's centre, spread and tails, group by group
    (a group of 12 rows too), within Monte Carlo error of 4,000 replicates each."""
    rng = np.random.default_rng(7)
    codes = rng.choice(3, size=900, p=[0.6, 0.387, 0.013])
    score = rng.uniform(0.05, 0.95, len(codes))
    frame = pd.DataFrame(
        {
            "g": codes,
            "y": rng.random(len(codes)) < score - 0.05 * codes,
            "p": score,
            "w": rng.uniform(0.2, 3.0, len(codes)) if weighted else 1.0,
        }
    )
    n_bins = 10 if metric == "expected_calibration_error" else 1
    needed = SumsNeeded(("p",), (), "p" if n_bins > 1 else None, (n_bins,) if n_bins > 1 else ())
    sums = metric_sums(metric, _table_sums(frame, needed, n_bins), "p")
    index = GroupIndex(("g",), [(0,), (1,), (2,)], codes)
    rows = row_sums(metric, index, score, frame["y"].to_numpy(), n_bins)
    assert rows is not None
    weight = frame["w"].to_numpy(dtype=float)
    np.testing.assert_allclose(sums.values()[0], rows.values(weight)[0], rtol=1e-12)
    from_sums, overall_sums = sums.replicates(4000, np.random.default_rng(1))
    from_rows, overall_rows = rows.replicates(weight, 4000, np.random.default_rng(2))
    for ours, theirs in ((from_sums, from_rows), (overall_sums[:, None], overall_rows[:, None])):
        sd = np.nanstd(theirs, axis=0)
        centre = np.abs(np.nanmean(ours, axis=0) - np.nanmean(theirs, axis=0))
        assert (centre <= 0.12 * sd).all(), (centre, sd)
        np.testing.assert_allclose(np.nanstd(ours, axis=0), sd, rtol=0.12)
        for q in (2.5, 97.5):
            tail = np.nanpercentile(ours, q, axis=0) - np.nanpercentile(theirs, q, axis=0)
            assert (np.abs(tail) <= 0.3 * sd).all(), (q, tail, sd)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", None]),
            st.booleans(),
            st.floats(0, 1),
            st.floats(0, 5),
            st.floats(-3, 3),
        ),
        min_size=1,
        max_size=40,
    ),
    cut=st.integers(0, 40),
)
def test_count_tables_of_batches_add_up_to_the_whole(rows, cut) -> None:
    frame = pd.DataFrame(rows, columns=["g", "y", "p", "w", "z"])
    needed = SumsNeeded(("p",), (("p", "z"),), "p", (10,))
    keys = ["g", "y", "rai_bin10"]
    whole = frame_count_table(frame, ["g", "y"], "w", needed)
    parts = [frame.iloc[:cut], frame.iloc[cut:]]
    merged = merge_count_tables(
        [frame_count_table(part, ["g", "y"], "w", needed) for part in parts if len(part)], keys
    )
    order = [*keys]
    whole = whole.sort_values(order, na_position="first").reset_index(drop=True)
    merged = merged.sort_values(order, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, whole, check_exact=False, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.booleans(),
            st.floats(0, 1),
            st.floats(0.01, 5),
            st.floats(-3, 3),
        ),
        min_size=1,
        max_size=60,
    ),
    metric=st.sampled_from(sorted(FROM_SUMS)),
)
def test_values_from_sums_equal_values_from_rows(rows, metric) -> None:
    frame = pd.DataFrame(rows, columns=["g", "y", "p", "w", "z"])
    regression = metric in ("mean_prediction", "mean_absolute_error", "root_mean_squared_error")
    n_bins = 10 if metric == "expected_calibration_error" else 1
    needed = SumsNeeded(("p",), (("p", "z"),), "p", (10,))
    found = _table_sums(frame, needed, n_bins)
    summed = metric_sums(metric, found, "p", "z" if regression else None)
    index = group_index(frame, ["g"])
    truth = frame["z"] if regression else frame["y"]
    rows_form = row_sums(metric, index, frame["p"].to_numpy(), truth.to_numpy(), n_bins)
    assert rows_form is not None
    ours, overall = summed.values()
    theirs, theirs_overall = rows_form.values(frame["w"].to_numpy())
    assert [g[0] for g in found.groups] == [g[0] for g in index.groups]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)  # values of a few units at most
    assert overall == pytest.approx(theirs_overall, rel=0, abs=1e-12)


def test_duckdb_draws_no_progress_bar_on_stdout(tmp_path) -> None:
    """A scan over 2 s would draw one on stdout, into a report written there."""
    from responsible_ai.engines.duckdb_engine import _connect

    con = _connect(tmp_path)
    try:
        setting = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    finally:
        con.close()
    assert setting == (False,)
