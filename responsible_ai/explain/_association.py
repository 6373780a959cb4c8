"""How strongly a model feature is associated with a sensitive feature, on a 0 to 1 scale.

The measure follows the types: Cramer's V (bias-corrected, Bergsma 2013) for two categorical
columns, the absolute Spearman correlation for two numeric columns, and for a numeric feature and
a categorical sensitive column the larger of the correlation ratio (eta) and the uncertainty
coefficient (mutual information of the binned feature with the sensitive column, over the
sensitive column's entropy). Eta misses a relation that is not a shift in means, such as
``age_group`` derived from ``age`` by a threshold; the uncertainty coefficient catches it. All are
0 for independence and 1 for a deterministic relation, so one threshold serves them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from responsible_ai.checker.context import AuditContext

__all__ = [
    "association",
    "associations_with",
    "correlation_ratio",
    "cramers_v",
    "group_labels",
    "groups_in",
    "is_numeric",
    "spearman",
    "uncertainty_coefficient",
]

# A numeric column with this few distinct values is treated as categorical (codes, counts).
_FEW_VALUES = 10


def is_numeric(values: pd.Series) -> bool:
    """Whether a column is measured (numeric with more than a handful of distinct values)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return bool(values.nunique(dropna=True) > _FEW_VALUES)


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Bias-corrected Cramer's V between two categorical columns (missing values as a level)."""
    # pd.factorize puts missing values at -1; shift them into a level of their own
    a_codes, a_levels = pd.factorize(a, use_na_sentinel=True)
    b_codes, b_levels = pd.factorize(b, use_na_sentinel=True)
    rows, cols = len(a_levels) + 1, len(b_levels) + 1
    counts = np.bincount((a_codes + 1) * cols + (b_codes + 1), minlength=rows * cols)
    observed = counts.reshape(rows, cols).astype(float)
    observed = observed[observed.sum(1) > 0][:, observed.sum(0) > 0]
    n = float(observed.sum())
    rows, cols = observed.shape
    if n < 2 or rows < 2 or cols < 2:
        return 0.0
    expected = observed.sum(1, keepdims=True) * observed.sum(0, keepdims=True) / n
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (rows - 1) * (cols - 1) / (n - 1))
    rows_c = rows - (rows - 1) ** 2 / (n - 1)
    cols_c = cols - (cols - 1) ** 2 / (n - 1)
    denominator = min(rows_c - 1, cols_c - 1)
    return float(min(1.0, np.sqrt(phi2 / denominator))) if denominator > 0 else 0.0


def _level_codes(categories: pd.Series) -> np.ndarray:
    """A code per value of a categorical column, missing values as a level of their own."""
    return pd.factorize(categories.astype(object).fillna("(missing)"), use_na_sentinel=True)[0]


def _measured(numeric: pd.Series, categories: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The numeric column's values as floats and the categories' codes, where it has a value."""
    values = pd.to_numeric(numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(values)
    return values[keep], _level_codes(categories)[keep]


def correlation_ratio(numeric: pd.Series, categories: pd.Series) -> float:
    """Correlation ratio eta: share of the numeric column's spread explained by the categories."""
    values, codes = _measured(numeric, categories)
    return _eta(values, codes)


def _eta(values: np.ndarray, codes: np.ndarray) -> float:
    if len(values) < 2:
        return 0.0
    mean = values.mean()
    total = float(((values - mean) ** 2).sum())
    if total == 0:
        return 0.0
    counts = np.bincount(codes)
    present = counts > 0
    means = np.bincount(codes, weights=values)[present] / counts[present]
    between = float((counts[present] * (means - mean) ** 2).sum())
    return float(min(1.0, np.sqrt(between / total)))


def uncertainty_coefficient(numeric: pd.Series, categories: pd.Series, bins: int = 20) -> float:
    """Share of the categories' entropy that the numeric column, in quantile bins, explains."""
    values, codes = _measured(numeric, categories)
    return _uncertainty(values, codes, bins)


def _quantile_bins(values: np.ndarray, bins: int) -> np.ndarray:
    """``pd.qcut`` of the values' ranks (ties in order of appearance) into ``bins`` bins."""
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(1, len(values) + 1)
    edges = np.unique(np.quantile(ranks, np.linspace(0, 1, bins + 1)))
    # right-closed bins (e0, e1], (e1, e2], ..., the lowest edge included in the first
    return np.clip(np.searchsorted(edges, ranks, side="left") - 1, 0, None)


def _uncertainty(values: np.ndarray, codes: np.ndarray, bins: int) -> float:
    if len(values) < 2:
        return 0.0
    _, labels = np.unique(codes, return_inverse=True)
    if labels.max() < 1:
        return 0.0
    distinct, exact = np.unique(values, return_inverse=True)
    coarse = exact if len(distinct) <= bins else _quantile_bins(values, bins)
    return float(min(1.0, _mutual_information(labels, coarse) / _entropy(labels)))


def _entropy(labels: np.ndarray) -> float:
    shares = np.bincount(labels) / len(labels)
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum())


