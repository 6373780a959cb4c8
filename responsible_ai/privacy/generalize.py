"""Generalization: coarsen one column by numeric bins, dates, a prefix or a hierarchy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from responsible_ai.errors import InputError
from responsible_ai.privacy.transforms import _ColumnTransformer, as_frame, require_columns

__all__ = ["GENERALIZE_ONE_RULE", "Generalizer"]

GENERALIZE_ONE_RULE = (
    "Generalizer needs exactly one of bin_width, bins, date, prefix, hierarchy; got {got}"
)


def _interval(low: float, high: float) -> str:
    def number(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"

    return f"[{number(low)}, {number(high)})"


class Generalizer(_ColumnTransformer):
    """Coarsen one column by one rule: numeric bins, dates to month or year, a prefix, a hierarchy.

    Parameters
    ----------
    column : str
        The column to generalize.
    bin_width : float, optional
        Numbers to bins ``[lo, lo + width)`` aligned on multiples of the width.
    bins : list of float, optional
        Numbers to the bins between these increasing edges (``[a, b)``; the last is closed).
    date : {"month", "year"}, optional
        Dates to ``YYYY-MM`` or ``YYYY``.
    prefix : int, optional
        Keep this many leading characters and mask the rest (ZIP ``10080`` -> ``100**``).
    hierarchy : dict, optional
        Generalized value -> original values (``{"Married": ["Married-civ-spouse", ...]}``).

    Examples
    --------
    >>> import pandas as pd
    >>> Generalizer("zip", prefix=3).fit_transform(pd.DataFrame({"zip": ["10080"]}))["zip"][0]
    '100**'
    """

    def __init__(
        self,
        column: str = "",
        bin_width: float | None = None,
        bins: list[float] | None = None,
        date: str | None = None,
        prefix: int | None = None,
        hierarchy: dict[str, list[str]] | None = None,
    ) -> None:
        self.column = column
        self.bin_width = bin_width
        self.bins = bins
        self.date = date
        self.prefix = prefix
        self.hierarchy = hierarchy

    def fit(self, X: Any, y: Any = None) -> Generalizer:
        """Check that exactly one rule is given and that the column exists."""
        rules = {
            name: getattr(self, name)
            for name in ("bin_width", "bins", "date", "prefix", "hierarchy")
            if getattr(self, name) is not None
        }
        if len(rules) != 1:
            raise InputError(GENERALIZE_ONE_RULE.format(got=", ".join(rules) or "none"))
        if self.date is not None and self.date not in ("month", "year"):
            raise InputError(
                "The 'date' parameter of Generalizer must be 'month' or 'year'. "
                f"Got {self.date!r} instead."
            )
        frame = as_frame(X, self)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.columns_ = [self.column] if self.column else [str(frame.columns[0])]
        require_columns(frame, self.columns_, "generalize")
        self.rule_ = next(iter(rules))
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return a copy of ``X`` with the column generalized; missing values stay missing."""
        check_is_fitted(self, "rule_")
        frame = as_frame(X, self, fitted=True)
        require_columns(frame, self.columns_, "generalize")
        column = self.columns_[0]
        out = frame.copy()
        series = out[column]
        present = series.notna()
        generalized = getattr(self, f"_by_{self.rule_}")(series[present], column)
        values: list[Any] = [None] * len(series)
        for position, value in zip(np.flatnonzero(present.to_numpy()), generalized, strict=True):
            values[position] = value
        out[column] = pd.array(values, dtype="str")
        return out

    def _numbers(self, series: pd.Series, column: str) -> np.ndarray:
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna()
        if bad.any():
            raise InputError(
                f"generalize: column {column!r} must be numeric for bins; found values such as "
                f"{series[bad].head(3).tolist()}"
            )
        return numbers.to_numpy(dtype=float)

    def _by_bin_width(self, series: pd.Series, column: str) -> list[str]:
        width = float(self.bin_width)  # type: ignore[arg-type]
        low = np.floor(self._numbers(series, column) / width) * width
        return [_interval(lo, lo + width) for lo in low.tolist()]

    def _by_bins(self, series: pd.Series, column: str) -> list[str]:
        edges = np.asarray(self.bins, dtype=float)
        numbers = self._numbers(series, column)
        outside = (numbers < edges[0]) | (numbers > edges[-1])
        if outside.any():
            raise InputError(
                f"generalize: {int(outside.sum())} value(s) of {column!r} fall outside the bins "
                f"[{edges[0]:g}, {edges[-1]:g}]; widen the first or last edge"
            )
        index = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2)
        return [_interval(edges[i], edges[i + 1]) for i in index.tolist()]

    def _by_date(self, series: pd.Series, column: str) -> list[str]:
        dates = pd.to_datetime(series, errors="coerce", format="mixed")
        bad = dates.isna()
        if bad.any():
            raise InputError(
                f"generalize: {int(bad.sum())} value(s) of {column!r} are not dates, such as "
                f"{series[bad].head(3).tolist()}"
            )
        return dates.dt.strftime("%Y-%m" if self.date == "month" else "%Y").tolist()

    def _by_prefix(self, series: pd.Series, column: str) -> list[str]:
        keep = int(self.prefix)  # type: ignore[arg-type]
        return [text[:keep] + "*" * max(len(text) - keep, 0) for text in series.astype(str)]

    def _by_hierarchy(self, series: pd.Series, column: str) -> list[str]:
        parent = {
            str(v): group for group, members in (self.hierarchy or {}).items() for v in members
        }
        text = series.astype(str)
        unmapped = sorted(set(text) - set(parent))
        if unmapped:
            raise InputError(
                f"generalize: value(s) {unmapped[:5]} of {column!r} are in no group of the "
                "hierarchy; add them to a group"
            )
        return [parent[v] for v in text]
