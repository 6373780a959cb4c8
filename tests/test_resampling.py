"""Bootstrap resample counts: shape, sums and the multinomial's moments."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from responsible_ai._resampling import resample_counts


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 60), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_every_resample_draws_as_many_rows_as_there_are(rows, resamples, seed) -> None:
    counts = resample_counts(rows, resamples, np.random.default_rng(seed))
    assert counts.shape == (resamples, rows)
    assert (counts >= 0).all()
    assert (counts.sum(axis=1) == rows).all()


def test_counts_have_the_multinomials_mean_variance_and_covariance() -> None:
    rows, resamples = 20, 40_000
    counts = resample_counts(rows, resamples, np.random.default_rng(7)).astype(float)
    # Multinomial(rows, 1/rows): mean 1, variance 1 - 1/rows, covariance -1/rows.
    assert np.allclose(counts.mean(axis=0), 1.0, atol=0.03)
    assert np.allclose(counts.var(axis=0), 1 - 1 / rows, atol=0.04)
    off = np.cov(counts.T)[~np.eye(rows, dtype=bool)]
    assert abs(off.mean() + 1 / rows) < 0.005
    # Each row is drawn at all in about 1 - (1 - 1/rows)^rows of the resamples.
    assert abs((counts > 0).mean() - (1 - (1 - 1 / rows) ** rows)) < 0.01


def test_chunks_give_the_same_counts_as_one_draw(monkeypatch) -> None:
    import responsible_ai._resampling as resampling

    whole = resample_counts(37, 50, np.random.default_rng(3))
    monkeypatch.setattr(resampling, "DRAWS_PER_CHUNK", 37 * 7)  # 8 chunks, the last short
    assert (resample_counts(37, 50, np.random.default_rng(3)) == whole).all()
