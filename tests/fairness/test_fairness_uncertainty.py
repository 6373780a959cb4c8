"""Significance tests and multiple-comparison corrections against known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from responsible_ai.fairness.groups import count_groups
from responsible_ai.fairness.rates import group_rate
from responsible_ai.fairness.uncertainty import (
    adjust_p_values,
    bootstrap_cells,
    two_proportion_test,
)


def test_holm_and_benjamini_hochberg() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_p_values(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p_values(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert math.isnan(adjust_p_values([math.nan, 0.2], "holm")[0])


def test_z_test_for_large_cells_and_fisher_for_small_ones() -> None:
    p, test = two_proportion_test(60, 100, 40, 100)
    assert test == "two-proportion z-test"
    assert p == pytest.approx(0.004677734981047276, rel=1e-9)
    p, test = two_proportion_test(1, 10, 6, 10)
    assert test == "Fisher's exact test"
    assert p == pytest.approx(fisher_exact([[1, 9], [6, 4]]).pvalue)


def test_poisson_bootstrap_of_counts_has_the_binomial_spread() -> None:
    import pandas as pd

    rows = pd.DataFrame({"g": ["a"] * 400})
    pred = np.arange(400) < 100
    counts = count_groups(rows, ["g"], pred)
    replicates = bootstrap_cells(counts, 4000, np.random.default_rng(1))
    rates = group_rate(replicates, "selection_rate")[:, 0]
    assert rates.mean() == pytest.approx(0.25, abs=0.003)
    assert rates.std() == pytest.approx(math.sqrt(0.25 * 0.75 / 400), rel=0.08)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.floats(min_value=0.0, max_value=1.0),
        st.sampled_from([0.0, 1.0, -0.1, 1.1, float("nan"), float("inf"), 5e-324, 1 - 2**-53]),
    )
)
def test_the_normal_quantile_is_scipys_ndtri(p) -> None:
    # Without scipy on the follow path, and the same at the edges: ±inf at 0 and 1, NaN outside.
    from scipy.special import ndtri

    from responsible_ai.fairness.simultaneous import normal_quantile

    ours, theirs = normal_quantile(p), float(ndtri(p))
    if np.isnan(theirs) or np.isinf(theirs):
        assert ours == theirs or (np.isnan(ours) and np.isnan(theirs))
    else:
        assert ours == pytest.approx(theirs, rel=1e-14, abs=1e-300)
