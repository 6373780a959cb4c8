"""DP fairness report: per-group selection rate, TPR and FPR from noisy confusion counts.

The fairness engine (:func:`responsible_ai.fairness.groups.count_groups`) counts each group's
confusion cells; each person falls in exactly one cell of one group, so adding two-sided geometric
noise (sensitivity 1) to every cell is epsilon-DP for the whole table (parallel composition). Rates
and disparities are post-processing of the noisy counts and cost nothing more.

Error bars account for both the DP noise and the sampling: each of ``draws`` simulations adds
fresh noise of the same (public) distribution to the released counts, then draws each rate from
its Jeffreys posterior; the intervals are percentiles of the simulated values. The difference
(max - min) and ratio (min / max) over groups are bounded by the groups' intervals at the Sidak
level ``confidence^(1/k)``: the percentiles of a simulated extreme are biased away from the
population's (with equal rates they never hold the true 0 gap), bounds are not
(``benchmarks/coverage_dp.py`` measures both).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.fairness.groups import count_groups
from responsible_ai.privacy.dp.ledger import Operation

__all__ = ["DISPARITY_METHOD", "DPFairnessTable", "dp_fairness_report", "fairness_operation"]

MECHANISM = "Geometric"
BAD_EPSILON = (
    "The 'epsilon' parameter of dp_fairness_report must be a float in the range (0, inf). "
    "Got {value!r} instead."
)
LENGTHS = "y_pred has {pred} values but the data has {rows} rows; they must match"
# name -> (numerator cells, denominator cells) over the released cells
_RATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "selection_rate": (("tp", "fp"), ("tp", "fp", "tn", "fn")),
    "true_positive_rate": (("tp",), ("tp", "fn")),
    "false_positive_rate": (("fp",), ("fp", "tn")),
}
_NO_TARGET_RATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "selection_rate": (("pp",), ("pp", "pn"))
}


@dataclass
class DPFairnessTable:
    """A DP fairness table: noisy per-group rates, their disparities, and error bars.

    Attributes
    ----------
    by : list of str
        The sensitive feature(s) grouped by.
    epsilon : float
        Privacy loss of the whole table.
    confidence : float
        Level of the intervals ``*_low`` / ``*_high``.
    groups : DataFrame
        One row per group: noisy counts, and per rate its value, ``_low`` and ``_high``.
    disparities : DataFrame
        Per rate: ``difference`` (max - min) and ``ratio`` (min / max) with intervals.
    """

    by: list[str]
    epsilon: float
    confidence: float
    groups: pd.DataFrame
    disparities: pd.DataFrame
    mechanism: str = MECHANISM
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            return [{str(k): _plain(v) for k, v in row.items()} for row in rows]

        return {
            "by": self.by,
            "epsilon": self.epsilon,
            "mechanism": self.mechanism,
            "confidence": self.confidence,
            "groups": records(self.groups),
            "disparities": records(self.disparities),
            "notes": self.notes,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fairness_operation(by: Sequence[str], epsilon: float) -> Operation:
    """The ledger entry of one DP fairness table."""
    return Operation(
        operation=f"fairness table by {', '.join(by)}",
        mechanism=MECHANISM,
        epsilon=float(epsilon),
        sensitivity=1.0,
    )


def _as_bool(values: Any, positive_label: Any, rows: int, name: str) -> np.ndarray:
    array = np.asarray(values)
    if len(array) != rows:
        raise InputError(LENGTHS.replace("y_pred", name).format(pred=len(array), rows=rows))
    if array.dtype == bool:
        return array
    return np.asarray(array == positive_label, dtype=bool)


def dp_fairness_report(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    y_pred: Any,
    y_true: Any = None,
    epsilon: float,
    positive_label: Any = 1,
    confidence: float = 0.95,
    draws: int = 2000,
    random_state: int | np.random.RandomState | None = None,
) -> DPFairnessTable:
    """Release per-group selection rate, TPR and FPR with DP noise, disparities and error bars.

    Parameters
    ----------
    data : DataFrame
        Holds the ``by`` columns.
    by : str or list of str
        Sensitive feature(s); several give intersectional groups.
    y_pred, y_true : array-like
        Decisions and true outcomes: booleans, or labels compared with ``positive_label``.
        Without ``y_true`` only selection rates are released.
    epsilon : float
        Privacy loss of the whole table.
    positive_label : default 1
        The favourable outcome, when ``y_pred`` / ``y_true`` are labels.
    confidence : float, default 0.95
        Level of the error bars.
    draws : int, default 2000
        Simulations behind the error bars (post-processing: no privacy cost).
    random_state : int, RandomState or None
        None for a real release; a seed only for tests.

    Returns
    -------
    DPFairnessTable

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"sex": ["f", "m"] * 5000})
    >>> pred = np.tile([True, True, False, True], 2500)
    >>> table = dp_fairness_report(frame, by="sex", y_pred=pred, epsilon=1.0, random_state=0)
    >>> table.groups["selection_rate"].round(2).tolist()
    [0.5, 1.0]
    """
    if not (isinstance(epsilon, int | float) and 0 < epsilon < math.inf):
        raise InputError(BAD_EPSILON.format(value=epsilon))
    columns = [by] if isinstance(by, str) else list(by)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(f"DP fairness report: column(s) {missing} are not in the data")
    rows = len(data)
    pred = _as_bool(y_pred, positive_label, rows, "y_pred")
    truth = None if y_true is None else _as_bool(y_true, positive_label, rows, "y_true")
    counts = count_groups(data, columns, pred, truth)

    from diffprivlib.utils import check_random_state

    rng = check_random_state(random_state)
    if truth is not None:
        exact = {name: counts.cells[name] for name in ("tp", "fp", "tn", "fn")}
        rates = _RATES
    else:
        exact = {"pp": counts.cells["pp"], "pn": counts.cells["n"] - counts.cells["pp"]}
        rates = _NO_TARGET_RATES
    noisy = {name: _geometric_noise(values, epsilon, rng) for name, values in exact.items()}

    sim_rng = np.random.default_rng(rng.randint(0, 2**31 - 1))
    tail = (1 - confidence) / 2 * 100
    groups = pd.DataFrame({"group": counts.labels})
    for column, values in zip(columns, zip(*counts.groups, strict=True), strict=True):
        groups[column] = list(values)
    groups["count"] = np.sum(list(noisy.values()), axis=0).astype(int)
    disparity_rows = []
    for rate, (top, bottom) in rates.items():
        value = _rate(noisy, top, bottom)
        simulated = _simulate(noisy, top, bottom, epsilon, draws, sim_rng)
        groups[rate] = value
        groups[f"{rate}_low"] = np.nanpercentile(simulated, tail, axis=0)
        groups[f"{rate}_high"] = np.nanpercentile(simulated, 100 - tail, axis=0)
        disparity_rows.append(_disparity(rate, value, simulated, confidence))
    notes = [
        "Counts carry two-sided geometric noise (epsilon for the whole table); rates and "
        "disparities are computed from the noisy counts. Group labels come from the data."
    ]
    return DPFairnessTable(
        by=columns,
        epsilon=float(epsilon),
        confidence=confidence,
        groups=groups,
        disparities=pd.DataFrame(disparity_rows),
        notes=notes,
    )


def _geometric_noise(values: np.ndarray, epsilon: float, rng: Any) -> np.ndarray:
    from diffprivlib.mechanisms import Geometric

    mechanism = Geometric(epsilon=epsilon, sensitivity=1, random_state=rng)
    # clipping at 0 is post-processing: no privacy cost
    return np.asarray([max(0, int(mechanism.randomise(round(v)))) for v in values], float)


def _rate(cells: dict[str, np.ndarray], top: tuple[str, ...], bottom: tuple[str, ...]) -> Any:
    numerator = sum(cells[name] for name in top)
    denominator = sum(cells[name] for name in bottom)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _simulate(
    noisy: dict[str, np.ndarray],
    top: tuple[str, ...],
    bottom: tuple[str, ...],
    epsilon: float,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``draws x groups`` plausible values of a rate given the noisy counts."""
    p = 1 - math.exp(-epsilon)
    shape = (draws, len(next(iter(noisy.values()))))

    def resample(values: np.ndarray) -> np.ndarray:
        noise = rng.geometric(p, size=shape) - rng.geometric(p, size=shape)
        return np.maximum(values[None, :] + noise, 0)

    cells = {name: resample(values) for name, values in noisy.items()}
    successes = sum(cells[name] for name in top)
    trials = sum(cells[name] for name in bottom)
    failures = np.maximum(trials - successes, 0)
    simulated = rng.beta(successes + 0.5, failures + 0.5)
    return np.where(trials > 0, simulated, np.nan)


