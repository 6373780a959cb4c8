"""k-anonymization with Mondrian: strict multidimensional partitioning (LeFevre et al., 2006).

The records are split recursively, each time on the quasi-identifier whose values are spread widest
in the current partition, at the cut that balances the two halves best while both keep at least k
records (and, when asked, l distinct sensitive values and a sensitive distribution within t of the
whole table's). Each final partition becomes one equivalence class: its numbers become a range
``lo-hi`` and its categories the list ``a|b`` (or the name of the policy's hierarchy group that
they form). Categories are ordered along the hierarchy, so partitions keep groups together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from responsible_ai.errors import InputError
from responsible_ai.privacy.transforms import InvalidInputError, as_frame

__all__ = ["SUPPRESSION_OVER_BUDGET", "TOO_FEW_RECORDS", "MondrianAnonymizer"]

TOO_FEW_RECORDS = (
    "cannot reach {what} with {n} sample(s) (usable records); lower the requirement or add data"
)
SUPPRESSION_OVER_BUDGET = (
    "{count} record(s) ({share:.2%}) have a missing numeric quasi-identifier and would have to "
    "be suppressed, more than max_suppression={budget:g}; fill them or raise the budget"
)
_PARAMETER = "The {name!r} parameter of MondrianAnonymizer must be {what}. Got {value!r} instead."


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _Dimension:
    """One quasi-identifier as ordered integer codes, and how to label a range of codes."""

    def __init__(self, name: str, series: pd.Series, hierarchy: dict[str, list[str]] | None):
        self.name = name
        self.numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
            series
        )
        self.groups: dict[frozenset[str], str] = {}
        if self.numeric:
            self.values = np.unique(series.dropna().to_numpy(dtype=float))
        else:
            present = sorted({str(v) for v in series.dropna().unique()})
            order: list[str] = []
            for group, members in (hierarchy or {}).items():
                self.groups[frozenset(str(m) for m in members)] = group
                order.extend(str(m) for m in members)
            ordered = list(dict.fromkeys([*order, *present, "(missing)"]))
            self.values = np.array(ordered, dtype=object)
        self.index = {v: i for i, v in enumerate(self.values.tolist())}
        # The domain counts the values that occur, missing included when it occurs.
        self.domain = int(series.nunique(dropna=False))
        self.span = max(len(self.values) - 1, 1)
        self.value_span = float(self.values[-1] - self.values[0]) if self.numeric else 0.0

    def encode(self, series: pd.Series) -> np.ndarray:
        """Codes of the values; -1 for a missing number (the record cannot be placed)."""
        if self.numeric:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            codes = np.searchsorted(self.values, values)
            codes = np.clip(codes, 0, len(self.values) - 1)
            return np.where(np.isnan(values), -1, codes).astype(np.int64)
        text = series.astype(object).where(series.notna(), "(missing)").astype(str)
        codes = pd.Categorical(text, categories=self.values).codes.astype(np.int64)
        return np.where(codes < 0, self.index["(missing)"], codes)

    def describe(
        self, leaf_ids: np.ndarray, codes: np.ndarray, leaves: int
    ) -> tuple[list[str], np.ndarray]:
        """Label and normalized certainty penalty of every leaf on this dimension."""
        if self.numeric:
            lows = np.full(leaves, np.iinfo(np.int64).max)
            highs = np.full(leaves, -1)
            np.minimum.at(lows, leaf_ids, codes)
            np.maximum.at(highs, leaf_ids, codes)
            lo, hi = self.values[lows], self.values[highs]
            labels = [
                _format_number(a) if a == b else f"{_format_number(a)}-{_format_number(b)}"
                for a, b in zip(lo.tolist(), hi.tolist(), strict=False)
            ]
            penalty = (hi - lo) / self.value_span if self.value_span > 0 else np.zeros(leaves)
            return labels, penalty
        size = len(self.values)
        if size <= 63:
            # One bit per category: leaves that hold the same categories share one label.
            masks = np.zeros(leaves, dtype=np.uint64)
            np.bitwise_or.at(masks, leaf_ids, np.left_shift(np.uint64(1), codes.astype(np.uint64)))
            unique_masks, inverse = np.unique(masks, return_inverse=True)
            names = [
                self._name([c for c in range(size) if (int(mask) >> c) & 1])
                for mask in unique_masks.tolist()
            ]
            labels = [names[i] for i in inverse.tolist()]
            distinct = np.bitwise_count(masks).astype(float)
        else:
            pairs = np.unique(leaf_ids * size + codes)
            owner, present = pairs // size, pairs % size
            bounds = np.flatnonzero(np.diff(owner)) + 1
            labels = [self._name(list(m)) for m in np.split(present, bounds)]
            distinct = np.bincount(owner, minlength=leaves).astype(float)
        penalty = (distinct - 1) / (self.domain - 1) if self.domain > 1 else np.zeros(leaves)
        return labels, penalty

    def _name(self, present: list[int]) -> str:
        listed = [str(self.values[c]) for c in present]
        if len(listed) == 1:
            return listed[0]
        return self.groups.get(frozenset(listed), "|".join(listed))


class MondrianAnonymizer(TransformerMixin, BaseEstimator):
    """Generalize quasi-identifiers so that every combination is shared by at least k records.

    Parameters
    ----------
    quasi_identifiers : list of str, optional
        Columns to generalize; default: every column.
    k : int, default 5
        Smallest equivalence class size.
    l : int, optional
        l-diversity every class must reach, measured as ``l_diversity`` says.
    l_diversity : {"distinct", "entropy"}, default "distinct"
        ``distinct``: at least l distinct sensitive values per class; ``entropy``: the exponential
        of the entropy of each class's sensitive values at least l (a stronger requirement).
    t : float, optional
        Largest earth mover's distance between a class's sensitive distribution and the table's.
    sensitive_attributes : list of str, optional
        Sensitive columns for ``l`` and ``t``.
    max_suppression : float, default 0.0
        Share of records that may be removed (those with a missing numeric quasi-identifier).
    hierarchies : dict, optional
        Per categorical column, group name -> member values; groups stay together and name the
        class when it spans exactly one group.

    Attributes
    ----------
    classes_ : int
        Equivalence classes (partitions) found in the training data.
    suppressed_ : int
        Records removed from the training data.
    information_loss_ : float
        Normalized certainty penalty of the training data (0 = nothing lost, 1 = everything).
    feature_names_in_ : ndarray of str
        Columns seen in ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [21, 22, 35, 36], "zip": ["10001", "10002", "10001", "10002"]})
    >>> MondrianAnonymizer(k=2).fit_transform(frame)["age"].tolist()
    ['21-22', '21-22', '35-36', '35-36']
    """

    def __init__(
        self,
        quasi_identifiers: list[str] | None = None,
        k: int = 5,
        l: int | None = None,  # noqa: E741
        t: float | None = None,
        sensitive_attributes: list[str] | None = None,
        max_suppression: float = 0.0,
        hierarchies: dict[str, dict[str, list[str]]] | None = None,
        l_diversity: str = "distinct",
    ) -> None:
        self.quasi_identifiers = quasi_identifiers
        self.k = k
        self.l = l
        self.l_diversity = l_diversity
        self.t = t
        self.sensitive_attributes = sensitive_attributes
        self.max_suppression = max_suppression
        self.hierarchies = hierarchies

    def _check_params(self) -> None:
        checks = [
            ("k", self.k, isinstance(self.k, int | np.integer) and self.k >= 1, "an int >= 1"),
            (
                "l",
                self.l,
                self.l is None or (isinstance(self.l, int) and self.l >= 1),
                "None or >= 1",
            ),
            ("t", self.t, self.t is None or 0 < float(self.t) <= 1, "None or a float in (0, 1]"),
            (
                "l_diversity",
                self.l_diversity,
                self.l_diversity in ("distinct", "entropy"),
                "'distinct' or 'entropy'",
            ),
            (
                "max_suppression",
                self.max_suppression,
                0 <= float(self.max_suppression) <= 1,
                "a float in the range [0, 1]",
            ),
        ]
        for name, value, ok, what in checks:
            if not ok:
                raise InputError(_PARAMETER.format(name=name, what=what, value=value))

    def fit(self, X: Any, y: Any = None) -> MondrianAnonymizer:
        """Partition the records of ``X``; returns ``self``."""
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """Partition the records of ``X`` and return them generalized (the usual call)."""
        frame, leaf_of = self._fit(X)
        return self._output(frame, leaf_of)

    def transform(self, X: Any) -> pd.DataFrame:
        """Generalize ``X`` with the partitions learned in ``fit``.

        Records are routed down the learned cuts; k holds for the training data, not for other
        data.
        """
        check_is_fitted(self, "leaves_")
        frame = as_frame(X, self, fitted=True)
        missing = [c for c in self.quasi_identifiers_ if c not in frame.columns]
        if missing:
            raise InputError(f"quasi-identifier column(s) {', '.join(missing)} are not in the data")
        codes = np.column_stack([d.encode(frame[d.name]) for d in self.dimensions_])
        leaf_of = np.full(len(frame), -1, dtype=np.int64)
        usable = (codes >= 0).all(axis=1)
        stack = [(0, np.flatnonzero(usable))]
        while stack:
            node, rows = stack.pop()
            dim, cut, left, right = self.tree_[node]
            if dim < 0:
                leaf_of[rows] = left
                continue
            goes_left = codes[rows, dim] <= cut
            stack.append((left, rows[goes_left]))
            stack.append((right, rows[~goes_left]))
        return self._output(frame, leaf_of)

    def _output(self, frame: pd.DataFrame, leaf_of: np.ndarray) -> pd.DataFrame:
        kept = leaf_of >= 0
        out = frame.loc[kept].copy()
        leaves = leaf_of[kept]
        for position, dim in enumerate(self.dimensions_):
            out[dim.name] = self._labels[position].take(leaves)
        return out

    def _fit(self, X: Any) -> tuple[pd.DataFrame, np.ndarray]:
        self._check_params()
        frame = as_frame(X, self)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        qis = list(self.quasi_identifiers) if self.quasi_identifiers else list(frame.columns)
        sensitive = list(self.sensitive_attributes or [])
        missing = [c for c in [*qis, *sensitive] if c not in frame.columns]
        if missing:
            raise InputError(f"column(s) {', '.join(map(str, missing))} are not in the data")
        if (self.l or self.t) and not sensitive:
            raise InputError("l and t need sensitive_attributes: the columns to protect")
        hierarchies = self.hierarchies or {}
        self.quasi_identifiers_ = qis
        self.dimensions_ = [_Dimension(c, frame[c], hierarchies.get(c)) for c in qis]
        codes = np.column_stack([d.encode(frame[d.name]) for d in self.dimensions_])
        usable = (codes >= 0).all(axis=1)
        dropped = int((~usable).sum())
        if dropped > self.max_suppression * len(frame):
            raise InputError(
                SUPPRESSION_OVER_BUDGET.format(
                    count=dropped, share=dropped / len(frame), budget=self.max_suppression
                )
            )
        rows = np.flatnonzero(usable)
        sens = [pd.factorize(frame[c].astype(object), use_na_sentinel=False)[0] for c in sensitive]
        sens_codes = [s[rows].astype(np.int64) for s in sens]
        what = f"k={self.k}" + (f", {self.l_diversity} l={self.l}" if self.l else "")
        entropy = self.l_diversity == "entropy"
        root_ok = not self.l or all(
            _diversity(np.bincount(s)[None, :], entropy)[0] >= self.l - 1e-9 for s in sens_codes
        )
        if len(rows) < self.k or (self.l and not root_ok):
            raise InvalidInputError(TOO_FEW_RECORDS.format(what=what, n=len(rows)))
        # Narrow codes make the per-partition copies cheaper (most of the time is spent there).
        narrow = np.int16 if codes.max(initial=0) < np.iinfo(np.int16).max else np.int32
        partitioner = _Partitioner(
            codes[rows].astype(narrow), sens_codes, self.k, self.l, self.t, entropy
        )
        if not partitioner.admissible_root():
            raise InputError(f"cannot reach t={self.t}: check the sensitive attributes")
        tree, leaf_rows = partitioner.run()
        self.tree_ = tree
        leaf_of = np.full(len(frame), -1, dtype=np.int64)
        leaf_ids = np.empty(len(rows), dtype=np.int64)
        for number, members in enumerate(leaf_rows):
            leaf_ids[members] = number
        leaf_of[rows] = leaf_ids
        sizes = np.bincount(leaf_ids, minlength=len(leaf_rows))
        columns, penalty = [], 0.0
        for i, dim in enumerate(self.dimensions_):
            labels, cost = dim.describe(leaf_ids, codes[rows, i], len(leaf_rows))
            columns.append(labels)
            penalty += float((cost * sizes).sum())
        leaves = [list(labels) for labels in zip(*columns, strict=False)]
        self._labels = [pd.array(labels, dtype="str") for labels in columns]
        self.leaves_ = leaves
        self.classes_ = len(leaves)
        self.suppressed_ = dropped
        self.information_loss_ = (penalty + dropped * len(qis)) / (len(frame) * len(qis))
        return frame, leaf_of


def _diversity(counts: np.ndarray, entropy: bool) -> np.ndarray:
    """l of each row of sensitive-value counts: distinct values, or exp(entropy)."""
    if not entropy:
        return np.asarray((counts > 0).sum(axis=1), dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = counts / np.maximum(totals, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(shares > 0, shares * np.log(shares), 0.0)
    return np.asarray(np.exp(-terms.sum(axis=1)))


class _Partitioner:
    """The recursive splitting, on integer codes; ``run`` returns the cut tree and the leaves."""

    def __init__(
        self,
        codes: np.ndarray,
        sensitive: list[np.ndarray],
        k: int,
        l: int | None,  # noqa: E741
        t: float | None,
        entropy: bool = False,
    ) -> None:
        self.entropy = entropy
        self.codes = codes
        self.sensitive = sensitive
        self.k = k
        self.l = l
        self.t = t
        self.sizes = [int(s.max()) + 1 if len(s) else 1 for s in sensitive]
        self.overall = [
            np.bincount(s, minlength=m) / len(s)
            for s, m in zip(sensitive, self.sizes, strict=False)
        ]
        self.spans = np.maximum(codes.max(axis=0) - codes.min(axis=0), 1).astype(float)

    def admissible_root(self) -> bool:
        return True  # the whole table has distance 0 to itself; l was checked by the caller

    def _closeness_ok(self, counts: np.ndarray, which: int) -> np.ndarray:
        n = counts.sum(axis=1, keepdims=True)
        distance = 0.5 * np.abs(counts / np.maximum(n, 1) - self.overall[which]).sum(axis=1)
        return np.asarray(distance <= self.t)

    def _best_cut(self, rows: np.ndarray, column: np.ndarray, low: int, high: int) -> int | None:
        values = column.astype(np.intp) - low
        counts = np.bincount(values, minlength=high - low + 1)
        left = np.cumsum(counts)[:-1]
        n = len(rows)
        valid = (left >= self.k) & (n - left >= self.k)
        if not valid.any():
            return None
        if self.l or self.t:
            for which, sens in enumerate(self.sensitive):
                size = self.sizes[which]
                table = np.bincount(
                    values * size + sens[rows], minlength=(high - low + 1) * size
                ).reshape(-1, size)
                cum = np.cumsum(table, axis=0)[:-1]
                rest = table.sum(axis=0) - cum
                if self.l:
                    low_l = self.l - 1e-9
                    valid &= _diversity(cum, self.entropy) >= low_l
                    valid &= _diversity(rest, self.entropy) >= low_l
                if self.t:
                    valid &= self._closeness_ok(cum, which) & self._closeness_ok(rest, which)
                if not valid.any():
                    return None
        best = np.where(valid, np.abs(left - n / 2), np.inf).argmin()
        return int(low + best)

    def run(self) -> tuple[list[tuple[int, int, int, int]], list[np.ndarray]]:
        tree: list[tuple[int, int, int, int]] = [(-1, 0, 0, 0)]
        leaves: list[np.ndarray] = []
        stack = [(0, np.arange(len(self.codes)))]
        while stack:
            node, rows = stack.pop()
            split = None
            if len(rows) >= 2 * self.k:
                sub = self.codes[rows]
                low, high = sub.min(axis=0), sub.max(axis=0)
                widths = (high - low) / self.spans
                for dim in np.argsort(-widths, kind="stable"):
                    if widths[dim] <= 0:
                        break
                    cut = self._best_cut(rows, sub[:, dim], int(low[dim]), int(high[dim]))
                    if cut is not None:
                        split = (int(dim), cut)
                        break
            if split is None:
                tree[node] = (-1, 0, len(leaves), 0)
                leaves.append(rows)
                continue
            dim, cut = split
            goes_left = sub[:, dim] <= cut
            left_node, right_node = len(tree), len(tree) + 1
            tree.extend([(-1, 0, 0, 0), (-1, 0, 0, 0)])
            tree[node] = (dim, cut, left_node, right_node)
            stack.append((right_node, rows[~goes_left]))
            stack.append((left_node, rows[goes_left]))
        return tree, leaves
