"""An anytime-valid test that a fairness gap exceeds its tolerance: a betting e-process.

For two groups ``a`` and ``b`` and a rate (selection rate, TPR, ...), the null hypothesis is that
in every window the true gap ``rate_a - rate_b`` is at most ``tolerance``. In window ``t`` the
observed gap ``D_t`` is a difference of two means of values in [0, 1], so by Hoeffding's lemma
``D_t - gap_t`` is sub-Gaussian with variance factor ``s_t = 1/(4 n_a) + 1/(4 n_b)``. The
window's e-value

    E_t = exp(lam_t (D_t - tolerance) - lam_t**2 s_t / 2),   lam_t >= 0,

has expectation at most 1 under the null, whatever the gap was before, as long as ``lam_t`` is
chosen from past windows only. The bet ``lam_t`` is sized on the gap pooled over the previous
``lookback`` windows (``(gap - tolerance) / s_t``, 0 when that gap is within tolerance), so a fair
past costs nothing and a sustained unfair gap grows the wealth ``M_t = E_1 ... E_t`` geometrically.
``M_t`` is a non-negative supermartingale under the null, so by Ville's inequality the chance that
it *ever* reaches ``1 / alpha`` is at most ``alpha``: looking at every window, for ever, does not
inflate false alarms (as in Chugg et al. 2023, "Auditing fairness by betting", with a sub-Gaussian
bet per window instead of one per pair of rows). Both directions of each pair of groups are tested,
at ``alpha`` divided by the number of ordered pairs (Bonferroni).

The false-alarm rate measured by simulation is in docs/monitor.md (``benchmarks/monitor.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PairTest", "SequentialResult", "run_sequential"]

#: Largest bet: keeps one freak window from deciding alone (E_t <= exp(MAX_BET * 1)).
MAX_BET = 50.0


@dataclass
class PairTest:
    """The e-process of one ordered pair of groups, window by window."""

    high: str
    low: str
    windows: list[str] = field(default_factory=list)
    gaps: list[float | None] = field(default_factory=list)
    log_wealth: list[float] = field(default_factory=list)
    alarm_window: str | None = None


@dataclass
class SequentialResult:
    """Every pair's test; ``threshold`` is ``log(pairs / alpha)``, the boundary of log wealth."""

    tolerance: float
    alpha: float
    threshold: float
    pairs: list[PairTest]

    @property
    def alarm(self) -> PairTest | None:
        """The pair that alarmed first (None: no alarm)."""
        fired = [p for p in self.pairs if p.alarm_window is not None]
        return min(fired, key=lambda p: str(p.alarm_window)) if fired else None


def run_sequential(
    windows: list[str],
    successes: list[dict[str, float]],
    trials: list[dict[str, float]],
    *,
    tolerance: float,
    alpha: float,
    lookback: int,
    min_rows: int = 1,
) -> SequentialResult:
    """Run the test over ``windows`` in order.

    Parameters
    ----------
    windows : list of str
    successes, trials : list of dict
        Per window, each group's numerator and denominator of the rate (e.g. predicted
        positive and rows for the selection rate).
    tolerance, alpha : float
    lookback : int
        Past windows pooled to size each bet.
    min_rows : int
        A group with fewer trials in a window sits that window out.
    """
    groups = sorted({g for window in trials for g in window})
    ordered = [(a, b) for a in groups for b in groups if a != b]
    threshold = math.log(max(len(ordered), 1) / alpha)
    if not ordered:
        return SequentialResult(tolerance, alpha, threshold, [])
    column = {g: i for i, g in enumerate(groups)}
    hits = np.zeros((len(windows), len(groups)))
    sizes = np.zeros((len(windows), len(groups)))
    for t, (h, n) in enumerate(zip(successes, trials, strict=True)):
        for group, value in n.items():
            sizes[t, column[group]] = value
            hits[t, column[group]] = h.get(group, 0.0)
    high = np.array([column[a] for a, _ in ordered])
    low = np.array([column[b] for _, b in ordered])
    # Windows x pairs: who is compared, the observed gap, its sub-Gaussian variance factor.
    na, nb = sizes[:, high], sizes[:, low]
    xa, xb = hits[:, high], hits[:, low]
    valid = (na >= min_rows) & (nb >= min_rows) & (na > 0) & (nb > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(valid, xa / na - xb / nb, np.nan)
        spread = np.where(valid, 0.25 / na + 0.25 / nb, np.nan)
    # The bet of window t from the previous `lookback` windows only (predictable).
    pooled = [np.where(valid, part, 0.0) for part in (xa, na, xb, nb)]
    sums = []
    for part in pooled:
        total = np.vstack([np.zeros((1, part.shape[1])), np.cumsum(part, axis=0)])
        begin = np.maximum(np.arange(len(windows)) - lookback, 0)
        sums.append(total[np.arange(len(windows))] - total[begin])
    with np.errstate(divide="ignore", invalid="ignore"):
        past_gap = sums[0] / sums[1] - sums[2] / sums[3]
        bet = np.clip((past_gap - tolerance) / spread, 0.0, MAX_BET)
    bet = np.where(valid & (sums[1] > 0) & (sums[3] > 0), bet, 0.0)
    step = np.where(valid, bet * (gap - tolerance) - bet * bet * spread / 2, 0.0)
    wealth = np.cumsum(step, axis=0)
    crossed = wealth >= threshold
    # Plain lists for every pair at once (one conversion, not one per pair and window).
    shown = gap.astype(object)
    shown[np.isnan(gap)] = None
    gaps = shown.T.tolist()
    paths = wealth.T.tolist()
    alarmed = np.asarray(crossed.any(axis=0), dtype=bool)
    first = np.asarray(np.argmax(crossed, axis=0))
    pairs = [
        PairTest(
            a,
            b,
            list(windows),
            gaps[p],
            paths[p],
            windows[int(first[p])] if alarmed[p] else None,
        )
        for p, (a, b) in enumerate(ordered)
    ]
    return SequentialResult(tolerance, alpha, threshold, pairs)


def simulate_false_alarms(
    gap: float,
    tolerance: float,
    alpha: float,
    *,
    windows: int = 365,
    sizes: tuple[int, int] = (50, 250),
    base_rate: float = 0.6,
    runs: int = 1000,
    lookback: int = 7,
    random_state: int = 0,
) -> float:
    """The share of ``runs`` simulated monitors (true gap ``gap`` in every window) that alarm."""
    rng = np.random.default_rng(random_state)
    alarms = 0
    names = [f"{i:04d}" for i in range(windows)]
    for _ in range(runs):
        high = rng.binomial(sizes[0], min(base_rate + gap, 1.0), size=windows)
        low = rng.binomial(sizes[1], base_rate, size=windows)
        result = run_sequential(
            names,
            [{"a": float(x), "b": float(y)} for x, y in zip(high, low, strict=True)],
            [{"a": float(sizes[0]), "b": float(sizes[1])}] * windows,
            tolerance=tolerance,
            alpha=alpha,
            lookback=lookback,
        )
        alarms += result.alarm is not None
    return alarms / runs
