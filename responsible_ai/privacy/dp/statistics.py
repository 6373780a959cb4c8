"""DP statistics with IBM diffprivlib: count, sum, mean, variance, quantile, histogram.

Which mechanism releases what (the ``mechanism`` recorded in the ledger):

Neighbouring datasets differ by adding or removing one person's row, so the number of rows (of
the data and of every group) is itself private: nothing released may use it exactly.

========== ===================================================== ===========================
statistic  mechanism                                             sensitivity (add/remove one)
========== ===================================================== ===========================
count      Geometric (two-sided, integer)                        1
sum        Laplace on the sum of values centred on the bounds'    (upper - lower) / 2
           midpoint (plus midpoint x noisy count)                 and 1 for the count
mean       noisy centred sum / noisy count (epsilon split 1:1)    (upper - lower) / 2 and 1
variance   noisy count, centred sum, centred sum of squares       1, (upper - lower) / 2,
           (epsilon split 1:1:1)                                 ((upper - lower) / 2)^2
quantile   Exponential                                           1 (utility: rank)
histogram  Geometric (truncated at 0), one draw per bin          1 (bins are disjoint)
========== ===================================================== ===========================

The released value is post-processing of the noisy parts (clipped to what the bounds allow),
and the result records the ``epsilon_split``; the ledger charges the statistic's whole epsilon.
Groups of ``by`` are disjoint, so a per-group statistic costs its epsilon once (parallel
composition). The quantile's utility ``-|i - q n|`` moves by at most ``max(q, 1 - q)`` when one
person is added or removed, so it holds under add/remove too. The ``snapping`` mechanism (sum
and mean) is diffprivlib-style and treats the number of rows as public: the release settings
refuse it with ``by`` (a group's size is private), so only the dataset's size is taken as known.

Bounds always come from the caller: diffprivlib's ``PrivacyLeakWarning`` (bounds read off the
data) is turned into an :class:`~responsible_ai.errors.InputError`. Values outside the bounds are
clipped.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from responsible_ai.errors import InputError
from responsible_ai.privacy.dp.ledger import Operation

if TYPE_CHECKING:
    from numpy.random import RandomState

    from responsible_ai.privacy.dp.settings import StatisticSpec

__all__ = [
    "EPSILON_SPLIT",
    "MECHANISMS",
    "PRIVACY_LEAK",
    "dp_statistic",
    "epsilon_split",
    "group_frames",
    "no_privacy_leaks",
    "plan_statistic",
]

PRIVACY_LEAK = (
    "diffprivlib would read privacy parameters off the data ({warning}); give bounds in the "
    "policy's release section instead"
)
MISSING_COLUMN = "release statistic {name!r}: column {column!r} is not in the data"
NOT_NUMERIC = "release statistic {name!r}: column {column!r} must be numeric for a {statistic}"
EMPTY = "release statistic {name!r}: no values (all missing) in {where}; nothing to release"

MECHANISMS: dict[str, str] = {
    "count": "Geometric",
    "sum": "Geometric count + Laplace centred sum",
    "mean": "Geometric count + Laplace centred sum",
    "variance": "Geometric count + Laplace centred sums",
    "quantile": "Exponential",
    "histogram": "Geometric (truncated)",
}


@contextmanager
def no_privacy_leaks() -> Iterator[None]:
    """Turn diffprivlib's ``PrivacyLeakWarning`` into an :class:`InputError`."""
    from diffprivlib.utils import PrivacyLeakWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyLeakWarning)
        try:
            yield
        except PrivacyLeakWarning as warning:
            raise InputError(PRIVACY_LEAK.format(warning=warning)) from None


def group_frames(frame: pd.DataFrame, by: list[str] | None) -> list[tuple[dict[str, Any], Any]]:
    """``[(group values, sub-frame)]``; one entry ``({}, frame)`` when ``by`` is None."""
    if not by:
        return [({}, frame)]
    groups = []
    for key, part in frame.groupby(by, sort=True, dropna=False, observed=True):
        values = key if isinstance(key, tuple) else (key,)
        groups.append((dict(zip(by, [_python(v) for v in values], strict=True)), part))
    return groups


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_columns(frame: pd.DataFrame, spec: StatisticSpec) -> None:
    for column in [spec.column, *(spec.by or [])]:
        if column is not None and column not in frame.columns:
            raise InputError(MISSING_COLUMN.format(name=spec.label, column=column))
    numeric = spec.statistic != "count" and spec.categories is None
    if numeric and not pd.api.types.is_numeric_dtype(frame[spec.column]):
        raise InputError(
            NOT_NUMERIC.format(name=spec.label, column=spec.column, statistic=spec.statistic)
        )


