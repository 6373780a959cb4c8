"""Drift statistics from histograms equal Evidently's definitions computed on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial import distance

from responsible_ai.monitor.drift import choose_method, drift
from responsible_ai.monitor.evaluate import _drift_of
from responsible_ai.monitor.profile import build_profile
from responsible_ai.monitor.reading import LogSpec, count_frame


def _histograms(reference: pd.Series, current: pd.Series, kind: str):
    """The monitor's path: a reference profile, one window's counts, then the statistic."""
    frame = pd.DataFrame({"f": reference})
    profile = build_profile(
        frame,
        ["f"],
        [] if kind == "numeric" else ["f"],
        score=None,
        target=None,
        positive_label="1",
        where="ref",
    ).features["f"]
    spec = LogSpec(
        "ts",
        ("rows", 10**9),
        [],
        "p",
        "1",
        numeric={"f": profile.edges} if kind == "numeric" else {},
        categorical=[] if kind == "numeric" else ["f"],
    )
    counts = count_frame(pd.DataFrame({"ts": 0, "p": "1", "f": current}), spec)
    table = counts.features
    return profile, (
        table["bin"].astype(str).to_numpy(dtype=object),
        table["rows"].to_numpy(dtype=float),
        table["value_sum"].to_numpy(dtype=float),
    )


def _evidently_percents(reference: pd.Series, current: pd.Series):
    keys = sorted(set(reference) | set(current))
    ref = reference.value_counts(normalize=True).reindex(keys, fill_value=0).to_numpy()
    cur = current.value_counts(normalize=True).reindex(keys, fill_value=0).to_numpy()
    ref = np.where(ref == 0, 0.0001, ref)
    cur = np.where(cur == 0, 0.0001, cur)
    return ref, cur


RNG = np.random.default_rng(7)
NUM_REF = pd.Series(RNG.integers(18, 75, 900).astype(float))
NUM_CUR = pd.Series(RNG.integers(20, 80, 400).astype(float))
CAT_REF = pd.Series(RNG.choice(list("abcd"), 900, p=[0.4, 0.3, 0.2, 0.1]))
CAT_CUR = pd.Series(RNG.choice(list("abce"), 400, p=[0.25, 0.25, 0.25, 0.25]))


def _ours(method: str, kind: str, reference: pd.Series, current: pd.Series) -> float:
    profile, window = _histograms(reference, current, kind)
    result = _drift_of(profile, *window, method, None)
    assert result is not None
    return float(result["score"])


def test_ks_equals_scipy_on_the_rows() -> None:
    expected = stats.ks_2samp(NUM_REF, NUM_CUR).pvalue
    assert _ours("ks", "numeric", NUM_REF, NUM_CUR) == pytest.approx(expected, rel=1e-9)


def test_normed_wasserstein_equals_evidently_on_the_rows() -> None:
    expected = stats.wasserstein_distance(NUM_REF, NUM_CUR) / max(np.std(NUM_REF), 0.001)
    assert _ours("wasserstein", "numeric", NUM_REF, NUM_CUR) == pytest.approx(expected, rel=1e-9)


def test_chi_square_equals_evidently_on_the_rows() -> None:
    keys = sorted(set(CAT_REF) | set(CAT_CUR))
    k_norm = len(CAT_CUR) / len(CAT_REF)
    f_exp = [CAT_REF.value_counts().get(k, 0) * k_norm for k in keys]
    f_obs = [CAT_CUR.value_counts().get(k, 0) for k in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = stats.chisquare(f_obs, f_exp).pvalue
    expected = 0.0 if np.isnan(expected) else expected
    assert _ours("chi_square", "categorical", CAT_REF, CAT_CUR) == pytest.approx(
        expected, abs=1e-12
    )
    same = CAT_REF.sample(400, random_state=1, replace=True)
    keys = sorted(set(CAT_REF))
    f_exp = [CAT_REF.value_counts().get(k, 0) * 400 / 900 for k in keys]
    f_obs = [same.value_counts().get(k, 0) for k in keys]
    assert _ours("chi_square", "categorical", CAT_REF, same) == pytest.approx(
        stats.chisquare(f_obs, f_exp).pvalue, rel=1e-9
    )


def test_psi_and_jensen_shannon_equal_evidently_on_categories() -> None:
    ref, cur = _evidently_percents(CAT_REF, CAT_CUR)
    psi = float(np.sum((ref - cur) * np.log(ref / cur)))
    assert _ours("psi", "categorical", CAT_REF, CAT_CUR) == pytest.approx(psi, rel=1e-12)
    js = distance.jensenshannon(ref, cur)
    assert _ours("jensen_shannon", "categorical", CAT_REF, CAT_CUR) == pytest.approx(js, rel=1e-12)


def test_z_test_equals_a_two_proportion_z_test() -> None:
    ref = pd.Series(["no"] * 700 + ["yes"] * 300)
    cur = pd.Series(["no"] * 150 + ["yes"] * 150)
    p1, p2, n1, n2 = 0.7, 0.5, 1000, 300
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    expected = 2 * (1 - stats.norm.cdf(abs(z)))
    assert _ours("z", "categorical", ref, cur) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("kind", "rows", "values", "method"),
    [
        ("numeric", 1000, 6, "ks"),
        ("numeric", 1000, 5, "chi_square"),
        ("numeric", 1000, 2, "z"),
        ("categorical", 500, 3, "chi_square"),
        ("categorical", 500, 2, "z"),
        ("numeric", 1001, 6, "wasserstein"),
        ("numeric", 1001, 5, "jensen_shannon"),
        ("categorical", 5000, 40, "jensen_shannon"),
    ],
)
def test_auto_chooses_as_evidently_does(kind, rows, values, method) -> None:
    assert choose_method(kind, rows, values) == method


def test_an_unchanged_distribution_does_not_drift_and_a_shifted_one_does() -> None:
    bins = [str(i) for i in range(10)]
    ref = np.full(10, 100.0)
    assert not drift("psi", "categorical", bins, ref, ref / 4).drifted
    shifted = np.array([0, 0, 0, 0, 0, 50, 50, 50, 50, 50], dtype=float)
    assert drift("psi", "categorical", bins, ref, shifted).drifted
    assert drift("ks", "numeric", bins, ref, shifted).drifted


_SAMPLE = st.lists(
    st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.floats(0.001, 1e6, allow_nan=False)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(_SAMPLE, _SAMPLE)
def test_our_wasserstein_is_scipys_to_the_last_bit(u, v) -> None:
    from responsible_ai.monitor.drift import wasserstein_distance

    (uv, uw), (vv, vw) = (np.array(side).T for side in (u, v))
    ours = wasserstein_distance(uv, vv, uw, vw)
    assert ours == stats.wasserstein_distance(uv, vv, u_weights=uw, v_weights=vw)


_SHARES = st.lists(st.floats(0.0001, 1e6, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=100, deadline=None)
@given(_SHARES, st.data())
def test_our_jensen_shannon_is_scipys_to_the_last_bit(p, data) -> None:
    from scipy.spatial import distance

    from responsible_ai.monitor.drift import jensen_shannon

    q = data.draw(st.lists(st.floats(0.0001, 1e6), min_size=len(p), max_size=len(p)))
    assert jensen_shannon(np.array(p), np.array(q)) == distance.jensenshannon(p, q)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3000), st.floats(0, 1e5, allow_nan=False))
def test_the_chi_square_survival_is_scipys(degrees, statistic) -> None:
    from scipy.special import chdtrc

    from responsible_ai.monitor.drift import chi_square_survival

    expected = float(chdtrc(degrees, statistic))
    assert chi_square_survival(degrees, statistic) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_one_bin_has_no_chi_square_drift() -> None:
    # scipy's chdtrc(0, 1e-12) is 0: a rounding error in the only bin would read as drift.
    from responsible_ai.monitor.drift import _chi_square_p_value, chi_square_survival

    assert chi_square_survival(0, 1e-12) == 1.0
    assert _chi_square_p_value(np.array([300.0]), np.array([7.0])) == 1.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e6) | st.just(0.0), st.floats(0, 1e6) | st.just(0.0)),
        min_size=1,
        max_size=30,
    )
)
def test_our_relative_entropy_is_scipys_to_the_last_bit(pairs) -> None:
    from scipy.special import rel_entr

    from responsible_ai.monitor.drift import _rel_entr

    x, y = (np.array(side, dtype=float) for side in zip(*pairs, strict=True))
    assert _rel_entr(x, y).tolist() == rel_entr(x, y).tolist()
