"""Coverage of the score, regression and attribution-gap intervals, by simulation.

Each case draws ``samples`` datasets from a population whose true group values are known in
closed form, computes the interval the tool reports (the very code of a fairness check:
:func:`responsible_ai.fairness.intervals.bootstrap_intervals` over the metric's replicator, or
the explain family's :func:`~responsible_ai.explain._tables.group_gaps`) and counts how often it
holds the truth.

Populations (``k`` groups, shares equal or one group holding 60% of the rows):

- ROC AUC, binormal: score ~ N(mu_g * y, 1), y ~ Bernoulli(0.3); AUC_g = Phi(mu_g / sqrt 2).
- Calibration gap and ECE: score ~ U(0.1, 0.9), P(y | score) = score + d_g; the gap of group g is
  ``-d_g`` and its ECE over 10 equal bins ``|d_g|``.
- MAE, RMSE: error ~ sigma_g * N(0, 1) or sigma_g * t(5) / sqrt(5/3); RMSE_g = sigma_g, MAE_g
  from the law's mean absolute value.
- Attribution gap: a linear model's SHAP values beta * (x - background mean), x ~ N(m_g, 1) in
  group g; the gap in mean SHAP between groups is beta * (max m_g - min m_g), whatever the
  background. SHAP values are fixed; rows are resampled.

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/coverage_scores.py --samples 500
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from responsible_ai.explain._tables import gap_method, group_gaps
from responsible_ai.fairness.catalog import DISPARITIES
from responsible_ai.fairness.groups import GroupIndex
from responsible_ai.fairness.intervals import bootstrap_intervals, row_interval_method
from responsible_ai.fairness.options import Options
from responsible_ai.fairness.score_intervals import closed_intervals
from responsible_ai.fairness.scores import delong, row_sums

NOMINAL = 0.95
T5_MEAN_ABS = 2 * math.sqrt(5) * math.gamma(3) / (math.sqrt(math.pi) * 4 * math.gamma(2.5))

# (rows, groups, imbalance): every group expects at least 30 rows, as a policy would require.
GRID: tuple[tuple[int, int, str], ...] = (
    (200, 2, "balanced"),
    (200, 4, "imbalanced"),
    (2_000, 2, "imbalanced"),
    (2_000, 4, "balanced"),
    (2_000, 10, "balanced"),
    (20_000, 4, "imbalanced"),
    (20_000, 10, "imbalanced"),
    (100_000, 2, "imbalanced"),
)


def shares(groups: int, imbalance: str) -> np.ndarray:
    if imbalance == "balanced":
        return np.full(groups, 1 / groups)
    return np.array([0.6] + [0.4 / (groups - 1)] * (groups - 1))


def _codes(rows: int, groups: int, imbalance: str, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(groups, size=rows, p=shares(groups, imbalance))


def _difference_id(metric: str) -> str:
    return f"fairness.{metric}_difference"


def _options(n_boot: int) -> Options:
    return Options("between_groups", 1, 0.0, None, n_boot, NOMINAL, "holm", 10)


def _tool_interval(
    metric: str, replicate: Callable[..., Any], groups: int, n_boot: int, seed: int
) -> tuple[list[float] | None, dict[str, Any], str]:
    """The check's interval, the group intervals and the method ``interval.method`` names, as
    ``measure_disparity`` computes them."""
    disparity = DISPARITIES[_difference_id(metric)]
    labels = [str(g) for g in range(groups)]
    counts = SimpleNamespace(groups=[(g,) for g in labels], labels=labels)
    found = bootstrap_intervals(
        SimpleNamespace(seed=seed),  # type: ignore[arg-type]
        SimpleNamespace(id=metric),  # type: ignore[arg-type]
        ["g"],
        counts,  # type: ignore[arg-type]
        disparity,
        _options(n_boot),
        {metric: np.ones(groups, dtype=bool)},
        None,
        {metric: replicate},
    )
    interval = found["interval"]
    bounds = None if interval is None else [interval["low"], interval["high"]]
    return bounds, found["groups"][metric], found["method"]


def _score_sample(metric: str, rows: int, k: int, imbalance: str, rng: np.random.Generator):
    codes = _codes(rows, k, imbalance, rng)
    index = GroupIndex(("g",), [(g,) for g in range(k)], codes)
    if metric == "roc_auc":
        mu = np.linspace(0.5, 1.5, k)
        y = rng.random(rows) < 0.3
        score = 1 / (1 + np.exp(-rng.normal(mu[codes] * y, 1.0)))
        truth = norm.cdf(mu / math.sqrt(2))
        return delong(index, score, y).replicates, truth, (index, score, y)
    if metric in ("calibration_gap", "expected_calibration_error"):
        shift = np.linspace(-0.08, 0.08, k) if metric == "calibration_gap" else None
        if shift is None:  # ECE: distinct miscalibrations, small and large
            shift = np.linspace(0.02, 0.1, k) * np.where(np.arange(k) % 2, -1, 1)
        score = rng.uniform(0.1, 0.9, rows)
        y = rng.random(rows) < score + shift[codes]
        truth = -shift if metric == "calibration_gap" else np.abs(shift)
        sums = row_sums(metric, index, score, y)
        if metric == "expected_calibration_error":
            assert sums is not None
            return (lambda n, r: sums.replicates(np.ones(rows), n, r)), truth, (index, score, y)
    else:
        sigma = np.linspace(1.0, 2.0, k)
        heavy = metric.endswith("_t5")
        base = rng.standard_t(5, rows) / math.sqrt(5 / 3) if heavy else rng.standard_normal(rows)
        predicted = rng.standard_normal(rows)
        actual = predicted + sigma[codes] * base
        name = metric.removesuffix("_t5")
        if name == "root_mean_squared_error":
            truth = sigma
        else:
            truth = sigma * (T5_MEAN_ABS / math.sqrt(5 / 3) if heavy else math.sqrt(2 / math.pi))
        sums = row_sums(name, index, predicted, actual)
    assert sums is not None
    return (lambda n, r: sums.replicates(np.ones(rows), n, r)), truth, None


def _covered(interval: list[float] | None, truth: float) -> tuple[bool, float]:
    if interval is None:
        return False, math.nan
    return bool(interval[0] <= truth <= interval[1]), interval[1] - interval[0]


def _n_boot(rows: int) -> int:
    # Row replicates cost rows x n_boot; at scale 200 replicates keep the harness affordable
    # (the Monte Carlo error of a percentile is small next to the sampling error being measured).
    return 1000 if rows <= 2_000 else 200


def _samples_at(samples: int, rows: int) -> int:
    return samples if rows <= 2_000 else max(50, samples // (4 if rows <= 20_000 else 10))


def score_cases(metric: str, samples: int, seed: int, before: bool = False) -> list[dict[str, Any]]:
    """The difference between groups and the group values of one metric over :data:`GRID`.

    ``before``: the row bootstrap (and for ROC AUC, DeLong draws through the percentile
    machinery), as the tool computed these before the closed forms of ``score_intervals``.
    """
    family = (
        "score"
        if metric in ("roc_auc", "calibration_gap", "expected_calibration_error")
        else ("regression")
    )
    name = metric.removesuffix("_t5")
    out = []
    for rows, k, imbalance in GRID:
        n = _samples_at(samples, rows)
        rng = np.random.default_rng([seed, rows, k, len(metric)])
        hits, widths, group_hits, group_widths = [], [], [], []
        methods, group_methods = set(), set()
        for s in range(n):
            replicate, truth, closed = _score_sample(metric, rows, k, imbalance, rng)
            if closed is None or before:
                interval, groups, method = _tool_interval(
                    name, replicate, k, _n_boot(rows), seed + s
                )
                group_methods.add(row_interval_method(DISPARITIES[_difference_id(name)], False))
            else:
                bounds, interval, method = closed_intervals(
                    name, *closed, np.ones(k, dtype=bool), "difference", NOMINAL
                )
                groups = {str(g): [bounds.low[g], bounds.high[g]] for g in range(k)}
                group_methods.add(method)
            methods.add(method)
            hit, width = _covered(interval, float(truth.max() - truth.min()))
            hits.append(hit)
            widths.append(width)
            for g in range(k):
                hit, width = _covered(groups[str(g)], float(truth[g]))
                group_hits.append(hit)
                group_widths.append(width)
        # the method the tool names in interval.method (before: what it did before issue 11)
        label, group_label = " / ".join(sorted(methods)), " / ".join(sorted(group_methods))
        if before:
            label = "DeLong draws, percentile" if name == "roc_auc" else "percentile row bootstrap"
            group_label = label
        suffix = " (t5 errors)" if metric.endswith("_t5") else ""
        for statistic, method_words, h, w in (
            (f"{name}_difference{suffix}", label, hits, widths),
            (f"{name} per group{suffix}", group_label, group_hits, group_widths),
        ):
            out.append(_row(family, statistic, method_words, rows, k, imbalance, h, w, n))
    return out


def _row(family, statistic, method, rows, groups, imbalance, hits, widths, n) -> dict[str, Any]:
    return {
        "family": family,
        "statistic": statistic,
        "method": method,
        "rows": rows,
        "groups": groups,
        "imbalance": imbalance,
        "nominal": NOMINAL,
        "coverage": float(np.mean(hits)),
        "median_width": float(np.nanmedian(widths)) if np.isfinite(widths).any() else math.nan,
        "samples": n,
    }


def attribution_cases(samples: int, seed: int, resamples: int = 200) -> list[dict[str, Any]]:
    """Coverage of the explain family's gap interval (gap in a feature's mean SHAP)."""
    beta = np.array([2.0, -1.0, 0.5])
    out = []
    for rows, k, imbalance in GRID:
        if rows > 20_000:
            continue  # the explain family explains a sample of rows (explain.sample_size)
        n = _samples_at(samples, rows)
        rng = np.random.default_rng([seed, rows, k, 7])
        means = np.linspace(0.0, 0.6, k)
        truth = abs(beta[0]) * (means.max() - means.min())
        hits, widths = [], []
        method = gap_method(k)
        for s in range(n):
            codes = _codes(rows, k, imbalance, rng)
            x = rng.standard_normal((rows, 3))
            x[:, 0] += means[codes]
            shap = pd.DataFrame(beta * (x - x.mean(axis=0)), columns=["x0", "x1", "x2"])
            groups = pd.DataFrame({"g": codes.astype(str)})
            gaps = group_gaps(
                shap, groups, resamples=resamples, confidence=NOMINAL, random_state=seed + s
            )
            top = gaps[gaps["feature"] == "x0"].iloc[0]
            hit, width = _covered([top["gap_ci_low"], top["gap_ci_high"]], truth)
            hits.append(hit)
            widths.append(width)
        out.append(
            _row(
                "explain",
                "group_attribution_gap (mean SHAP gap of x0)",
                method,
                rows,
                k,
                imbalance,
                hits,
                widths,
                n,
            )
        )
    return out


METRICS = (
    "roc_auc",
    "calibration_gap",
    "expected_calibration_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "mean_absolute_error_t5",
    "root_mean_squared_error_t5",
)


def cases(samples: int, seed: int) -> list[dict[str, Any]]:
    """Every case of this module (the shared harness contract)."""
    out = []
    for metric in METRICS:
        out += score_cases(metric, samples, seed)
    return out + attribution_cases(samples, seed)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| family | statistic | method | rows | groups | imbalance | coverage | median width "
        "| samples |",
        "|---|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        flag = " **low**" if r["coverage"] < 0.93 else ""
        lines.append(
            f"| {r['family']} | {r['statistic']} | {r['method']} | {r['rows']:,} | {r['groups']} "
            f"| {r['imbalance']} | {r['coverage']:.3f}{flag} | {r['median_width']:.4f} "
            f"| {r['samples']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--metric", choices=[*METRICS, "attribution_gap"], action="append")
    parser.add_argument("--before", action="store_true", help="the methods before issue 11")
    args = parser.parse_args()
    chosen = args.metric or [*METRICS, "attribution_gap"]
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for metric in chosen:
        if metric == "attribution_gap":
            rows += attribution_cases(args.samples, args.seed)
        else:
            rows += score_cases(metric, args.samples, args.seed, args.before)
    print(markdown(rows))
    print(f"\n{time.perf_counter() - started:.0f} s, seed {args.seed}")


if __name__ == "__main__":
    main()
