"""Fairness engine vs fairlearn's MetricFrame, side by side in one run.

Five group metrics (selection rate, TPR, FPR, FNR, accuracy) per group, for one sensitive
attribute (4 groups) and for 60 intersectional groups (3 columns: 3 x 4 x 5), on 100k, 1M and 10M
rows; bootstrap confidence intervals (n_boot=1000) at 100k rows; 10M rows x 60 groups x 1,000
replicates; peak memory of counting against the size of the input columns.

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/fairness.py            # < 5 min
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/fairness.py --quick    # about 1 min

MetricFrame is run at 100k and 1M rows (at 10M it would take minutes per configuration; pass
``--metricframe-10m`` to run it too). MetricFrame's bootstrap is run with a few replicates and its
time per replicate is scaled to 1,000, which is printed as an extrapolation.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

FIVE = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "accuracy",
)


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sex": pd.Categorical.from_codes(rng.integers(0, 4, rows), ["a", "b", "c", "d"]),
            "race": pd.Categorical.from_codes(rng.integers(0, 3, rows), ["r1", "r2", "r3"]),
            "age": pd.Categorical.from_codes(rng.integers(0, 5, rows), list("vwxyz")),
        }
    )
    frame["y_true"] = rng.random(rows) < 0.4
    frame["y_pred"] = rng.random(rows) < (0.3 + 0.1 * frame["sex"].cat.codes.to_numpy() / 3)
    return frame


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def engine(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    from responsible_ai.fairness.groups import count_groups
    from responsible_ai.fairness.rates import group_rate

    counts = count_groups(frame, by, frame["y_pred"].to_numpy(), frame["y_true"].to_numpy())
    return pd.DataFrame(
        {name: group_rate(counts.cells, name) for name in FIVE},
        index=pd.MultiIndex.from_tuples(counts.groups, names=by),
    )


def metric_frame(frame: pd.DataFrame, by: list[str], n_boot: int | None = None) -> Any:
    import fairlearn.metrics as flm
    from sklearn.metrics import accuracy_score

    metrics = {
        "selection_rate": flm.selection_rate,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
        "false_negative_rate": flm.false_negative_rate,
        "accuracy": accuracy_score,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flm.MetricFrame(
            metrics=metrics,
            y_true=frame["y_true"].to_numpy(),
            y_pred=frame["y_pred"].to_numpy(),
            sensitive_features=frame[by[0]] if len(by) == 1 else frame[by],
            n_boot=n_boot,
            ci_quantiles=[0.025, 0.975] if n_boot else None,
            random_state=0 if n_boot else None,
        )


def max_difference(ours: pd.DataFrame, theirs: pd.DataFrame) -> float:
    theirs = theirs.copy()
    if not isinstance(theirs.index, pd.MultiIndex):
        theirs.index = pd.MultiIndex.from_arrays([theirs.index], names=ours.index.names)
    theirs.index = pd.MultiIndex.from_tuples([tuple(map(str, t)) for t in theirs.index])
    ours = ours.copy()
    ours.index = pd.MultiIndex.from_tuples([tuple(map(str, t)) for t in ours.index])
    aligned = theirs.loc[ours.index, list(FIVE)].to_numpy(dtype=float)
    return float(np.nanmax(np.abs(ours.to_numpy() - aligned)))


def bootstrap_engine(frame: pd.DataFrame, by: list[str], n_boot: int) -> np.ndarray:
    from responsible_ai.fairness.groups import count_groups
    from responsible_ai.fairness.rates import group_rate
    from responsible_ai.fairness.uncertainty import bootstrap_cells

    counts = count_groups(frame, by, frame["y_pred"].to_numpy(), frame["y_true"].to_numpy())
    replicates = bootstrap_cells(counts, n_boot, np.random.default_rng(0))
    rates = np.stack([group_rate(replicates, name) for name in FIVE])
    return np.nanquantile(rates, [0.025, 0.975], axis=1)


def peak_memory(frame: pd.DataFrame, by: list[str]) -> tuple[int, int]:
    """Peak bytes allocated while counting, and the bytes of the input columns."""
    columns = frame[[*by, "y_true", "y_pred"]]
    input_bytes = int(columns.memory_usage(index=False, deep=True).sum())
    tracemalloc.start()
    engine(frame, by)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, input_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="MetricFrame at 100k only, engine to 1M (< 1 min)"
    )
    parser.add_argument("--metricframe-10m", action="store_true", help="also MetricFrame at 10M")
    args = parser.parse_args()
    sizes = [100_000, 1_000_000] if args.quick else [100_000, 1_000_000, 10_000_000]
    layouts = {
        "1 attribute (4 groups)": ["sex"],
        "60 intersectional groups": ["sex", "race", "age"],
    }
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print("\n| rows | groups | engine (s) | MetricFrame (s) | speed-up | max abs difference |")
    print("|---:|---|---:|---:|---:|---:|")
    data: dict[int, pd.DataFrame] = {}
    for rows in sizes:
        data[rows] = make_data(rows)
        for layout, by in layouts.items():
            ours_time, ours = timed(lambda f=data[rows], b=by: engine(f, b), repeat=3)
            if rows == 100_000 or (not args.quick and rows < 10_000_000) or args.metricframe_10m:
                theirs_time, theirs = timed(lambda f=data[rows], b=by: metric_frame(f, b))
                diff = max_difference(ours, theirs.by_group)
                print(
                    f"| {rows:,} | {layout} | {ours_time:.4f} | {theirs_time:.2f} | "
                    f"{theirs_time / ours_time:,.0f}x | {diff:.1e} |"
                )
            else:
                print(f"| {rows:,} | {layout} | {ours_time:.4f} | not run | | |")

    rows, by, n_boot, mf_boot = 100_000, ["sex", "race", "age"], 1000, 2
    frame = data[rows]
    ours_time, _ = timed(lambda: bootstrap_engine(frame, by, n_boot))
    theirs_time, _ = timed(lambda: metric_frame(frame, by, n_boot=mf_boot))
    base_time, _ = timed(lambda: metric_frame(frame, by))
    per_replicate = max(theirs_time - base_time, 0.0) / mf_boot
    estimate = per_replicate * n_boot + base_time
    print(f"\nBootstrap CIs, {rows:,} rows, 60 groups, five metrics:")
    print(f"  engine, n_boot={n_boot}: {ours_time:.3f} s")
    print(
        f"  MetricFrame, n_boot={mf_boot}: {theirs_time:.2f} s measured "
        f"({per_replicate:.3f} s per replicate; n_boot={n_boot} extrapolates to "
        f"{estimate:,.0f} s, {estimate / ours_time:,.0f}x)"
    )

    big = max(sizes)
    frame = data[big]
    total, _ = timed(lambda: bootstrap_engine(frame, ["sex", "race", "age"], 1000))
    print(
        f"\n{big:,} rows x 60 groups x 1,000 bootstrap replicates (count + resample + "
        f"five metrics + intervals): {total:.2f} s"
    )
    peak, input_bytes = peak_memory(frame, ["sex", "race", "age"])
    print(
        f"Peak memory while counting {big:,} rows: {peak / 1e6:.1f} MB; input columns "
        f"(3 categorical + 2 bool): {input_bytes / 1e6:.1f} MB; ratio {peak / input_bytes:.2f}"
    )


if __name__ == "__main__":
    main()
