"""Per-group sufficient statistics: weighted confusion counts, counted once and reused.

Every group fairness metric is a function of these counts, so counting is the only pass over the
rows; rates, disparities and (later) bootstrap intervals all work on arrays of length n_groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from responsible_ai.fairness.catalog import GROUP_METRICS

__all__ = ["GroupCounts", "count_groups", "group_rate"]

_CELLS = ("n", "pp", "tp", "fp", "tn", "fn")


@dataclass(frozen=True)
class GroupCounts:
    """Weighted counts per group of the sensitive feature(s) ``by``.

    ``cells[name]`` is an array over groups for ``n`` (weighted rows), ``pp`` (predicted positive),
    and, when the target is known, ``tp``, ``fp``, ``tn``, ``fn``. ``rows`` counts unweighted rows.
    """

    by: tuple[str, ...]
    groups: list[tuple[object, ...]]
    rows: np.ndarray
    cells: dict[str, np.ndarray]
    has_target: bool

    @property
    def labels(self) -> list[str]:
        """Readable group names: ``"female"``, or ``"female / under 25"`` for intersections."""
        return [" / ".join(str(value) for value in group) for group in self.groups]

    def total(self) -> dict[str, float]:
        """The counts of the whole data, as one group."""
        return {name: float(values.sum()) for name, values in self.cells.items()}


def count_groups(
    frame: pd.DataFrame,
    by: Sequence[str],
    y_pred: np.ndarray,
    y_true: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> GroupCounts:
    """Count confusion cells per group in one pass.

    Parameters
    ----------
    frame : DataFrame
        Holds the ``by`` columns; missing values must already be resolved.
    by : sequence of str
        Sensitive feature columns; several columns give intersectional groups.
    y_pred, y_true : ndarray of bool
        Whether the prediction / the truth equals the positive label.
    weight : ndarray of float, optional
        Sample weights; default 1 for every row.
    """
    codes = np.zeros(len(frame), dtype=np.int64)
    levels: list[np.ndarray] = []
    for column in by:
        column_codes, uniques = pd.factorize(frame[column], sort=True)
        codes = codes * len(uniques) + column_codes
        levels.append(np.asarray(uniques, dtype=object))
    present, inverse = np.unique(codes, return_inverse=True)
    groups = [_decode(int(code), levels) for code in present]
    n_groups = len(present)
    w = np.ones(len(frame)) if weight is None else np.asarray(weight, dtype=float)
    pred = np.asarray(y_pred, dtype=bool)

    def tally(mask: np.ndarray | None) -> np.ndarray:
        weights = w if mask is None else w * mask
        return np.bincount(inverse, weights=weights, minlength=n_groups)

    cells = {"n": tally(None), "pp": tally(pred)}
    if y_true is not None:
        truth = np.asarray(y_true, dtype=bool)
        cells["tp"] = tally(pred & truth)
        cells["fp"] = tally(pred & ~truth)
        cells["fn"] = tally(~pred & truth)
        cells["tn"] = tally(~pred & ~truth)
    rows = np.bincount(inverse, minlength=n_groups)
    return GroupCounts(tuple(by), groups, rows, cells, has_target=y_true is not None)


def _decode(code: int, levels: list[np.ndarray]) -> tuple[object, ...]:
    values: list[object] = []
    for uniques in reversed(levels):
        code, index = divmod(code, len(uniques))
        value = uniques[index]
        values.append(value.item() if isinstance(value, np.generic) else value)
    return tuple(reversed(values))


def group_rate(cells: dict[str, np.ndarray], metric: str) -> np.ndarray:
    """A group metric from counts; NaN where its denominator is 0 (the rate is undefined)."""
    spec = GROUP_METRICS[metric]
    numerator = sum(cells[name] for name in spec.numerator)
    denominator = sum(cells[name] for name in spec.denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )
