"""ROC AUC on the engines: weighted counts per (group, outcome, fine score bin), no rows back.

On scores that are bin values (``k / 4096``) DuckDB and streamed Parquet equal the in-memory
engine to 1e-12, intervals included (Spark: test_engine_spark.py, sharing its session); on any
scores the binned AUC is within its reported bound of the unbinned one (Hypothesis), and a bound
above the tolerance is said in the evidence. The LL144 scoring rate comes from the same bins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from responsible_ai.auditing import audit
from responsible_ai.engines.choose import NEEDS_ROWS
from responsible_ai.errors import InputError
from responsible_ai.fairness.binned_auc import (
    AUC_BIN_TOLERANCE,
    AUC_BINS,
    BINNED_AUC_NOTE,
    binned_auc,
)
from responsible_ai.fairness.groups import GroupIndex
from responsible_ai.fairness.score_intervals import AUC_METHOD
from responsible_ai.fairness.scores import DELONG_METHOD, delong

pytest.importorskip("duckdb")

AUC = {"id": "auc", "metric": "fairness.roc_auc_difference", "must": "<= 0.5"}
AUC_TO_OVERALL = AUC | {"id": "auc-overall", "params": {"method": "to_overall"}}


def on_bins(scores: np.ndarray) -> np.ndarray:
    """Scores moved to bin values ``k / AUC_BINS`` (below 1: 1.0 shares the top bin)."""
    return np.minimum(np.round(np.asarray(scores) * AUC_BINS), AUC_BINS - 1) / AUC_BINS


def parts(data: pd.DataFrame, folder: Path) -> Path:
    """``data`` as a folder of three Parquet files (a single file is read into memory)."""
    folder.mkdir()
    for part, rows in enumerate(np.array_split(np.arange(len(data)), 3)):
        data.iloc[rows].to_parquet(folder / f"part-{part}.parquet")
    return folder


def binned_scored() -> pd.DataFrame:
    from test_engine_scores import scored

    return scored().assign(p=on_bins(scored()["p"]))


def auc_policy(weighted: bool, checks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    roles: dict[str, Any] = {
        "target": "credit",
        "score": "p",
        "sensitive": ["sex", "age_group"],
        "positive_label": "good",
    }
    if weighted:
        roles["weight"] = "weight"
    return {"name": "auc", "data": roles, "checks": checks or [AUC, AUC_TO_OVERALL]}


def same_auc(ours: Any, in_memory: Any) -> None:
    """Same values (1e-12), statuses, group values and intervals as the in-memory audit."""
    from engine_helpers import rounded

    assert [f.id for f in ours.checks] == [f.id for f in in_memory.checks]
    for a, b in zip(ours.checks, in_memory.checks, strict=True):
        assert a.status == b.status, a.id
        assert a.value == pytest.approx(b.value, abs=1e-12), a.id
        assert rounded(a.evidence["groups"]) == rounded(b.evidence["groups"]), a.id
        assert (a.interval is None) == (b.interval is None), a.id
        if a.interval is not None:
            assert a.interval["method"] == b.interval["method"], a.id
            for end in ("low", "high"):
                assert a.interval[end] == pytest.approx(b.interval[end], abs=1e-9), a.id
        assert "binned_scores" in a.evidence and "binned_scores" not in b.evidence
        assert a.evidence["binned_scores"]["bins"] == AUC_BINS


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_duckdb_and_streamed_parquet_equal_the_in_memory_auc(tmp_path: Path, weighted) -> None:
    data = binned_scored()
    path = tmp_path / "scored.parquet"
    data.to_parquet(path)
    folder = parts(data, tmp_path / "parts")
    in_memory = audit(data, auc_policy(weighted))
    on_duckdb = audit(path, auc_policy(weighted), engine="duckdb")
    streamed = audit(folder, auc_policy(weighted), engine="pandas")  # a folder streams
    assert streamed.data_notes[0].startswith("streamed from Parquet in 3 batch(es)")
    # one file is read into memory: ROC AUC exact, no binning
    assert "binned_scores" not in audit(path, auc_policy(weighted)).checks[0].evidence
    same_auc(on_duckdb, in_memory)
    same_auc(streamed, in_memory)
    methods = {f.interval["method"] for f in on_duckdb.checks if f.interval}
    # DeLong unweighted (closed form between groups, its draws to the overall AUC); weighted
    # rows have no AUC interval, in memory as on the engine
    assert methods == (set() if weighted else {AUC_METHOD, DELONG_METHOD})
    evidence = on_duckdb.checks[0].evidence["binned_scores"]
    assert 0 < evidence["max_group_bound"] <= evidence["disparity_bound"] / 2 < AUC_BIN_TOLERANCE
    assert "note" not in evidence


def test_binned_delong_equals_delong_on_bin_valued_scores() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    codes = rng.integers(0, 3, n)
    bins = rng.integers(0, 40, n) * 97 % AUC_BINS  # few distinct scores: many ties
    scores = bins / AUC_BINS
    truth = rng.random(n) < 0.2 + 0.6 * scores
    index = GroupIndex(("g",), [(0,), (1,), (2,)], codes)
    expected = delong(index, scores, truth)
    counts = np.zeros((3, AUC_BINS, 2))
    np.add.at(counts, (codes, bins, truth.astype(int)), 1.0)
    found = binned_auc(counts, counts, weighted=False).found
    np.testing.assert_allclose(found.auc, expected.auc, rtol=0, atol=1e-12)
    np.testing.assert_allclose(found.variance, expected.variance, rtol=0, atol=1e-12)
    assert found.overall_auc == pytest.approx(expected.overall_auc, abs=1e-12)
    assert found.overall_variance == pytest.approx(expected.overall_variance, abs=1e-12)
    weights = rng.exponential(size=n)
    weighted = np.zeros((3, AUC_BINS, 2))
    np.add.at(weighted, (codes, bins, truth.astype(int)), weights)
    result = binned_auc(weighted, counts, weighted=True).found
    assert np.isnan(result.variance).all()
    for g in range(3):
        rows = codes == g
        exact = roc_auc_score(truth[rows], scores[rows], sample_weight=weights[rows])
        assert result.auc[g] == pytest.approx(exact, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 400),
    spread=st.sampled_from([1.0, 1e-2, 1e-4]),
    weighted=st.booleans(),
)
def test_the_binning_bound_holds_on_any_scores(seed, n, spread, weighted) -> None:
    rng = np.random.default_rng(seed)
    scores = 0.5 + spread * (rng.random(n) - 0.5)  # narrow spreads: many scores per bin
    truth = rng.random(n) < scores
    if truth.all() or not truth.any():
        truth[0] = not truth[0]
    weights = rng.exponential(size=n) if weighted else np.ones(n)
    bins = np.minimum(np.floor(scores * AUC_BINS), AUC_BINS - 1).astype(int)
    counts = np.zeros((1, AUC_BINS, 2))
    np.add.at(counts, (np.zeros(n, dtype=int), bins, truth.astype(int)), weights)
    found = binned_auc(counts, counts, weighted)
    exact = roc_auc_score(truth, scores, sample_weight=weights)
    assert abs(found.found.auc[0] - exact) <= found.bound[0] + 1e-12
    assert 0 <= found.bound[0] <= 0.5


def test_a_bound_above_the_tolerance_is_said_in_the_evidence(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    data = pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], n),
            "p": 0.3 + 1e-5 * rng.random(n),  # every score in one bin
        }
    )
    data["y"] = np.where(rng.random(n) < data["p"], "yes", "no")
    path = tmp_path / "narrow.parquet"
    data.to_parquet(path)
    policy = {
        "name": "narrow",
        "data": {"target": "y", "score": "p", "sensitive": ["sex"], "positive_label": "yes"},
        "checks": [AUC],
    }
    (finding,) = audit(path, policy, engine="duckdb").checks
    (exact,) = audit(data, policy).checks
    evidence = finding.evidence["binned_scores"]
    assert evidence["max_group_bound"] == pytest.approx(0.5)
    assert evidence["note"] == BINNED_AUC_NOTE.format(
        bins=AUC_BINS, bound=evidence["max_group_bound"], tolerance=AUC_BIN_TOLERANCE
    )
    assert finding.value == pytest.approx(0.0, abs=1e-12)  # every group's binned AUC is 1/2
    assert abs(finding.value - exact.value) <= evidence["disparity_bound"]


SCORING = {"id": "ll144", "metric": "fairness.scoring_rate_ratio", "must": ">= 0.8"}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_the_scoring_rate_on_duckdb_equals_the_in_memory_one(tmp_path: Path, weighted) -> None:
    from engine_helpers import rounded

    data = binned_scored()
    path = tmp_path / "scored.parquet"
    data.to_parquet(path)
    policy = auc_policy(weighted, [SCORING])
    in_memory = audit(data, policy)
    folder = parts(data, tmp_path / "parts")
    for ours in (audit(path, policy, engine="duckdb"), audit(folder, policy, engine="pandas")):
        for a, b in zip(ours.checks, in_memory.checks, strict=True):
            assert (a.status, a.message) == (b.status, b.message)
            assert a.value == pytest.approx(b.value, abs=1e-12), a.id
            assert rounded(a.evidence["groups"]) == rounded(b.evidence["groups"]), a.id
            assert a.interval == pytest.approx(b.interval), a.id
            evidence = a.evidence["binned_scores"]
            # the median falls inside a bin: its rows (one score, the median) are not above it
            assert evidence["median_between"][1] - evidence["median_between"][0] == 1 / AUC_BINS


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    spread=st.sampled_from([1.0, 1e-3, 1e-5]),
)
def test_the_scoring_bound_holds_on_any_scores(seed, n, spread) -> None:
    from responsible_ai.fairness.binned_scoring import binned_scoring
    from responsible_ai.fairness.scores import scoring_decision

    rng = np.random.default_rng(seed)
    scores = 0.5 + spread * (rng.random(n) - 0.5)
    codes = rng.integers(0, 2, n)
    weights = rng.exponential(size=n)
    bins = np.minimum(np.floor(scores * AUC_BINS), AUC_BINS - 1).astype(int)
    rows, summed = np.zeros((2, AUC_BINS, 2)), np.zeros((2, AUC_BINS, 2))
    np.add.at(rows, (codes, bins, 0), 1.0)
    np.add.at(summed, (codes, bins, 0), weights)
    found = binned_scoring(("g",), [(0,), (1,)], rows, summed, has_target=False)
    above = scoring_decision(scores)[0]
    rates = []
    for g in range(2):
        total = weights[codes == g].sum()
        if total == 0:
            continue
        exact = weights[(codes == g) & above].sum() / total
        binned = found.counts.weights[g, 1] / total
        assert binned - 1e-12 <= exact <= binned + found.bound[g] + 1e-12
        assert found.counts.rows[g].sum() == (codes == g).sum()
        rates.append(exact)
    if len(rates) == 2 and max(rates) > 0:
        low, high = found.evidence(np.ones(2, dtype=bool))["ratio_between"]
        assert low - 1e-12 <= min(rates) / max(rates) <= high + 1e-12


def test_the_scoring_rate_is_exact_when_the_median_falls_on_a_bin_edge() -> None:
    from responsible_ai.fairness.binned_scoring import binned_scoring

    rows = np.zeros((1, AUC_BINS, 2))
    rows[0, 10, 0], rows[0, 20, 0] = 3, 3  # six rows: the median between bins 10 and 20
    found = binned_scoring(("g",), [(0,)], rows, rows, has_target=False)
    assert found.bound.tolist() == [0.0]
    assert found.counts.rows.tolist() == [[3, 3]]
    assert "note" not in found.evidence(np.ones(1, dtype=bool))


def test_scores_outside_0_1_are_an_error_on_the_engines(tmp_path: Path) -> None:
    from responsible_ai.fairness.engine_scores import SCORES_OUTSIDE_BINS

    data = binned_scored().assign(p=lambda d: d["p"] * 10)
    path = tmp_path / "scaled.parquet"
    data.to_parquet(path)
    low, high = float(data["p"].min()), float(data["p"].max())
    for finding in audit(path, auc_policy(False, [AUC, SCORING]), engine="duckdb").checks:
        assert finding.status == "error"
        assert SCORES_OUTSIDE_BINS.format(column="p", low=low, high=high) in finding.message


def test_what_still_needs_the_rows_is_refused_with_the_check_named(tmp_path: Path) -> None:
    path = tmp_path / "scored.parquet"
    binned_scored().to_parquet(path)
    flips = {"id": "flips", "metric": "privacy.direct_identifier_columns", "must": "== 0"}
    with pytest.raises(InputError) as refused:
        audit(path, auc_policy(False, [AUC, SCORING, flips]), engine="duckdb")
    assert str(refused.value) == NEEDS_ROWS.format(
        check="flips", metric=flips["metric"], engine="duckdb"
    )
