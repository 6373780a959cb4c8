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


def correlation_ratio(numeric: pd.Series, categories: pd.Series) -> float:
    """Correlation ratio eta: share of the numeric column's spread explained by the categories."""
    measured = pd.to_numeric(numeric, errors="coerce")
    keep = measured.notna()
    values = measured[keep].to_numpy(dtype=float)
    groups = categories[keep].astype(object).fillna("(missing)")
    if len(values) < 2:
        return 0.0
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    frame = pd.DataFrame({"v": values, "g": groups.to_numpy()})
    stats = frame.groupby("g", sort=False)["v"].agg(["mean", "count"])
    between = float((stats["count"] * (stats["mean"] - values.mean()) ** 2).sum())
    return float(min(1.0, np.sqrt(between / total)))


def uncertainty_coefficient(numeric: pd.Series, categories: pd.Series, bins: int = 20) -> float:
    """Share of the categories' entropy that the numeric column, in quantile bins, explains."""
    from sklearn.metrics import mutual_info_score

    values = pd.to_numeric(numeric, errors="coerce")
    keep = values.notna()
    labels = categories[keep].astype(object).fillna("(missing)").astype(str).to_numpy()
    if keep.sum() < 2 or len(set(labels)) < 2:
        return 0.0
    binned = pd.qcut(values[keep].rank(method="first"), q=bins, labels=False, duplicates="drop")
    coarse = values[keep].to_numpy() if values.nunique() <= bins else binned.to_numpy()
    shares = pd.Series(labels).value_counts(normalize=True).to_numpy()
    entropy = float(-(shares * np.log(shares)).sum())
    return float(min(1.0, mutual_info_score(labels, coarse) / entropy))


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
        eta = correlation_ratio(feature, sensitive)
        uncertainty = uncertainty_coefficient(feature, sensitive)
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
    kept: tuple[pd.DataFrame, dict[str, tuple[float, str]]] = context.cached(
        ("explain.associations", *by), lambda: (frame, {})
    )
    known: dict[str, tuple[float, str]] = kept[1] if kept[0] is frame else {}
    labels = group_labels(frame, by)
    found = {}
    for feature in features:
        if feature in by:
            continue
        if feature not in known:
            known[feature] = association(frame[feature], labels)
        found[feature] = known[feature]
    return found
