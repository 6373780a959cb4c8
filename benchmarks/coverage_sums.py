"""Coverage of the engines' bootstrap of sums next to the in-memory row bootstrap, same samples.

On DuckDB, Spark and streamed Parquet the rows never reach the driver, so the metrics that the
in-memory engine bootstraps by resampling rows (calibration gap, mean score, mean prediction,
ECE with weights or against the overall value) are bootstrapped from each cell's sums
(:mod:`responsible_ai.fairness.score_sums`). Each sample here is drawn once and both intervals
are computed from it through the tool's own code (the sums through the pandas form of the
engines' count table, :func:`responsible_ai.engines.sums.frame_count_table`), so the two columns
differ only by the method.

Population (``benchmarks/coverage_scores.py``'s): score ~ U(0.1, 0.9), P(y | score) = score +
d_g with d_g evenly spread over [-0.08, 0.08]; the calibration gap of group g is ``-d_g``.
Weighted: weights ~ U(0.2, 3) independent of score and outcome (the weighted gap is the same).

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/coverage_sums.py --samples 300
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
import pandas as pd
from coverage_scores import NOMINAL, _codes, _covered, _n_boot, _tool_interval

from responsible_ai.engines.sums import frame_count_table
from responsible_ai.fairness.groups import GroupIndex, group_index
from responsible_ai.fairness.score_sums import SumsNeeded, group_sums, metric_sums
from responsible_ai.fairness.scores import row_sums

GRID: tuple[tuple[int, int, str], ...] = (
    (200, 2, "balanced"),
    (200, 4, "imbalanced"),
    (2_000, 4, "balanced"),
    (2_000, 10, "balanced"),
    (20_000, 4, "imbalanced"),
)


def _sample(rows: int, k: int, imbalance: str, weighted: bool, rng: np.random.Generator):
    codes = _codes(rows, k, imbalance, rng)
    shift = np.linspace(-0.08, 0.08, k)
    score = rng.uniform(0.1, 0.9, rows)
    y = rng.random(rows) < score + shift[codes]
    weight = rng.uniform(0.2, 3.0, rows) if weighted else np.ones(rows)
    return codes, score, y, weight, -shift


def _replicators(codes, score, y, weight, k) -> tuple[Any, Any]:
    """The in-memory row bootstrap and the engines' sums bootstrap of the calibration gap."""
    index = GroupIndex(("g",), [(g,) for g in range(k)], codes)
    rows = row_sums("calibration_gap", index, score, y)
    assert rows is not None
    frame = pd.DataFrame({"g": codes, "y": y, "p": score, "w": weight})
    needed = SumsNeeded(("p",))
    table = frame_count_table(frame, ["g", "y"], "w", needed)
    found = group_index(table, ["g"])
    outcome = table["y"].to_numpy(dtype=bool)
    sums = group_sums(table, found.codes, found.groups, ["g"], outcome, needed, 1)
    assert [g[0] for g in found.groups] == list(range(k))  # every group drawn
    summed = metric_sums("calibration_gap", sums, "p")
    return (lambda n, r: rows.replicates(weight, n, r)), summed.replicates


def side_by_side(samples: int, seed: int) -> list[dict[str, Any]]:
    out = []
    for weighted in (False, True):
        for rows, k, imbalance in GRID:
            n = samples if rows <= 2_000 else max(50, samples // 3)
            rng = np.random.default_rng([seed, rows, k, int(weighted)])
            hits: dict[str, list[bool]] = {"rows": [], "sums": [], "rows_g": [], "sums_g": []}
            widths: dict[str, list[float]] = {key: [] for key in hits}
            for s in range(n):
                codes, score, y, weight, truth = _sample(rows, k, imbalance, weighted, rng)
                for name, replicate in zip(
                    ("rows", "sums"), _replicators(codes, score, y, weight, k), strict=True
                ):
                    interval, groups, _ = _tool_interval(
                        "calibration_gap", replicate, k, _n_boot(rows), seed + s
                    )
                    hit, width = _covered(interval, float(truth.max() - truth.min()))
                    hits[name].append(hit)
                    widths[name].append(width)
                    for g in range(k):
                        hit, width = _covered(groups[str(g)], float(truth[g]))
                        hits[f"{name}_g"].append(hit)
                        widths[f"{name}_g"].append(width)
            for statistic, suffix in (("calibration_gap_difference", ""), ("per group", "_g")):
                out.append(
                    {
                        "statistic": statistic,
                        "weighted": weighted,
                        "rows": rows,
                        "groups": k,
                        "imbalance": imbalance,
                        "samples": n,
                        **{
                            f"{name}_coverage": float(np.mean(hits[name + suffix]))
                            for name in ("rows", "sums")
                        },
                        **{
                            f"{name}_width": float(np.nanmedian(widths[name + suffix]))
                            for name in ("rows", "sums")
                        },
                    }
                )
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| statistic | weights | rows | groups | imbalance | row bootstrap: coverage (width) "
        "| sums bootstrap: coverage (width) | samples |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        floor = NOMINAL - 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / r["samples"])
        low = " **low**" if r["sums_coverage"] < floor else ""
        lines.append(
            f"| {r['statistic']} | {'weighted' if r['weighted'] else 'none'} | {r['rows']:,} "
            f"| {r['groups']} | {r['imbalance']} "
            f"| {r['rows_coverage']:.3f} ({r['rows_width']:.4f}) "
            f"| {r['sums_coverage']:.3f}{low} ({r['sums_width']:.4f}) | {r['samples']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    started = time.perf_counter()
    print(markdown(side_by_side(args.samples, args.seed)))
    print(f"\n{time.perf_counter() - started:.0f} s, seed {args.seed}, nominal {NOMINAL}")


if __name__ == "__main__":
    main()