def _mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information (nats) of two code arrays, as ``sklearn.metrics.mutual_info_score``."""
    width = int(b.max()) + 1
    joint = np.bincount(a * width + b, minlength=(int(a.max()) + 1) * width)
    joint = joint.reshape(-1, width).astype(float)
    n = float(len(a))
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    i, j = np.nonzero(joint)
    p = joint[i, j]
    information = p / n * (np.log(p) - np.log(n) - np.log(rows[i] * cols[j]) + 2 * np.log(n))
    return float(max(0.0, information.sum()))


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Absolute Spearman rank correlation of two numeric columns (rows missing either dropped)."""
    both = pd.DataFrame(
        {"a": pd.to_numeric(a, errors="coerce"), "b": pd.to_numeric(b, errors="coerce")}
    )
    both = both.dropna()
    if len(both) < 3 or both["a"].nunique() < 2 or both["b"].nunique() < 2:
        return 0.0
    return float(abs(both["a"].rank().corr(both["b"].rank())))


def association(feature: pd.Series, sensitive: pd.Series) -> tuple[float, str]:
    """The association of two columns and the name of the measure used for their types."""
    feature_numeric, sensitive_numeric = is_numeric(feature), is_numeric(sensitive)
    if feature_numeric and sensitive_numeric:
        return spearman(feature, sensitive), "spearman"
    if feature_numeric:
        values, codes = _measured(feature, sensitive)
        eta, uncertainty = _eta(values, codes), _uncertainty(values, codes, 20)
        if uncertainty > eta:
            return uncertainty, "uncertainty_coefficient"
        return eta, "correlation_ratio"
    if sensitive_numeric:
        return correlation_ratio(sensitive, feature), "correlation_ratio"
    return cramers_v(feature, sensitive), "cramers_v"


def group_labels(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """One label per row for the groups of ``by`` (``a & b`` for intersections)."""
    if len(by) == 1:
        return frame[by[0]].astype(str)
    return frame[by].astype(str).agg(" & ".join, axis=1)


def associations_with(
    context: AuditContext, frame: pd.DataFrame, features: list[str], by: list[str]
) -> dict[str, tuple[float, str]]:
    """:func:`association` of each feature (not in ``by``) with the ``by`` groups of ``frame``.

    Kept on the audit's context for the rows it audits: the proxy checks and the counterfactual
    test of the same groups measure each pair once.
    """
    _, labels, known = _kept(context, frame, by)
    found = {}
    for feature in features:
        if feature in by:
            continue
        if feature not in known:
            known[feature] = association(frame[feature], labels)
        found[feature] = known[feature]
    return found


def groups_in(context: AuditContext, frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """The ``by`` group label of each row of ``frame`` (kept with its associations)."""
    return _kept(context, frame, by)[1]


def _kept(
    context: AuditContext, frame: pd.DataFrame, by: list[str]
) -> tuple[pd.DataFrame, pd.Series, dict[str, tuple[float, str]]]:
    kept: tuple[pd.DataFrame, pd.Series, dict[str, tuple[float, str]]] = context.cached(
        ("explain.associations", *by), lambda: (frame, group_labels(frame, by), {})
    )
    if kept[0] is not frame:  # other rows than the audit's: measured, not kept
        return frame, group_labels(frame, by), {}
    return kept