DISPARITY_METHOD = "Sidak-simultaneous bounds from the groups' simulated intervals"


def _disparity(
    rate: str, value: np.ndarray, simulated: np.ndarray, confidence: float
) -> dict[str, Any]:
    from responsible_ai.fairness.score_intervals import GroupBounds, disparity_bounds, sidak

    defined = ~np.isnan(value)
    high, low = np.nanmax(value), np.nanmin(value)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = low / high if high > 0 else math.nan
    tail = (1 - sidak(confidence, int(defined.sum()))) / 2 * 100
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a group with no defined draw
        bounds = GroupBounds(
            np.nanpercentile(simulated, tail, axis=0),
            np.nanpercentile(simulated, 100 - tail, axis=0),
        )
    difference_bounds = disparity_bounds(bounds, defined, "difference") or [math.nan] * 2
    ratio_bounds = disparity_bounds(bounds, defined, "ratio") or [math.nan] * 2
    return {
        "metric": rate,
        "difference": float(high - low),
        "difference_low": float(difference_bounds[0]),
        "difference_high": float(difference_bounds[1]),
        "ratio": float(ratio),
        "ratio_low": float(ratio_bounds[0]),
        "ratio_high": float(ratio_bounds[1]),
        "interval_method": DISPARITY_METHOD,
    }
