"""Bootstrap resamples of rows as counts: how often each row was drawn in each resample."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["DRAWS_PER_CHUNK", "resample_count_chunks", "resample_counts"]

#: Row indices drawn at once (32 MB of int64): the memory above the counts themselves.
DRAWS_PER_CHUNK = 4_000_000


def resample_count_chunks(
    rows: int, resamples: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """:func:`resample_counts` a chunk of resamples at a time (``count x rows`` each), for
    callers that reduce each chunk and never need all the counts at once."""
    if rows <= 0:
        return
    step = max(1, DRAWS_PER_CHUNK // rows)
    for start in range(0, resamples, step):
        count = min(step, resamples - start)
        drawn = rng.integers(0, rows, size=(count, rows))
        drawn += np.arange(count)[:, None] * rows
        yield np.bincount(drawn.ravel(), minlength=count * rows).reshape(count, rows)


def resample_counts(rows: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples x rows`` counts: each resample draws ``rows`` row indices with replacement.

    The indices are drawn and counted with ``bincount``, a chunk of resamples at a time: the
    same distribution as ``rng.multinomial(rows, [1 / rows] * rows, size=resamples)`` (every
    resample sums to ``rows``) in a fifth of its time, and the same numbers whatever the chunks
    (the generator's stream is consumed in order). Memory: the counts plus one chunk of draws.
    """
    counts = np.zeros((max(resamples, 0), max(rows, 0)), dtype=np.int64)
    start = 0
    for chunk in resample_count_chunks(rows, resamples, rng):
        counts[start : start + len(chunk)] = chunk
        start += len(chunk)
    return counts