def _sensitivity(spec: StatisticSpec, sizes: list[int]) -> float:
    width = 0.0 if spec.bounds is None else spec.bounds[1] - spec.bounds[0]
    if spec.mechanism == "snapping":  # diffprivlib's form: the size n is taken as public
        smallest = max(1, min(sizes)) if sizes else 1
        return width if spec.statistic == "sum" else width / smallest
    if spec.statistic in ("sum", "mean", "variance"):
        # the largest part: the centred sum's (the count's is 1, the squares' (width/2)^2)
        return max(width / 2, 1.0) if spec.statistic != "variance" else max(width**2 / 4, 1.0)
    return 1.0


# How a statistic's epsilon is split over its noisy parts (they compose sequentially).
EPSILON_SPLIT: dict[str, tuple[str, ...]] = {
    "sum": ("count", "sum"),
    "mean": ("count", "sum"),
    "variance": ("count", "sum", "sum_of_squares"),
}


def epsilon_split(spec: StatisticSpec) -> dict[str, float]:
    """The epsilon of each noisy part of ``spec``; they add up to ``spec.epsilon``."""
    parts = EPSILON_SPLIT.get(spec.statistic, ()) if spec.mechanism != "snapping" else ()
    if not parts:
        return {spec.statistic: spec.epsilon}
    return {part: spec.epsilon / len(parts) for part in parts}


def plan_statistic(frame: pd.DataFrame, spec: StatisticSpec) -> Operation:
    """The ledger entry of ``spec`` on ``frame``: known before any noise is drawn.

    Raises
    ------
    InputError
        A column is missing or not numeric.
    """
    _check_columns(frame, spec)
    groups = group_frames(frame, spec.by)
    if spec.statistic in ("sum", "mean", "variance", "quantile"):
        for values, part in groups:
            if part[spec.column].notna().sum() == 0:  # caught here, before any budget is spent
                where = ", ".join(f"{k}={v}" for k, v in values.items()) or "the data"
                raise InputError(EMPTY.format(name=spec.label, where=where))
    sizes = [len(part) for _, part in groups]
    mechanism = "Snapping" if spec.mechanism == "snapping" else MECHANISMS[spec.statistic]
    where = f" by {', '.join(spec.by)}" if spec.by else ""
    return Operation(
        operation=f"{spec.label}{where}",
        mechanism=mechanism,
        epsilon=spec.epsilon,
        delta=0.0,
        sensitivity=_sensitivity(spec, sizes),
    )


def dp_statistic(
    frame: pd.DataFrame, spec: StatisticSpec, random_state: RandomState | int | None = None
) -> dict[str, Any]:
    """Release one DP statistic of ``frame`` (overall, or one value per group of ``spec.by``).

    Spend the budget (:meth:`BudgetLedger.charge`) before calling this: it draws the noise.

    Parameters
    ----------
    frame : DataFrame
        The private data.
    spec : StatisticSpec
        What to release, with its bounds and epsilon.
    random_state : int, RandomState or None
        None (the default, and the only safe choice for a real release) draws fresh randomness;
        a seed makes the noise reproducible, for tests only.

    Returns
    -------
    dict
        ``name, statistic, column, by, epsilon, mechanism, bounds`` and ``value`` (overall) or
        ``groups`` (a list of ``{"group", "values", "value"}``).

    Examples
    --------
    >>> import pandas as pd
    >>> from responsible_ai.privacy.dp import StatisticSpec
    >>> spec = StatisticSpec(statistic="mean", column="age", bounds=(0, 100), epsilon=1.0)
    >>> out = dp_statistic(pd.DataFrame({"age": [30, 40, 50] * 1000}), spec, random_state=0)
    >>> round(out["value"])
    40
    """
    from diffprivlib.utils import check_random_state

    rng = check_random_state(random_state)
    plan = plan_statistic(frame, spec)
    release = _release_function(spec)
    result: dict[str, Any] = {
        "name": spec.label,
        "statistic": spec.statistic,
        "column": spec.column,
        "by": spec.by,
        "epsilon": spec.epsilon,
        "mechanism": plan.mechanism,
        "bounds": list(spec.bounds) if spec.bounds else None,
    }
    if spec.q is not None:
        result["q"] = spec.q
    result["epsilon_split"] = epsilon_split(spec)
    groups = []
    with no_privacy_leaks():
        for values, part in group_frames(frame, spec.by):
            label = " / ".join(str(v) for v in values.values()) or "overall"
            groups.append({"group": label, "values": values, "value": release(part, spec, rng)})
    if spec.by:
        result["groups"] = groups
    else:
        result["value"] = groups[0]["value"]
    return result


def _column(part: pd.DataFrame, spec: StatisticSpec) -> np.ndarray:
    values = part[spec.column].dropna().to_numpy(dtype=float)
    if len(values) == 0:
        raise InputError(EMPTY.format(name=spec.label, where=f"column {spec.column!r}"))
    return values


