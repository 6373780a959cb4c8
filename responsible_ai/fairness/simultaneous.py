"""Closed-form and simultaneous intervals of count-based group metrics and their disparities.

Why not the percentile bootstrap: a disparity over groups is an extreme (the largest gap, the
smallest ratio), and the sample's extreme overstates the population's, so percentile intervals of
it miss the true value far more often than 5% once there are more than two groups
(docs/uncertainty.md has the measurements).

- Each group's rate: the Wilson score interval, on the Kish effective size of its denominator
  (``n`` unweighted; ``(sum w)^2 / sum w^2`` with sample weights, taken constant within a
  (group, cell), as the counts keep no more than that).
- A disparity: every group contrast it is the extreme of (each pair of groups; each group
  against the overall or the reference value) gets an interval ``estimate +- c * se`` with one
  critical value ``c``, the 95% quantile of the largest studentized contrast (max-t), simulated
  from independent normal group estimates. All contrasts hold together with 95% probability,
  and when they do, the extreme lies between the extremes of their bounds: the interval of the
  disparity holds at least as often. Estimates are Agresti-Caffo adjusted (``c^2 / 4``
  successes and failures added per group, 1 for two groups), which keeps small and all-0 or
  all-1 groups honest; ratios work on the log scale (Katz). With one contrast (two groups) this
  is the Agresti-Caffo interval of a difference or Katz's of a ratio.

The cost is one ``(n_boot, groups)`` normal draw and its contrasts; with more than
:data:`MAX_PAIR_GROUPS` groups the pairs give way to one interval per group (linear in groups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from responsible_ai.fairness.catalog import GROUP_METRICS
from responsible_ai.fairness.groups import GroupCounts, derive_cells

__all__ = [
    "GROUP_METHOD",
    "MAX_PAIR_GROUPS",
    "disparity_interval",
    "group_estimates",
    "normal_quantile",
    "wilson_intervals",
]

GROUP_METHOD = "wilson"
# Above this many groups compared, contrasts are per group (linear) instead of per pair (k^2 / 2).
MAX_PAIR_GROUPS = 64
# Pseudo-observations added to each group's successes and failures (Agresti-Caffo).
_ADDED = 1.0


def _effective(counts: GroupCounts, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Each group's weighted rate and the Kish effective size of its denominator."""
    spec = GROUP_METRICS[metric]
    weighted = counts.cells
    rows = counts.rows.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        squares = np.where(rows > 0, counts.weights**2 / np.where(rows > 0, rows, 1), 0.0)
    squared = derive_cells(squares, counts.has_target)
    numerator = np.asarray(sum(weighted[c] for c in spec.numerator), dtype=float)
    denominator = np.asarray(sum(weighted[c] for c in spec.denominator), dtype=float)
    sum_squares = np.asarray(sum(squared[c] for c in spec.denominator), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )
        size = np.where(
            sum_squares > 0, denominator**2 / np.where(sum_squares > 0, sum_squares, 1), 0.0
        )
    return rate, size


