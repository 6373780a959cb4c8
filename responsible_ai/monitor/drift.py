"""Drift statistics from binned histograms, chosen by type and size as Evidently chooses them.

Every statistic is computed from two histograms over the same bins (the reference's and a
window's), so it follows from mergeable counts. Definitions are Evidently's (``evidently``'s
``stattests``):

- ``psi``: population stability index over the bins' shares, empty shares set to 0.0001;
  drift when >= 0.1.
- ``jensen_shannon``: ``scipy.spatial.distance.jensenshannon`` of the shares (empty shares 0.0001);
  drift when >= 0.1.
- ``wasserstein``: ``scipy.stats.wasserstein_distance`` divided by the reference's standard
  deviation (at least 0.001); drift when >= 0.1.
- ``ks``: two-sample Kolmogorov-Smirnov p-value; drift when < 0.05.
- ``chi_square``: ``scipy.stats.chisquare`` of the window's counts against the reference's shares;
  drift when < 0.05.
- ``z``: two-proportion z-test on the first category; drift when < 0.05.

``auto`` (:func:`choose_method`): up to 1,000 reference rows, KS for a numeric column with more
than 5 values, chi-square for more than 2, z otherwise; above 1,000, Wasserstein for a numeric
column with more than 5 values, Jensen-Shannon otherwise. For numeric columns binned at quantiles
(more than 100 distinct reference values) KS and Wasserstein are those of the binned values.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_THRESHOLDS", "P_VALUE_METHODS", "DriftResult", "choose_method", "drift"]

DEFAULT_THRESHOLDS: dict[str, float] = {
    "psi": 0.1,
    "jensen_shannon": 0.1,
    "wasserstein": 0.1,
    "ks": 0.05,
    "chi_square": 0.05,
    "z": 0.05,
}
P_VALUE_METHODS = frozenset({"ks", "chi_square", "z"})
_EMPTY_SHARE = 0.0001
#: Up to this many rows on both sides, KS's p-value is scipy's exact one; above, asymptotic.
_KS_EXACT_ROWS = 10_000


@dataclass(frozen=True)
class DriftResult:
    """One column's drift in one window."""

    method: str
    score: float
    threshold: float
    drifted: bool


def choose_method(kind: str, reference_rows: int, n_values: int) -> str:
    """Evidently's default test for a column of ``kind`` (numeric / categorical)."""
    if reference_rows <= 1000:
        if kind == "numeric" and n_values > 5:
            return "ks"
        return "chi_square" if n_values > 2 else "z"
    return "wasserstein" if kind == "numeric" and n_values > 5 else "jensen_shannon"


def _shares(counts: np.ndarray) -> np.ndarray:
    shares = counts / counts.sum()
    return np.where(shares == 0, _EMPTY_SHARE, shares)


def drift(
    method: str,
    kind: str,
    bins: list[str],
    reference: np.ndarray,
    current: np.ndarray,
    reference_values: np.ndarray | None = None,
    current_values: np.ndarray | None = None,
    threshold: float | None = None,
) -> DriftResult:
    """The drift of ``current`` from ``reference``: counts over the same ``bins``.

    Parameters
    ----------
    method : str
        One of :data:`DEFAULT_THRESHOLDS`, or ``auto``.
    kind : {"numeric", "categorical"}
    bins : list of str
        The bins' names: categories (sorted as text), or numeric bin indices in order.
    reference, current : ndarray of float
        Rows per bin.
    reference_values, current_values : ndarray of float, optional
        Each bin's mean value on each side (numeric columns; Wasserstein).
    threshold : float, optional
        Default :data:`DEFAULT_THRESHOLDS`.
    """
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    if method == "auto":
        n_values = int(((reference > 0) | (current > 0)).sum())
        method = choose_method(kind, int(reference.sum()), n_values)
    limit = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    if method == "psi":
        ref, cur = _shares(reference), _shares(current)
        score = float(np.sum((ref - cur) * np.log(ref / cur)))
    elif method == "jensen_shannon":
        score = float(jensen_shannon(_shares(reference), _shares(current)))
    elif method == "wasserstein":
        score = _wasserstein(reference, current, reference_values, current_values)
    elif method == "ks":
        score = _ks_p_value(reference, current)
    elif method == "chi_square":
        score = _chi_square_p_value(reference, current)
    else:
        score = _z_p_value(bins, reference, current)
    drifted = score < limit if method in P_VALUE_METHODS else score >= limit
    return DriftResult(method, score, limit, bool(drifted))


def _wasserstein(
    reference: np.ndarray,
    current: np.ndarray,
    reference_values: np.ndarray | None,
    current_values: np.ndarray | None,
) -> float:
    if reference_values is None or current_values is None:
        raise ValueError("wasserstein needs each bin's mean value")
    ref_keep, cur_keep = reference > 0, current > 0
    ref_at, cur_at = reference_values[ref_keep], current_values[cur_keep]
    distance = wasserstein_distance(ref_at, cur_at, reference[ref_keep], current[cur_keep])
    mean = np.average(ref_at, weights=reference[ref_keep])
    spread = float(np.sqrt(np.average((ref_at - mean) ** 2, weights=reference[ref_keep])))
    return float(distance / max(spread, 0.001))


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)``, the same operations in the same order (so
    the same floats), without importing ``scipy.spatial`` (0.2 s of a ``--follow`` run)."""
    p, q = np.asarray(p), np.asarray(q)
    p = p / np.sum(p, axis=0, keepdims=True)
    q = q / np.sum(q, axis=0, keepdims=True)
    m = (p + q) / 2.0
    js = np.sum(_rel_entr(p, m), axis=0) + np.sum(_rel_entr(q, m), axis=0)
    return float(np.sqrt(js / 2.0))


def _rel_entr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``scipy.special.rel_entr``, ``x log(x / y)``, by the same steps (so the same floats):
    0 where ``x`` is 0, inf where only ``y`` is, ``log1p`` when ``x`` and ``y`` are close.
    Importing scipy.special would cost 0.15 s of a ``--follow`` run."""

    def term(a: float, b: float) -> float:
        if math.isnan(a) or math.isnan(b):
            return math.nan
        if a <= 0 or b <= 0:
            return 0.0 if a == 0 and b >= 0 else math.inf
        ratio = a / b
        if 0.5 < ratio < 2:
            return a * math.log1p((a - b) / b)
        if sys.float_info.min < ratio < math.inf:
            return a * math.log(ratio)
        return a * (math.log(a) - math.log(b))

    return np.array([term(a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)])