def _count(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> int:
    from diffprivlib.mechanisms import Geometric

    rows = len(part) if spec.column is None else int(part[spec.column].notna().sum())
    noisy = Geometric(epsilon=spec.epsilon, sensitivity=1, random_state=rng).randomise(rows)
    return max(0, int(noisy))  # clipping at 0 is post-processing: no privacy cost


def _noisy_moments(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> dict[str, float]:
    """Noisy count and noisy centred sums of one group: private under add/remove of a person.

    Centring on the bounds' midpoint halves the sensitivity of the sum; the count is released
    with its own noise, so the group's size is never used exactly.
    """
    from diffprivlib.mechanisms import Geometric, Laplace

    assert spec.bounds is not None
    lower, upper = spec.bounds
    half = (upper - lower) / 2
    centred = np.clip(_column(part, spec), lower, upper) - (lower + upper) / 2
    split = epsilon_split(spec)
    count = Geometric(epsilon=split["count"], sensitivity=1, random_state=rng)
    out = {"count": float(count.randomise(len(centred)))}
    total = Laplace(epsilon=split["sum"], delta=0.0, sensitivity=max(half, 1e-12), random_state=rng)
    out["sum"] = float(total.randomise(float(centred.sum())))
    if "sum_of_squares" in split:
        squares = Laplace(
            epsilon=split["sum_of_squares"],
            delta=0.0,
            sensitivity=max(half**2, 1e-12),
            random_state=rng,
        )
        out["sum_of_squares"] = float(squares.randomise(float((centred**2).sum())))
    return out


def _sum(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> float:
    values = _column(part, spec)
    assert spec.bounds is not None
    if spec.mechanism == "snapping":
        return _snapped(values, spec, rng, len(values), total=True)
    moments = _noisy_moments(part, spec, rng)
    middle = sum(spec.bounds) / 2
    return moments["sum"] + middle * max(moments["count"], 0.0)


def _mean(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> float:
    values = _column(part, spec)
    if spec.mechanism == "snapping":
        return _snapped(values, spec, rng, len(values), total=False)
    assert spec.bounds is not None
    moments = _noisy_moments(part, spec, rng)
    half = (spec.bounds[1] - spec.bounds[0]) / 2
    centred = np.clip(moments["sum"] / max(moments["count"], 1.0), -half, half)
    return float(sum(spec.bounds) / 2 + centred)


def _snapped(values: np.ndarray, spec: StatisticSpec, rng: Any, n: int, *, total: bool) -> float:
    from diffprivlib.mechanisms import Snapping

    assert spec.bounds is not None
    lower, upper = spec.bounds
    clipped = np.clip(values, lower, upper)
    scale = n if total else 1
    mechanism = Snapping(
        epsilon=spec.epsilon,
        sensitivity=(upper - lower) / (1 if total else n),
        lower=lower * scale,
        upper=upper * scale,
        random_state=rng,
    )
    exact = float(clipped.sum() if total else clipped.mean())
    return float(mechanism.randomise(exact))


def _variance(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> float:
    assert spec.bounds is not None
    moments = _noisy_moments(part, spec, rng)
    half = (spec.bounds[1] - spec.bounds[0]) / 2
    n = max(moments["count"], 1.0)
    mean = np.clip(moments["sum"] / n, -half, half)
    second = np.clip(moments["sum_of_squares"] / n, 0.0, half**2)
    return float(np.clip(second - mean**2, 0.0, half**2))


def _quantile(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> float:
    import diffprivlib.tools as dp

    values = _column(part, spec)
    return float(
        dp.quantile(values, spec.q, epsilon=spec.epsilon, bounds=spec.bounds, random_state=rng)
    )


def _histogram(part: pd.DataFrame, spec: StatisticSpec, rng: Any) -> dict[str, Any]:
    import diffprivlib.tools as dp
    from diffprivlib.mechanisms import GeometricTruncated

    if spec.categories is not None:
        observed = part[spec.column].astype(str).value_counts()
        mechanism = GeometricTruncated(
            epsilon=spec.epsilon, sensitivity=1, lower=0, upper=sys.maxsize, random_state=rng
        )
        counts = [int(mechanism.randomise(int(observed.get(c, 0)))) for c in spec.categories]
        return {"categories": list(spec.categories), "counts": counts}
    values = part[spec.column].dropna().to_numpy(dtype=float)
    counts_array, edges = dp.histogram(
        values, epsilon=spec.epsilon, bins=spec.bins, range=spec.bounds, random_state=rng
    )
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts_array]}


_RELEASES: dict[str, Callable[[pd.DataFrame, StatisticSpec, Any], Any]] = {
    "count": _count,
    "sum": _sum,
    "mean": _mean,
    "variance": _variance,
    "quantile": _quantile,
    "histogram": _histogram,
}


def _release_function(spec: StatisticSpec) -> Callable[[pd.DataFrame, StatisticSpec, Any], Any]:
    return _RELEASES[spec.statistic]
