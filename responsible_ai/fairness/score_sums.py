"""Score and regression metrics from per-group sums that an engine computed where the rows live.

Every score and regression metric but ROC AUC is a function of weighted sums per (group, score
bin) (:class:`~responsible_ai.fairness.scores.RowSums`). An engine (DuckDB, Spark, SQL, Parquet
batches) adds those sums to its count table: per combination of sensitive values, prediction,
target and score bin, ``sum(w)``, ``sum(w^2)`` and, per numeric column ``x``, ``sum(w x)``,
``sum(w x^2)``, ``sum(w^2 x)``, ``sum(w^2 x^2)``; per regression pair ``(x, z)``,
``sum(w |x - z|)``, ``sum(w (x - z)^2)``, ``sum(w (x - z)^4)``. :class:`SumsNeeded` says which,
:func:`group_sums` turns the table into :class:`GroupSums`, and :func:`metric_sums` into the
same ``finish`` the in-memory engine applies, so the values agree to rounding.

Intervals without rows. MAE and RMSE already draw from closed forms of these sums (their
in-memory method, unchanged); so does ECE's closed form between groups (per-bin sums). The
metrics the in-memory engine bootstraps by resampling rows (``Poisson(1)`` weights: mean score,
calibration gap, mean prediction, and ECE compared to the overall value or with weights) get a
*bootstrap of the sums*: in each (group, bin, outcome) cell the number of rows drawn is
``Poisson(rows)``, exactly as in the row bootstrap, and given it the cell's ``sum w`` (Gamma)
and ``sum w x`` (normal given ``sum w``) have the mean and covariance of that many rows drawn
from the cell's rows. The replicates have the row bootstrap's means and covariances, cells
independent, and are finished as the row bootstrap's are (:data:`SUMS_BOOTSTRAP_METHOD`;
compared with the row bootstrap in ``tests/engines/test_engine_scores.py``, coverage in
``benchmarks/coverage_scores.py --sums``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from responsible_ai.fairness.groups import GroupIndex
from responsible_ai.fairness.scores import RowSums, row_sums

if TYPE_CHECKING:
    import pandas as pd

    from responsible_ai.policy.schema import DataRoles, Policy

__all__ = [
    "SUMS_BOOTSTRAP_METHOD",
    "SUMS_SIMULTANEOUS_METHOD",
    "GroupSums",
    "MetricSums",
    "RawSum",
    "SumsNeeded",
    "from_sums",
    "group_sums",
    "metric_sums",
    "summed_only",
    "sums_needed",
]

SUMS_BOOTSTRAP_METHOD = (
    "percentile bootstrap of per-group sums (rows drawn Poisson per cell, their sums with the "
    "row bootstrap's mean and covariance; sums computed in the engine, no rows collected)"
)
SUMS_SIMULTANEOUS_METHOD = (
    "Sidak-simultaneous percentile bootstrap of per-group sums (computed in the engine), "
    "bounds of the extreme over more than two groups"
)
#: Metrics whose value and interval come from sums (ROC AUC and the scoring rate come from
#: weighted counts per fine score bin, :data:`FROM_BINS`).
FROM_SUMS = frozenset(
    {
        "mean_score",
        "calibration_gap",
        "expected_calibration_error",
        "mean_prediction",
        "mean_absolute_error",
        "root_mean_squared_error",
    }
)
#: Metrics computed from weighted counts per (group, outcome, fine score bin) of
#: :data:`~responsible_ai.fairness.binned_auc.AUC_BINS` bins, with an exact bound on binning.
FROM_BINS = frozenset({"roc_auc", "scoring_rate"})
SCORE_METRICS = frozenset({"mean_score", "calibration_gap", "expected_calibration_error"})
PAIR_METRICS = frozenset({"mean_absolute_error", "root_mean_squared_error"})
NOT_NUMERIC_COLUMN = "params.{role} column {column!r} must be numeric"
MISSING_VALUES = "params.{role} column {column!r} has missing values"
ABSENT_COLUMN = "params.{role} column {column!r} is not in the data"


@dataclass(frozen=True)
class RawSum:
    """One ``SUM`` an engine adds to its count table: ``sum(w^weight_power * term)``.

    ``term`` is ``1`` (``column`` None), ``x^power`` or, with ``minus``, ``|x - z|^power``.
    """

    alias: str
    weight_power: int
    column: str | None = None
    minus: str | None = None
    power: int = 1


@dataclass(frozen=True)
class SumsNeeded:
    """The sums a policy's score and regression checks need from an engine.

    Attributes
    ----------
    values : tuple of str
        Numeric columns ``x`` (the score, regression predictions).
    pairs : tuple of (str, str)
        Regression ``(prediction, target)`` columns.
    score : str or None
        The column binned for the expected calibration error.
    bins : tuple of int
        The numbers of equal-width bins over [0, 1] of ``score`` (each a key of the table).
    counted_bins : tuple of int
        Those of ``bins`` read for counts only (ROC AUC, the scoring rate).
    """

    values: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...] = ()
    score: str | None = None
    bins: tuple[int, ...] = ()
    #: Bins (of ``bins``) that only ROC AUC and the scoring rate read: rows and weights only,
    #: so a grouping's arrays stay ``groups x bins x 2`` for two sums, not for every sum.
    counted_bins: tuple[int, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Every numeric column read, in a stable order."""
        return list(dict.fromkeys([*self.values, *(c for pair in self.pairs for c in pair)]))

    def raw_sums(self) -> list[RawSum]:
        """What to sum, each with its column alias in the count table."""
        found = [RawSum("rai_w2", 2)]
        for i, column in enumerate(self.values):
            found += [
                RawSum(f"rai_x{i}", 1, column),
                RawSum(f"rai_xx{i}", 1, column, power=2),
                RawSum(f"rai_w2x{i}", 2, column),
                RawSum(f"rai_w2xx{i}", 2, column, power=2),
            ]
        for i, (column, target) in enumerate(self.pairs):
            found += [
                RawSum(f"rai_ad{i}", 1, column, target, 1),
                RawSum(f"rai_d2{i}", 1, column, target, 2),
                RawSum(f"rai_d4{i}", 1, column, target, 4),
            ]
        return found

    def missing_alias(self, column: str) -> str:
        """The count of rows where ``column`` is missing (NULL or NaN)."""
        return f"rai_missing{self.columns.index(column)}"

    def text_alias(self, column: str) -> str:
        """The count of rows where ``column`` holds a value that is not a number."""
        return f"rai_text{self.columns.index(column)}"

    @staticmethod
    def bin_alias(n_bins: int) -> str:
        return f"rai_bin{n_bins}"