def wasserstein_distance(
    u_values: np.ndarray, v_values: np.ndarray, u_weights: np.ndarray, v_weights: np.ndarray
) -> float:
    """``scipy.stats.wasserstein_distance`` of two weighted samples, the same operations in
    the same order (so the same floats), without importing ``scipy.stats`` (seconds of a
    ``--follow`` run that only needs this)."""
    u_values, v_values = np.asarray(u_values, dtype=float), np.asarray(v_values, dtype=float)
    u_weights, v_weights = np.asarray(u_weights, dtype=float), np.asarray(v_weights, dtype=float)
    u_sorter, v_sorter = np.argsort(u_values), np.argsort(v_values)
    all_values = np.concatenate((u_values, v_values))
    all_values.sort(kind="mergesort")
    deltas = np.diff(all_values)
    u_index = u_values[u_sorter].searchsorted(all_values[:-1], "right")
    v_index = v_values[v_sorter].searchsorted(all_values[:-1], "right")
    u_cum = np.concatenate(([0], np.cumsum(u_weights[u_sorter])))
    v_cum = np.concatenate(([0], np.cumsum(v_weights[v_sorter])))
    u_cdf = u_cum[u_index] / u_cum[-1]
    v_cdf = v_cum[v_index] / v_cum[-1]
    gaps = np.abs(u_cdf - v_cdf)
    if hasattr(np, "vecdot"):
        return float(np.vecdot(gaps, deltas))
    return float(np.sum(gaps * deltas))  # NumPy 1.x, as scipy does there


def _ks_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """KS's p-value; the statistic depends only on the order, so bins stand for their values."""
    from scipy import stats

    n, m = int(reference.sum()), int(current.sum())
    if max(n, m) <= _KS_EXACT_ROWS:
        order = np.arange(len(reference))
        return float(
            stats.ks_2samp(
                np.repeat(order, reference.astype(np.int64)),
                np.repeat(order, current.astype(np.int64)),
            ).pvalue
        )
    statistic = float(np.max(np.abs(np.cumsum(reference) / n - np.cumsum(current) / m)))
    return float(stats.kstwo.sf(statistic, np.round(n * m / (n + m))))


def _chi_square_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """``scipy.stats.chisquare(current, expected).pvalue`` without its per-call overhead."""
    expected = reference * (current.sum() / reference.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = float(np.sum((current - expected) ** 2 / expected))
    if np.isnan(statistic):
        return 0.0
    return chi_square_survival(len(current) - 1, statistic)


def chi_square_survival(degrees: int, statistic: float) -> float:
    """``P(X >= statistic)`` for a chi-square ``X`` with whole ``degrees`` of freedom.

    The closed form of the regularised upper incomplete gamma function at half-integers
    (Abramowitz and Stegun 26.4.4-26.4.5), its terms summed in log space so that none
    overflows: the value of ``scipy.special.chdtrc`` to 1e-11 (relative; 1e-12 below a thousand
    degrees), without importing scipy.special (0.15 s of a ``--follow`` run).

    With no degree of freedom (one bin) the two histograms cannot differ: 1.0, where scipy's
    ``chdtrc(0, x)`` is 0 for every ``x > 0`` and would call a rounding error drift.
    """
    if degrees < 1:
        return 1.0
    if math.isinf(statistic):
        return 0.0
    if statistic <= 0 or math.isnan(statistic):
        return 1.0 if statistic <= 0 else math.nan
    half = statistic / 2
    if half == 0:  # the smallest subnormal, halved
        return 1.0
    log_half = math.log(half)
    if degrees % 2 == 0:  # exp(-x/2) * sum over i < k/2 of (x/2)^i / i!
        exponents = [i * log_half - math.lgamma(i + 1) - half for i in range(degrees // 2)]
        return min(1.0, math.fsum(math.exp(e) for e in exponents))
    # erfc(sqrt(x/2)) + exp(-x/2) * sum over 1 <= i <= (k-1)/2 of (x/2)^(i-1/2) / Gamma(i+1/2)
    exponents = [
        (i - 0.5) * log_half - math.lgamma(i + 0.5) - half for i in range(1, degrees // 2 + 1)
    ]
    tail = math.erfc(math.sqrt(half))
    return min(1.0, math.fsum([tail, *(math.exp(e) for e in exponents)]))


def _z_p_value(bins: list[str], reference: np.ndarray, current: np.ndarray) -> float:
    from scipy import stats

    present = [i for i in range(len(bins)) if reference[i] > 0 or current[i] > 0]
    if len(present) <= 1:
        return 1.0
    first = min(present, key=lambda i: bins[i])
    n1, n2 = reference.sum(), current.sum()
    p1, p2 = reference[first] / n1, current[first] / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * (1 - stats.norm.cdf(abs(z))))
