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

__all__ = ["PairTest", "SequentialResult", "continue_sequential", "run_sequential"]

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


class SequentialResult:
    """Every pair's test; ``threshold`` is ``log(pairs / alpha)``, the boundary of log wealth.

    Kept as the per-window inputs (each group's successes and trials) and the test's state after
    the last window, so that :func:`continue_sequential` computes new windows only. Each pair's
    path (:class:`PairTest`: gaps and log wealth per window) is built when asked for: ``pairs``
    builds them all, :attr:`alarm` and :meth:`best` one each.
    """

    def __init__(
        self,
        tolerance: float,
        alpha: float,
        threshold: float,
        *,
        windows: list[str],
        groups: list[str],
        hits: np.ndarray,
        sizes: np.ndarray,
        lookback: int,
        min_rows: int,
        carry: dict[str, np.ndarray],
    ) -> None:
        self.tolerance, self.alpha, self.threshold = tolerance, alpha, threshold
        self.windows, self.groups = windows, groups
        self.hits, self.sizes = hits, sizes
        self.lookback, self.min_rows = lookback, min_rows
        #: ``totals`` (the pooled sums' running totals of the last ``lookback`` + 1 windows),
        #: ``wealth`` (after the last window), ``best`` (largest log wealth), ``first`` (index of
        #: the first window at or over the boundary, -1: none) and ``gapped`` (a gap computed in
        #: some window), per ordered pair.
        self.carry = carry
        #: What the test is of (the rule's metric and column), set by who runs it.
        self.subject: tuple[str, ...] = ()
        self._pairs: list[PairTest] | None = None

    @property
    def ordered(self) -> list[tuple[str, str]]:
        """The ordered pairs of groups tested, in order."""
        return [(a, b) for a in self.groups for b in self.groups if a != b]

    @property
    def pairs(self) -> list[PairTest]:
        """Every pair's path."""
        if self._pairs is None:
            self._pairs = self._paths(list(range(len(self.ordered))))
        return self._pairs

    @property
    def alarm(self) -> PairTest | None:
        """The pair that alarmed first (None: no alarm)."""
        first = self.carry["first"]
        fired = np.flatnonzero(first >= 0)
        if not len(fired):
            return None
        # The earliest window; of those, the first pair (as min() over the pairs would).
        return self._paths([int(fired[np.argmin(first[fired])])])[0]

    @property
    def computed(self) -> bool:
        """Some window had a gap between two groups to bet on."""
        return bool(self.carry["gapped"].any())

    def best(self) -> PairTest | None:
        """The pair with the largest log wealth over the windows (the first of equals)."""
        if not len(self.carry["best"]):
            return None
        return self._paths([int(np.argmax(self.carry["best"]))])[0]

    def _paths(self, chosen: list[int]) -> list[PairTest]:
        ordered = self.ordered
        high = np.array([self.groups.index(ordered[p][0]) for p in chosen], dtype=np.intp)
        low = np.array([self.groups.index(ordered[p][1]) for p in chosen], dtype=np.intp)
        gap, wealth, _, _ = _steps(
            self.hits, self.sizes, high, low, self.tolerance, self.lookback, self.min_rows
        )
        # Plain lists for every pair at once (one conversion, not one per pair and window).
        shown = gap.astype(object)
        shown[np.isnan(gap)] = None
        gaps = shown.T.tolist()
        paths = wealth.T.tolist()
        first = self.carry["first"]
        return [
            PairTest(
                ordered[p][0],
                ordered[p][1],
                list(self.windows),
                gaps[i],
                paths[i],
                self.windows[int(first[p])] if first[p] >= 0 else None,
            )
            for i, p in enumerate(chosen)
        ]


