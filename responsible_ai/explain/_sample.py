"""Which rows to explain: a seeded sample, stratified so that every sensitive group is present."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext

__all__ = ["audited_rows", "stratified_sample"]


def audited_rows(context: AuditContext) -> pd.DataFrame:
    """The rows the explanation and robustness checks read: the data in memory, or the sample
    an engine collected (DuckDB or Spark: :mod:`responsible_ai.engines.sample`)."""
    sample = context.computed("explain.engine_sample")
    return sample.frame if sample is not None else context.data.frame


def stratified_sample(
    frame: pd.DataFrame,
    strata: list[str],
    rows: int,
    *,
    min_per_group: int = 30,
    random_state: int = 0,
) -> pd.Index:
    """Index labels of a sample of about ``rows`` rows, stratified by the ``strata`` columns.

    Each group (combination of the strata values) gets its proportional share of ``rows``, and at
    least ``min_per_group`` rows (or all its rows when it has fewer), so small groups are
    represented. The result may therefore exceed ``rows`` by a few rows per small group.

    Parameters
    ----------
    frame : DataFrame
        The data.
    strata : list of str
        Columns whose combinations define the groups; empty means a simple random sample.
    rows : int
        Target sample size. When the data has no more rows, every row is returned.
    min_per_group : int, default 30
        Minimum rows per group.
    random_state : int, default 0
        Seed.

    Returns
    -------
    pandas.Index
        Labels of the sampled rows, in the order of ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"g": ["a"] * 95 + ["b"] * 5})
    >>> picked = stratified_sample(frame, ["g"], 20, min_per_group=5)
    >>> frame.loc[picked, "g"].value_counts().to_dict()
    {'a': 19, 'b': 5}
    """
    if len(frame) <= rows:
        return frame.index
    rng = np.random.default_rng(random_state)
    if not strata:
        chosen = rng.choice(len(frame), size=rows, replace=False)
        return frame.index[np.sort(chosen)]
    codes = frame.groupby(strata, sort=True, dropna=False).ngroup().to_numpy()
    positions: list[np.ndarray] = []
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        share = round(rows * len(members) / len(frame))
        take = min(len(members), max(share, min_per_group))
        positions.append(rng.choice(members, size=take, replace=False))
    return frame.index[np.sort(np.concatenate(positions))]