def from_sums(metric: str) -> bool:
    """Whether a policy metric's value and interval come from an engine's counts and sums."""
    from responsible_ai.fairness.catalog import DISPARITIES, GROUP_METRICS

    disparity = DISPARITIES.get(metric)
    return disparity is not None and all(
        GROUP_METRICS[name].kind in ("rate", "mean_of") or name in FROM_SUMS | FROM_BINS
        for name in disparity.group_metrics
    )


def summed_only(policy: Policy | None) -> bool:
    """Whether every enabled check is a score or regression metric computed from sums: such a
    policy needs no prediction column."""
    from responsible_ai.fairness.catalog import DISPARITIES

    checks = [] if policy is None else [c for c in policy.checks if c.enabled]
    return bool(checks) and all(
        c.metric in DISPARITIES
        and set(DISPARITIES[c.metric].group_metrics) <= FROM_SUMS | FROM_BINS
        for c in checks
    )


def sums_needed(policy: Policy, roles: DataRoles, present: list[str]) -> SumsNeeded | None:
    """The sums the enabled checks need (None: none), over the columns ``present`` in the data.

    A regression column that the data lacks is left out; the check reports it.
    """
    from responsible_ai.fairness.catalog import DISPARITIES, DisparityParams

    values: list[str] = []
    pairs: list[tuple[str, str]] = []
    bins: list[int] = []
    counted: list[int] = []
    ece_bins: list[int] = []
    for check in policy.checks:
        disparity = DISPARITIES.get(check.metric)
        if not check.enabled or disparity is None:
            continue
        params = DisparityParams.model_validate(check.params)
        for name in disparity.group_metrics:
            if name in FROM_BINS and roles.score is not None and roles.score in present:
                from responsible_ai.fairness.binned_auc import AUC_BINS

                values.append(roles.score)
                bins.append(AUC_BINS)
                counted.append(AUC_BINS)
                continue
            if name not in FROM_SUMS:
                continue
            column = roles.score if name in SCORE_METRICS else (params.prediction or roles.score)
            if column is None or column not in present:
                continue
            values.append(column)
            if name == "expected_calibration_error":
                bins.append(params.n_bins)
                ece_bins.append(params.n_bins)
            target = params.target
            if name in PAIR_METRICS and target is not None and target in present:
                pairs.append((column, target))
    if not values:
        return None
    return SumsNeeded(
        tuple(dict.fromkeys(values)),
        tuple(dict.fromkeys(pairs)),
        roles.score if bins else None,
        tuple(sorted(set(bins))),
        tuple(sorted(set(counted) - set(ece_bins))),
    )