def _matrices(
    groups: list[str], successes: list[dict[str, float]], trials: list[dict[str, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Windows x groups: each group's successes and trials."""
    column = {g: i for i, g in enumerate(groups)}
    hits = np.zeros((len(trials), len(groups)))
    sizes = np.zeros((len(trials), len(groups)))
    for t, (h, n) in enumerate(zip(successes, trials, strict=True)):
        for group, value in n.items():
            sizes[t, column[group]] = value
            hits[t, column[group]] = h.get(group, 0.0)
    return hits, sizes


def _steps(
    hits: np.ndarray,
    sizes: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    tolerance: float,
    lookback: int,
    min_rows: int,
    before: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Windows x pairs: the gap, the log wealth, whether the gap counted, and the running totals
    of the pooled sums (one more row than windows: row 0 is the totals before the first window).

    ``before``: the carry after earlier windows (``totals`` rows of the last ``lookback`` + 1
    windows, ``wealth``): the windows continue those, with the additions in the same order as one
    run over all of them (equal to the last digit).
    """
    count = len(hits)
    # Who is compared, the observed gap, its sub-Gaussian variance factor.
    na, nb = sizes[:, high], sizes[:, low]
    xa, xb = hits[:, high], hits[:, low]
    valid = (na >= min_rows) & (nb >= min_rows) & (na > 0) & (nb > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(valid, xa / na - xb / nb, np.nan)
        spread = np.where(valid, 0.25 / na + 0.25 / nb, np.nan)
    # The bet of window t from the previous `lookback` windows only (predictable).
    pooled = [np.where(valid, part, 0.0) for part in (xa, na, xb, nb)]
    sums, totals = [], []
    for k, part in enumerate(pooled):
        if before is None:
            total = np.vstack([np.zeros((1, part.shape[1])), np.cumsum(part, axis=0)])
            past, offset = total, 0
        else:
            kept = before["totals"][:, k, :]
            total = np.cumsum(np.vstack([kept[-1:], part]), axis=0)
            past = np.vstack([kept[:-1], total])
            offset = int(before["start"]) - len(kept) + 1
        at = np.arange(count) + (0 if before is None else int(before["start"]))
        begin = np.maximum(at - lookback, 0)
        sums.append(past[at - offset] - past[begin - offset])
        totals.append(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        past_gap = sums[0] / sums[1] - sums[2] / sums[3]
        bet = np.clip((past_gap - tolerance) / spread, 0.0, MAX_BET)
    bet = np.where(valid & (sums[1] > 0) & (sums[3] > 0), bet, 0.0)
    step = np.where(valid, bet * (gap - tolerance) - bet * bet * spread / 2, 0.0)
    if before is None:
        wealth = np.cumsum(step, axis=0)
    else:
        wealth = np.cumsum(np.vstack([before["wealth"][None, :], step]), axis=0)[1:]
    return gap, wealth, valid, totals


def _carry(
    wealth: np.ndarray,
    valid: np.ndarray,
    totals: list[np.ndarray],
    threshold: float,
    lookback: int,
    start: int,
    before: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The test's state after the last of these windows (``start``: the index of the first)."""
    crossed = wealth >= threshold
    first = np.where(crossed.any(axis=0), np.argmax(crossed, axis=0) + start, -1)
    best = wealth.max(axis=0)
    gapped = valid.any(axis=0)
    skip = 0 if before is None else 1  # row 0 of a continuation is the carried row
    tail = np.stack([t[skip:][-(lookback + 1) :] for t in totals], axis=1)
    if before is not None:
        first = np.where(before["first"] >= 0, before["first"], first)
        best = np.maximum(before["best"], best)
        gapped = before["gapped"] | gapped
        tail = np.concatenate([before["totals"], tail])
    return {
        "totals": tail[-(lookback + 1) :],
        "wealth": wealth[-1],
        "best": best,
        "first": first.astype(np.int64),
        "gapped": gapped,
        "start": np.array(start + len(wealth)),
    }


def _start(
    windows: list[str],
    groups: list[str],
    hits: np.ndarray,
    sizes: np.ndarray,
    tolerance: float,
    alpha: float,
    lookback: int,
    min_rows: int,
) -> SequentialResult:
    """The test over every window, from the first."""
    ordered = [(a, b) for a in groups for b in groups if a != b]
    threshold = math.log(max(len(ordered), 1) / alpha)
    column = {g: i for i, g in enumerate(groups)}
    high = np.array([column[a] for a, _ in ordered], dtype=np.intp)
    low = np.array([column[b] for _, b in ordered], dtype=np.intp)
    if ordered and windows:
        _, wealth, valid, totals = _steps(hits, sizes, high, low, tolerance, lookback, min_rows)
        carry = _carry(wealth, valid, totals, threshold, lookback, 0)
    else:
        carry = _empty_carry(len(ordered), lookback, len(windows))
    return SequentialResult(
        tolerance,
        alpha,
        threshold,
        windows=windows,
        groups=groups,
        hits=hits,
        sizes=sizes,
        lookback=lookback,
        min_rows=min_rows,
        carry=carry,
    )


def _empty_carry(pairs: int, lookback: int, start: int) -> dict[str, np.ndarray]:
    return {
        "totals": np.zeros((1, 4, pairs)),
        "wealth": np.zeros(pairs),
        "best": np.zeros(pairs),
        "first": np.full(pairs, -1, dtype=np.int64),
        "gapped": np.zeros(pairs, dtype=bool),
        "start": np.array(start),
    }


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
    hits, sizes = _matrices(groups, successes, trials)
    return _start(list(windows), groups, hits, sizes, tolerance, alpha, lookback, min_rows)


def continue_sequential(
    previous: SequentialResult,
    windows: list[str],
    successes: list[dict[str, float]],
    trials: list[dict[str, float]],
) -> SequentialResult:
    """``previous`` with ``windows`` (new or changed) put in: the result of
    :func:`run_sequential` over every window, to the last digit.

    When every window is new and sorts after the last one, and no group is new, the test
    continues from its state after that window: only the new windows are computed. Otherwise (an
    old window changed, a new group) it runs again from the first window, over the kept
    per-window inputs with these windows put in (no counts needed).
    """
    old = previous
    if not windows:
        return old
    groups = sorted({*old.groups, *(g for window in trials for g in window)})
    order = sorted(range(len(windows)), key=windows.__getitem__)
    names = [windows[i] for i in order]
    hits, sizes = _matrices(groups, [successes[i] for i in order], [trials[i] for i in order])
    appended = not old.windows or names[0] > old.windows[-1]
    if appended and groups == old.groups and len(set(names)) == len(names) and old.ordered:
        before = old.carry
        ordered = old.ordered
        column = {g: i for i, g in enumerate(groups)}
        high = np.array([column[a] for a, _ in ordered], dtype=np.intp)
        low = np.array([column[b] for _, b in ordered], dtype=np.intp)
        _, wealth, valid, totals = _steps(
            hits, sizes, high, low, old.tolerance, old.lookback, old.min_rows, before
        )
        start = len(old.windows)
        carry = _carry(wealth, valid, totals, old.threshold, old.lookback, start, before)
        return SequentialResult(
            old.tolerance,
            old.alpha,
            old.threshold,
            windows=[*old.windows, *names],
            groups=groups,
            hits=np.vstack([old.hits, hits]),
            sizes=np.vstack([old.sizes, sizes]),
            lookback=old.lookback,
            min_rows=old.min_rows,
            carry=carry,
        )
    every = sorted({*old.windows, *names})
    row = {w: i for i, w in enumerate(every)}
    all_hits = np.zeros((len(every), len(groups)))
    all_sizes = np.zeros((len(every), len(groups)))
    kept = np.ix_([row[w] for w in old.windows], [groups.index(g) for g in old.groups])
    all_hits[kept], all_sizes[kept] = old.hits, old.sizes
    put = [row[w] for w in names]
    all_hits[put], all_sizes[put] = hits, sizes
    return _start(
        every, groups, all_hits, all_sizes, old.tolerance, old.alpha, old.lookback, old.min_rows
    )


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
