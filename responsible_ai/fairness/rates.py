"""Group metrics from counts: every count-based rate, undefined (NaN) where it has no denominator.

The formulas broadcast, so the same code gives the value of each group (shape ``(groups,)``) and of
each bootstrap replicate (shape ``(replicates, groups)``).
"""

from __future__ import annotations

import numpy as np

from responsible_ai.fairness.catalog import GROUP_METRICS

__all__ = ["compare", "group_rate"]


def group_rate(cells: dict[str, np.ndarray], metric: str) -> np.ndarray:
    """A count-based group metric; NaN where its denominator is 0 (the rate is undefined).

    Parameters
    ----------
    cells : dict of str to ndarray
        Named counts, as :func:`responsible_ai.fairness.groups.derive_cells` returns them.
    metric : str
        A key of :data:`~responsible_ai.fairness.catalog.GROUP_METRICS` whose kind is ``rate``,
        ``mean_of`` or ``scoring``.
    """
    spec = GROUP_METRICS[metric]
    if spec.kind == "mean_of":
        parts = [group_rate(cells, part) for part in spec.parts]
        return sum(parts[1:], parts[0]) / len(parts)
    if spec.kind == "score":
        raise ValueError(f"{metric} is computed from scores, not from counts")
    numerator = sum(cells[name] for name in spec.numerator)
    denominator = sum(cells[name] for name in spec.denominator)
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def compare(
    values: np.ndarray,
    comparison: str,
    method: str = "between_groups",
    anchor: np.ndarray | float | None = None,
) -> np.ndarray:
    """Reduce group values (last axis) to one disparity, ignoring undefined (NaN) groups.

    Parameters
    ----------
    values : ndarray, shape (..., groups)
    comparison : {"difference", "ratio", "group_min", "group_max"}
    method : {"between_groups", "to_overall", "to_reference"}
    anchor : ndarray or float, optional
        The overall or reference value (shape ``(...)``) for the last two methods.

    Returns
    -------
    ndarray, shape (...)
        NaN where fewer than one group is defined, or for a ratio whose denominator is 0.
    """
    values = np.asarray(values, dtype=float)
    defined = ~np.isnan(values)
    any_defined = defined.any(axis=-1)
    high = np.max(np.where(defined, values, -np.inf), axis=-1)
    low = np.min(np.where(defined, values, np.inf), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if comparison == "group_min":
            result = low
        elif comparison == "group_max":
            result = high
        elif method == "between_groups":
            result = (
                high - low if comparison == "difference" else np.where(high > 0, low / high, np.nan)
            )
        else:
            ref = np.asarray(anchor, dtype=float)[..., None]
            if comparison == "difference":
                result = np.max(np.where(defined, np.abs(values - ref), -np.inf), axis=-1)
            else:
                both = np.minimum(values / ref, ref / values)
                both = np.where(values == ref, 1.0, both)
                result = np.min(np.where(defined, both, np.inf), axis=-1)
                result = np.where(np.isfinite(result), result, np.nan)
    return np.where(any_defined, result, np.nan)