@dataclass(frozen=True)
class GroupSums:
    """The sums of one grouping: arrays of shape ``(groups, bins, 2)``, the last axis the
    outcome (0: target not the positive label, or no target; 1: the positive label).

    ``problems`` maps a column to why it cannot be used (missing or non-numeric values).
    """

    by: tuple[str, ...]
    groups: list[tuple[object, ...]]
    n_bins: int
    arrays: dict[str, np.ndarray]
    needed: SumsNeeded
    score_range: tuple[float, float] | None = None
    problems: dict[str, str] = field(default_factory=dict)

    def array(self, name: str) -> np.ndarray:
        return self.arrays[name]


def group_sums(
    table: pd.DataFrame,
    codes: np.ndarray,
    groups: list[tuple[object, ...]],
    by: list[str],
    outcome: np.ndarray,
    needed: SumsNeeded,
    n_bins: int,
) -> GroupSums:
    """The sums per (group, bin, outcome) of a count table whose rows are in groups ``codes``."""
    n_groups = len(groups)
    if n_bins > 1:
        binned = table[needed.bin_alias(n_bins)].to_numpy(dtype=float)
        bins = np.clip(np.nan_to_num(binned), 0, n_bins - 1).astype(np.int64)
    else:
        bins = np.zeros(len(table), dtype=np.int64)
    key = (codes * n_bins + bins) * 2 + outcome.astype(np.int64)
    size = n_groups * n_bins * 2
    names = ["rai_rows", "rai_weight", *(raw.alias for raw in needed.raw_sums())]
    if n_bins in needed.counted_bins:
        names = names[:2]
    arrays = {
        name: np.bincount(key, weights=table[name].to_numpy(dtype=float), minlength=size).reshape(
            n_groups, n_bins, 2
        )
        for name in names
    }
    problems: dict[str, str] = {}
    for column in needed.columns:
        if table[needed.text_alias(column)].sum():
            problems[column] = "not numeric"
        elif table[needed.missing_alias(column)].sum():
            problems[column] = "missing"
    score_range = None
    if needed.score is not None and len(table):
        score_range = (float(table["rai_min"].min()), float(table["rai_max"].max()))
    return GroupSums(tuple(by), groups, n_bins, arrays, needed, score_range, problems)


