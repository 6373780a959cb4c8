"""Re-identification risk and its price: equivalence classes, k, l, t, prosecutor risk, loss.

An *equivalence class* is a set of records with the same quasi-identifier values: an attacker who
knows those values about a person cannot tell the records of the class apart. Missing values count
as a value of their own (they are as visible to an attacker as any other).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError

__all__ = [
    "NO_QUASI_IDENTIFIERS",
    "anonymity_summary",
    "equivalence_classes",
    "information_loss",
    "l_diversity",
    "t_closeness",
]

NO_QUASI_IDENTIFIERS = (
    "no quasi-identifiers given: list the columns an attacker could know "
    "(privacy.quasi_identifiers in the policy, or quasi_identifiers=[...])"
)
MISSING_COLUMNS = "{what} column(s) {columns} are not in the data (columns: {available})"


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, list(frame.columns)[:12]))
        raise InputError(
            MISSING_COLUMNS.format(what=what, columns=", ".join(missing), available=available)
        )


def _codes(series: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def equivalence_classes(frame: pd.DataFrame, quasi_identifiers: list[str]) -> np.ndarray:
    """The equivalence class of each record: an integer id per distinct quasi-identifier tuple.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"zip": ["100", "100", "101"], "sex": ["f", "f", "m"]})
    >>> equivalence_classes(frame, ["zip", "sex"]).tolist()
    [0, 0, 1]
    """
    if not quasi_identifiers:
        raise InputError(NO_QUASI_IDENTIFIERS)
    _require(frame, quasi_identifiers, "quasi-identifier")
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in quasi_identifiers:
        codes, size = _codes(frame[column])
        combined = combined * size + codes
        # Re-factorize to keep the product of sizes from overflowing on wide keys.
        combined, _ = _codes(pd.Series(combined))
    return combined


def _class_value_counts(classes: np.ndarray, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts per (class, value), and the values in sorted order where they are numbers."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and not values.isna().any():
        uniques, codes = np.unique(values.to_numpy(dtype=float), return_inverse=True)
    else:
        codes, size = _codes(values.astype(object))
        uniques = np.arange(size)
        numeric = False
    n_classes = int(classes.max()) + 1 if len(classes) else 0
    table = np.bincount(classes * len(uniques) + codes, minlength=n_classes * len(uniques)).reshape(
        n_classes, len(uniques)
    )
    return table, uniques if numeric else np.array([])


def l_diversity(
    frame: pd.DataFrame, quasi_identifiers: list[str], sensitive: str
) -> dict[str, float]:
    """Distinct and entropy l-diversity of one sensitive attribute: the worst class of each.

    ``distinct`` is the smallest number of distinct sensitive values in a class; ``entropy`` is
    the smallest ``exp(entropy)`` of a class's sensitive values (entropy l-diversity holds for
    every l up to it).
    """
    _require(frame, [sensitive], "sensitive")
    classes = equivalence_classes(frame, quasi_identifiers)
    table, _ = _class_value_counts(classes, frame[sensitive])
    distinct = (table > 0).sum(axis=1)
    shares = table / table.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(shares > 0, shares * np.log(shares), 0.0).sum(axis=1)
    return {"distinct": float(distinct.min()), "entropy": float(np.exp(entropy.min()))}


def t_closeness(frame: pd.DataFrame, quasi_identifiers: list[str], sensitive: str) -> float:
    """The largest earth mover's distance between a class's sensitive values and the table's.

    Numeric attributes use the ordered distance of Li et al. (2007): ground distance between the
    i-th and j-th sorted distinct values is ``|i - j| / (m - 1)``. Other attributes use the equal
    distance, for which the EMD is half the L1 distance (the total variation distance).
    """
    _require(frame, [sensitive], "sensitive")
    classes = equivalence_classes(frame, quasi_identifiers)
    table, ordered = _class_value_counts(classes, frame[sensitive])
    class_dist = table / table.sum(axis=1, keepdims=True)
    overall = table.sum(axis=0) / table.sum()
    difference = class_dist - overall
    m = table.shape[1]
    if len(ordered) and m > 1:
        distance = np.abs(np.cumsum(difference, axis=1)[:, :-1]).sum(axis=1) / (m - 1)
    else:
        distance = 0.5 * np.abs(difference).sum(axis=1)
    return float(distance.max()) if len(distance) else 0.0


def anonymity_summary(
    frame: pd.DataFrame,
    quasi_identifiers: list[str],
    sensitive: list[str] | None = None,
    risk_threshold: float = 0.2,
) -> dict[str, Any]:
    """How identifiable the records are through their quasi-identifiers.

    Parameters
    ----------
    frame : DataFrame
        The (released) data.
    quasi_identifiers : list of str
        Columns an attacker could know about a person.
    sensitive : list of str, optional
        Sensitive attributes to measure l-diversity and t-closeness for.
    risk_threshold : float, default 0.2
        Prosecutor risk above which a record counts in ``records_at_risk``.

    Returns
    -------
    dict
        ``k`` (smallest class), ``classes``, ``records``, ``unique_records`` and
        ``unique_records_share`` (records alone in their class), ``prosecutor_risk_max``
        (1 / k), ``prosecutor_risk_avg`` (classes / records), ``records_at_risk`` and
        ``records_at_risk_share`` (risk above ``risk_threshold``), ``class_sizes`` (how many
        classes have each size), ``l_diversity`` ({column: {"distinct", "entropy"}}) and
        ``t_closeness`` ({column: largest EMD}).

    Raises
    ------
    InputError
        If no quasi-identifier is given, a column is missing, or the data is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"zip": ["100", "100", "101"], "ill": ["flu", "cold", "flu"]})
    >>> summary = anonymity_summary(frame, ["zip"], sensitive=["ill"])
    >>> summary["k"], summary["unique_records"], summary["l_diversity"]["ill"]["distinct"]
    (1, 1, 1.0)
    """
    sensitive = list(sensitive or [])
    classes = equivalence_classes(frame, list(quasi_identifiers))
    _require(frame, sensitive, "sensitive")
    if len(frame) == 0:
        raise InputError("the data is empty (0 rows): there is no risk to measure")
    sizes = np.bincount(classes)
    per_record = sizes[classes]
    k = int(sizes.min())
    at_risk = int((1.0 / per_record > risk_threshold).sum())
    size_values, size_counts = np.unique(sizes, return_counts=True)
    return {
        "k": k,
        "classes": len(sizes),
        "records": len(frame),
        "unique_records": int((per_record == 1).sum()),
        "unique_records_share": float((per_record == 1).mean()),
        "prosecutor_risk_max": 1.0 / k,
        "prosecutor_risk_avg": len(sizes) / len(frame),
        "records_at_risk": at_risk,
        "records_at_risk_share": at_risk / len(frame),
        "risk_threshold": risk_threshold,
        "class_sizes": {
            int(s): int(c) for s, c in zip(size_values[:20], size_counts[:20], strict=False)
        },
        "l_diversity": {
            column: l_diversity(frame, quasi_identifiers, column) for column in sensitive
        },
        "t_closeness": {
            column: t_closeness(frame, quasi_identifiers, column) for column in sensitive
        },
    }


def information_loss(
    original: pd.DataFrame,
    released: pd.DataFrame,
    quasi_identifiers: list[str],
    suppressed: int | None = None,
) -> dict[str, float]:
    """The price of anonymization: normalized certainty penalty and discernibility.

    ``released`` must keep the index of the rows of ``original`` it came from (suppressed rows are
    simply absent). For each equivalence class of ``released`` and each quasi-identifier, the
    penalty is the share of the attribute's domain that the class's original values span:
    ``(max - min) / (domain max - domain min)`` for numbers and ``(distinct - 1) / (domain size -
    1)`` for categories; a suppressed record costs 1 on every attribute. ``ncp`` is the mean over
    records and attributes (0 = nothing lost, 1 = everything). ``discernibility`` is the sum of
    squared class sizes plus ``suppressed * records`` (Bayardo and Agrawal), and
    ``average_class_size`` is records kept / classes.
    """
    if not quasi_identifiers:
        raise InputError(NO_QUASI_IDENTIFIERS)
    _require(original, quasi_identifiers, "quasi-identifier")
    missing_rows = released.index.difference(original.index)
    if len(missing_rows):
        raise InputError(
            "released rows must keep the index of the original rows they come from; "
            f"{len(missing_rows)} index value(s) are not in the original"
        )
    total = len(original)
    kept = len(released)
    suppressed = total - kept if suppressed is None else suppressed
    classes = equivalence_classes(released, quasi_identifiers)
    sizes = np.bincount(classes) if kept else np.array([], dtype=np.int64)
    penalty = 0.0
    source = original.loc[released.index, quasi_identifiers]
    for column in quasi_identifiers:
        values = original[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        frame = pd.DataFrame({"cls": classes, "v": source[column].to_numpy()})
        grouped = frame.groupby("cls", sort=True)["v"]
        if numeric:
            span = float(values.max() - values.min())
            spread = (grouped.max() - grouped.min()).to_numpy(dtype=float)
            share = spread / span if span > 0 else np.zeros_like(spread)
        else:
            domain = values.nunique(dropna=False)
            distinct = grouped.nunique(dropna=False).to_numpy(dtype=float)
            share = (distinct - 1) / (domain - 1) if domain > 1 else np.zeros_like(distinct)
        penalty += float((share * sizes).sum()) + suppressed
    ncp = penalty / (total * len(quasi_identifiers)) if total else math.nan
    return {
        "ncp": ncp,
        "discernibility": float((sizes.astype(float) ** 2).sum() + suppressed * total),
        "average_class_size": kept / len(sizes) if len(sizes) else math.nan,
        "suppressed": int(suppressed),
        "suppressed_share": suppressed / total if total else math.nan,
    }
