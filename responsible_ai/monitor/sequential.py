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
    pairs = []
    for high, low in ordered:
        test = PairTest(high, low)
        past: list[tuple[float, float, float, float]] = []
        wealth = 0.0
        for name, hits, sizes in zip(windows, successes, trials, strict=True):
            na, nb = sizes.get(high, 0.0), sizes.get(low, 0.0)
            test.windows.append(name)
            if na < min_rows or nb < min_rows:
                test.gaps.append(None)
                test.log_wealth.append(wealth)
                continue
            xa, xb = hits.get(high, 0.0), hits.get(low, 0.0)
            gap = xa / na - xb / nb
            spread = 0.25 / na + 0.25 / nb
            recent = past[-lookback:]
            bet = 0.0
            if recent:
                pooled = sum(r[0] for r in recent) / sum(r[1] for r in recent) - sum(
                    r[2] for r in recent
                ) / sum(r[3] for r in recent)
                bet = min(max((pooled - tolerance) / spread, 0.0), MAX_BET)
            wealth += bet * (gap - tolerance) - bet * bet * spread / 2
            past.append((xa, na, xb, nb))
            test.gaps.append(gap)
            test.log_wealth.append(wealth)
            if test.alarm_window is None and wealth >= threshold:
                test.alarm_window = name
        pairs.append(test)
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