@dataclass(frozen=True)
class MetricSums:
    """A metric's sums per (group, bin), finished and drawn as the in-memory engine does."""

    template: RowSums
    sums: dict[str, np.ndarray]
    # Per (group, bin, outcome) cell: rows, sum w, sum w x and (sum w^2, sum w^2 x, sum w^2 x^2).
    cell_rows: np.ndarray
    cell_n: np.ndarray
    cell_x: np.ndarray
    cell_cov: np.ndarray
    effective_rows: np.ndarray

    def values(self) -> tuple[np.ndarray, float]:
        """The value of each group, and of all rows together."""
        overall = {name: s.sum(axis=0, keepdims=True) for name, s in self.sums.items()}
        return self.template.finish(self.sums), float(self.template.finish(overall)[0])

    @property
    def method(self) -> str | None:
        """The bootstrap's name where it differs from the in-memory one (None: the same)."""
        return None if self.template.draws is not None else SUMS_BOOTSTRAP_METHOD

    def replicates(self, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Replicates of shape ``(n_boot, groups)`` and ``(n_boot,)``, as ``RowSums``'s."""
        if self.template.draws is not None:
            return self.template.draws(self.sums, self.effective_rows, n_boot, rng)
        n, x = _cell_draws(self.cell_rows, self.cell_n, self.cell_x, self.cell_cov, n_boot, rng)
        sums = _score_terms(n, x, self.template.terms)
        overall = {name: s.sum(axis=1, keepdims=True) for name, s in sums.items()}
        return self.template.finish(sums), self.template.finish(overall)[:, 0]


def _cell_draws(
    rows: np.ndarray,
    n: np.ndarray,
    x: np.ndarray,
    cov: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of each cell's ``(sum w, sum w x)`` under the Poisson row bootstrap, from sums.

    Each cell's rows drawn: ``K ~ Poisson(rows)`` (exactly the row bootstrap's count); given
    ``K``, ``sum w`` is Gamma and ``sum w x`` normal given it, with the mean and covariance of
    ``K`` rows drawn from the cell's rows (from ``sum w^2``, ``sum w^2 x``, ``sum w^2 x^2``).
    The replicates' means and covariances equal the row bootstrap's; a group with few rows
    keeps its mean within a few spreads of its value (no division by a normal draw near 0),
    and a replicate without rows is undefined, as in the row bootstrap.
    """
    squares, cross, fourth = (cov[..., k] for k in range(3))
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(rows > 0, rows, 1.0)
        w_mean, x_mean = n / safe, x / safe
        var_w = np.maximum(squares / safe - w_mean**2, 0.0)
        covariance = cross / safe - w_mean * x_mean
        var_x = np.maximum(fourth / safe - x_mean**2, 0.0)
        spread = var_w > 1e-12 * w_mean**2  # weights that vary within the cell
        slope = np.where(spread, covariance / np.where(spread, var_w, 1.0), 0.0)
        residual = np.maximum(var_x - slope * covariance, 0.0)
        shape_per_row = np.where(spread, w_mean**2 / np.where(spread, var_w, 1.0), 0.0)
        scale = np.where(spread, var_w / np.where(w_mean > 0, w_mean, 1.0), 1.0)
    k = rng.poisson(rows, size=(n_boot, *rows.shape)).astype(float)
    gamma = rng.gamma(k * shape_per_row, np.broadcast_to(scale, k.shape))
    drawn_n = np.where(spread, gamma, k * w_mean)
    z = rng.standard_normal(k.shape)
    drawn_x = k * x_mean + slope * (drawn_n - k * w_mean) + np.sqrt(k * residual) * z
    return drawn_n, drawn_x


def _score_terms(n: np.ndarray, x: np.ndarray, terms: dict[str, Any]) -> dict[str, np.ndarray]:
    """``n``, ``x`` (and ``y``: the positive outcome's weight) per (group, bin) from cells."""
    found = {"n": n.sum(axis=-1), "x": x.sum(axis=-1)}
    if "y" in terms:
        found["y"] = n[..., 1]
    return found


def metric_sums(
    metric: str,
    found: GroupSums,
    column: str,
    target: str | None = None,
) -> MetricSums:
    """A score or regression metric's sums from a grouping's :class:`GroupSums`.

    Raises
    ------
    ValueError
        The column has missing or non-numeric values, or (ECE) scores outside [0, 1]: the same
        messages as in memory.
    """
    regression = metric not in SCORE_METRICS
    for role, name in (("prediction", column), ("target", target)):
        if name is None:
            continue
        problem = found.problems.get(name)
        if problem is None:
            continue
        message = NOT_NUMERIC_COLUMN if problem == "not numeric" else MISSING_VALUES
        if not regression:
            message = message.replace("params.{role}", "{role}")
            role = "score"
        raise ValueError(message.format(role=role, column=name))
    needed = found.needed
    if metric == "expected_calibration_error" and found.score_range is not None:
        low, high = found.score_range
        if low < 0 or high > 1:
            raise ValueError("expected_calibration_error needs scores between 0 and 1")
    empty = GroupIndex(found.by, found.groups, np.zeros(0, dtype=np.int64))
    summed_truth = not regression or target is not None
    truth = np.zeros(0) if summed_truth and metric != "mean_score" else None
    template = row_sums(metric, empty, np.zeros(0), truth, found.n_bins)
    assert template is not None  # ROC AUC is never summed
    weight = found.array("rai_weight")
    i = needed.values.index(column)
    cell_x = found.array(f"rai_x{i}")
    cov = np.stack(
        [found.array("rai_w2"), found.array(f"rai_w2x{i}"), found.array(f"rai_w2xx{i}")], axis=-1
    )
    if metric in PAIR_METRICS:
        assert target is not None
        j = needed.pairs.index((column, target))
        absolute = metric == "mean_absolute_error"
        first, second = ("rai_ad", "rai_d2") if absolute else ("rai_d2", "rai_d4")
        sums = {
            "n": weight.sum(axis=-1),
            "e": found.array(f"{first}{j}").sum(axis=-1),
            "q": found.array(f"{second}{j}").sum(axis=-1),
        }
    else:
        sums = _score_terms(weight, cell_x, template.terms)
    total = weight.sum(axis=(1, 2))
    squares = found.array("rai_w2").sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        effective = np.where(squares > 0, total**2 / squares, 0.0)
    return MetricSums(template, sums, found.array("rai_rows"), weight, cell_x, cov, effective)