def group_estimates(
    counts: GroupCounts, metric: str, added: float = _ADDED
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted estimate and its standard error for each group (NaN where undefined).

    ``added`` pseudo-successes and as many failures go into each group: ``z^2 / 4`` is
    Agresti-Caffo's choice (1 at 95%). A ``mean_of`` metric averages its parts' estimates; their
    variances add (disjoint cells).
    """
    spec = GROUP_METRICS[metric]
    if spec.kind == "mean_of":
        parts = [group_estimates(counts, part, added) for part in spec.parts]
        centre = np.mean([p[0] for p in parts], axis=0)
        spread = np.sqrt(np.sum([p[1] ** 2 for p in parts], axis=0)) / len(parts)
        return centre, spread
    rate, size = _effective(counts, metric)
    adjusted = (rate * size + added) / (size + 2 * added)
    spread = np.sqrt(adjusted * (1 - adjusted) / (size + 2 * added))
    undefined = np.isnan(rate)
    return np.where(undefined, np.nan, adjusted), np.where(undefined, np.nan, spread)


def wilson_intervals(
    counts: GroupCounts, metric: str, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each group's rate (NaN where the rate is undefined)."""
    spec = GROUP_METRICS[metric]
    z = normal_quantile(0.5 + confidence / 2)
    if spec.kind == "mean_of":  # an average of rates: adjusted centre +- z * se
        centre, spread = group_estimates(counts, metric)
        return np.clip(centre - z * spread, 0, 1), np.clip(centre + z * spread, 0, 1)
    rate, size = _effective(counts, metric)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (rate + z * z / (2 * size)) / (1 + z * z / size)
        half = z / (1 + z * z / size) * np.sqrt(rate * (1 - rate) / size + z * z / (4 * size**2))
    undefined = np.isnan(rate) | (size <= 0)
    low = np.where(undefined, np.nan, np.clip(centre - half, 0, 1))
    high = np.where(undefined, np.nan, np.clip(centre + half, 0, 1))
    return low, high


@dataclass(frozen=True)
class _Contrasts:
    """Linear contrasts of ``k`` estimates, applied without a dense ``(m, k)`` matrix."""

    kind: str
    k: int
    weights: np.ndarray | None = None  # to_overall: x_g - weights @ x

    def apply(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "pairs":
            first, second = np.triu_indices(self.k, 1)
            return x[..., first] - x[..., second]
        if self.kind == "reference":  # the reference estimate is the last one
            return x[..., :-1] - x[..., -1:]
        if self.kind == "overall":
            assert self.weights is not None
            return x - (x @ self.weights)[..., None]
        return x

    def se(self, s: np.ndarray) -> np.ndarray:
        """Standard error of each contrast of independent estimates with errors ``s``."""
        v = s**2
        if self.kind == "pairs":
            first, second = np.triu_indices(self.k, 1)
            return np.sqrt(v[first] + v[second])
        if self.kind == "reference":
            return np.sqrt(v[:-1] + v[-1])
        if self.kind == "overall":
            assert self.weights is not None
            w = self.weights
            return np.sqrt(np.maximum(v * (1 - 2 * w) + (w**2) @ v, 0.0))
        return s


# What evidence.interval.contrasts says for each kind.
_CONTRAST_WORDS = {
    "pairs": "every pair of groups",
    "groups": "each group",
    "range": "each group (range of their bounds)",
    "reference": "each group against the reference",
    "overall": "each group against the overall",
}


def _contrasts_of(k: int, method: str, comparison: str, share: np.ndarray) -> _Contrasts:
    """The contrasts of the ``k`` compared estimates whose extreme is the disparity."""
    if comparison in ("group_min", "group_max"):
        return _Contrasts("groups", k)
    if method == "between_groups":
        return _Contrasts("pairs" if k <= MAX_PAIR_GROUPS else "range", k)
    if method == "to_reference":
        return _Contrasts("reference", k)
    return _Contrasts("overall", k, share / share.sum())


def disparity_interval(
    counts: GroupCounts,
    group_metrics: tuple[str, ...],
    comparison: str,
    method: str,
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    confidence: float,
    n_draws: int,
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    """The simultaneous interval of a check's value (max over components of the disparity)."""
    log_scale = comparison == "ratio"
    z: np.ndarray | None = None
    critical: float | None = None
    added = _ADDED
    # Twice: the critical value of the simultaneous intervals sets how much to add to each group
    # (c^2 / 4, Agresti-Caffo's z^2 / 4 at a larger quantile), which changes the errors a little.
    for _ in range(2):
        built = _contrasts(counts, group_metrics, comparison, method, usable_of, reference, added)
        if built is None:
            return None
        blocks, kind = built
        critical = _sidak(blocks, confidence)
        if critical is None:
            if z is None:
                z = rng.standard_normal((n_draws, sum(b[2].k for b in blocks)))
            critical = _critical(blocks, z, confidence)
        added = max(_ADDED, critical**2 / 4)
    contrast = np.concatenate([b[0] for b in blocks])
    se = np.concatenate([b[2].se(b[1]) for b in blocks])
    low, high = contrast - critical * se, contrast + critical * se
    low_value, high_value = _reduce(low, high, comparison, kind, blocks)
    if log_scale:  # log ratio bounds are of -|log p_i - log p_j|
        low_value, high_value = math.exp(-high_value), math.exp(-low_value)
    else:
        low_value, high_value = max(low_value, -1.0), min(high_value, 1.0)
    extreme = comparison in ("group_min", "group_max")
    single = len(group_metrics) == 1 and contrast.size == 1 and not extreme
    name = ("katz-log" if log_scale else "agresti-caffo") if single else "max-t-simultaneous"
    return {
        "low": low_value,
        "high": high_value,
        "confidence": confidence,
        "method": name,
        "contrasts": _CONTRAST_WORDS[kind],
        "critical_value": critical,
        "n_boot": n_draws,
        "undefined_replicates": 0,
    }


_Block = tuple[np.ndarray, np.ndarray, _Contrasts]  # contrast estimates, group errors, contrasts


def _contrasts(
    counts: GroupCounts,
    group_metrics: tuple[str, ...],
    comparison: str,
    method: str,
    usable_of: dict[str, np.ndarray],
    reference: int | None,
    added: float,
) -> tuple[list[_Block], str] | None:
    """Per component: the contrasts' estimates, the compared groups' errors, the contrasts."""
    log_scale = comparison == "ratio"
    blocks: list[_Block] = []
    kind = ""
    for name in group_metrics:
        centre, spread = group_estimates(counts, name, added)
        columns = np.flatnonzero(usable_of[name])
        if reference is not None:
            columns = np.append(columns, reference)
        a, s = centre[columns], spread[columns]
        if np.isnan(a).any() or a.size == 0:
            return None
        spec = GROUP_METRICS[name]
        size = counts.cells["n"] if spec.kind == "mean_of" else _effective(counts, name)[1]
        contrasts = _contrasts_of(a.size, method, comparison, size[columns])
        kind = contrasts.kind
        if log_scale:
            if kind == "overall":  # log p_g - log(sum share * p), linearised around the estimates
                assert contrasts.weights is not None
                overall = float(contrasts.weights @ a)
                estimate = np.log(a) - math.log(overall)
                contrasts = _Contrasts(kind, a.size, contrasts.weights * a / overall)
            else:
                estimate = contrasts.apply(np.log(a))
            s = s / a  # delta method: the se of log p is se / p
        else:
            estimate = contrasts.apply(a)
        blocks.append((estimate, s, contrasts))
    return blocks, kind


def _sidak(blocks: list[_Block], confidence: float) -> float | None:
    """The exact critical value when the contrasts are independent: the group estimates
    themselves, or a single contrast (two groups); None otherwise."""
    count = sum(len(block[0]) for block in blocks)
    if count == 1 or all(block[2].kind in ("groups", "range") for block in blocks):
        return normal_quantile(0.5 + confidence ** (1.0 / count) / 2)
    return None


def _critical(blocks: list[_Block], z: np.ndarray, confidence: float) -> float:
    """The ``confidence`` quantile of the largest |contrast| / se over normal group draws."""
    largest = np.zeros(len(z))
    offset = 0
    for _, s, contrasts in blocks:
        width = contrasts.k
        draws = contrasts.apply(z[:, offset : offset + width] * s)
        offset += width
        se = contrasts.se(s)
        largest = np.maximum(largest, np.max(np.abs(draws) / se, axis=1))
    return float(np.quantile(largest, confidence))


def _reduce(
    low: np.ndarray,
    high: np.ndarray,
    comparison: str,
    kind: str,
    blocks: list[_Block],
) -> tuple[float, float]:
    """Bounds of the disparity from bounds of its contrasts, holding whenever all of them do."""
    if comparison == "group_max":
        return float(low.max()), float(high.max())
    if comparison == "group_min":
        return float(low.min()), float(high.min())
    if kind == "range":  # bounds of each group: the range lies within theirs
        lows, highs, offset = [], [], 0
        for a, _, _ in blocks:  # here the contrasts are the groups themselves
            lo, hi = low[offset : offset + a.size], high[offset : offset + a.size]
            offset += a.size
            lows.append(max(0.0, float(lo.max() - hi.min())))
            highs.append(float(hi.max() - lo.min()))
        return max(lows), max(highs)
    # the disparity is the largest |contrast| (for ratios, of log rates)
    straddles = (low <= 0) & (high >= 0)
    smallest = np.where(straddles, 0.0, np.minimum(np.abs(low), np.abs(high)))
    biggest = np.maximum(np.abs(low), np.abs(high))
    return float(smallest.max()), float(biggest.max())


def normal_quantile(p: float) -> float:
    """The standard normal quantile as ``scipy.special.ndtri`` gives it: to 1 ulp inside (0, 1),
    ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1] or for NaN (a confidence so close to 1 that
    ``0.5 + c / 2`` rounds to 1 gives ``inf``, as before). Importing scipy.special would cost
    ``rai monitor --follow`` 0.15 s."""
    if not 0.0 < p < 1.0:
        return -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
    return NormalDist().inv_cdf(p)
