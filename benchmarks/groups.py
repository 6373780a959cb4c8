"""Many groups: an audit whose sensitive column has thousands of values, vs fairlearn MetricFrame.

The significance step used to be quadratic in the groups (10k groups: minutes); everything over
groups is now vectorised. This script times, in one run on the same data (20k rows):

- ``audit()`` of a four-fifths check (bootstrap n_boot=1000, significance tests) and of the
  same check with ``n_boot: 0``;
- fairlearn's ``MetricFrame`` with selection rate, TPR and FPR by group, plus its
  ``demographic_parity_ratio`` (no intervals, no tests);
- the significance step alone: the vectorised tests vs one ``two_proportion_test`` per group;
- with ``--before PATH``: the same audit run by another checkout (e.g. a worktree of the commit
  before this change) in a subprocess, for a before/after on the same machine and load.

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/groups.py
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/groups.py --before ../old-checkout
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

ROWS = 20_000


def make_data(groups: int, rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "group": rng.integers(0, groups, rows).astype(str),
            "y": rng.integers(0, 2, rows),
            "p": (rng.random(rows) < 0.4).astype(int),
        }
    )


def policy(n_boot: int) -> dict[str, Any]:
    return {
        "name": "many-groups",
        "version": "1",
        "data": {"target": "y", "prediction": "p", "positive_label": 1, "sensitive": ["group"]},
        "fairness": {"n_boot": n_boot},
        "checks": [
            {"id": "four-fifths", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"}
        ],
    }


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_audit(groups: int, n_boot: int, repeat: int) -> float:
    from responsible_ai import audit

    frame = make_data(groups)
    return timed(lambda: audit(frame, policy(n_boot), seed=0), repeat)[0]


def time_metricframe(groups: int) -> float:
    import fairlearn.metrics as flm

    frame = make_data(groups)
    y, p, g = frame["y"].to_numpy(), frame["p"].to_numpy(), frame["group"]

    def run() -> Any:
        metrics = {
            "selection_rate": flm.selection_rate,
            "true_positive_rate": flm.true_positive_rate,
            "false_positive_rate": flm.false_positive_rate,
        }
        by_group = flm.MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=g)
        return by_group.by_group, flm.demographic_parity_ratio(y, p, sensitive_features=g)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timed(run)[0]


def time_significance(groups: int) -> tuple[float, float, float]:
    """Vectorised tests vs one scalar test per group, on the same counts; max relative gap."""
    from responsible_ai.fairness.groups import count_groups
    from responsible_ai.fairness.uncertainty import two_proportion_test, two_proportion_tests

    frame = make_data(groups)
    counts = count_groups(frame, ["group"], frame["p"].to_numpy() == 1, frame["y"].to_numpy() == 1)
    hits, trials = counts.row_cells["pp"], counts.row_cells["n"]
    x2, n2 = hits.sum() - hits, trials.sum() - trials
    vector_time, (vector, _) = timed(lambda: two_proportion_tests(hits, trials, x2, n2), 3)
    loop_time, loop = timed(
        lambda: [
            two_proportion_test(*map(float, t))[0] for t in zip(hits, trials, x2, n2, strict=True)
        ]
    )
    loop = np.asarray(loop)
    gap = float(np.nanmax(np.abs(vector - loop) / np.maximum(np.abs(loop), 1e-300)))
    return vector_time, loop_time, gap


def time_before(path: str, groups: int, n_boot: int) -> float:
    """The same audit by another checkout, in a subprocess (its own imports)."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = (
        f"import sys; sys.path.append({here!r}); import groups; "
        f"print(groups.time_audit({groups}, {n_boot}, 1))"
    )
    # Run inside the other checkout: its directory comes first on sys.path, so its package loads.
    checkout = os.path.abspath(path)
    env = {**os.environ, "PYTHONPATH": checkout}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--before", metavar="PATH", help="another checkout to time the same audit")
    parser.add_argument("--before-groups", type=int, nargs="+", default=[1_000, 2_000])
    args = parser.parse_args()
    time_audit(100, 10, 1)  # imports and first-call costs out of the way
    print(f"{ROWS:,} rows; times in seconds (audit: best of 3)")
    print("| groups | audit n_boot=1000 | audit n_boot=0 | MetricFrame + DP ratio | "
          "tests: vectorised | tests: per group | max rel. gap |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for groups in args.groups:
        full = time_audit(groups, 1000, 3)
        bare = time_audit(groups, 0, 3)
        frame = time_metricframe(groups)
        vector, loop, gap = time_significance(groups)
        print(
            f"| {groups:,} | {full:.3f} | {bare:.3f} | {frame:.3f} | {vector:.4f} | "
            f"{loop:.3f} | {gap:.1e} |"
        )
    if args.before:
        print("\nbefore/after, same audit (n_boot=1000), one run each")
        print("| groups | this checkout | --before checkout |")
        print("|---:|---:|---:|")
        for groups in args.before_groups:
            after = time_audit(groups, 1000, 1)
            before = time_before(args.before, groups, 1000)
            print(f"| {groups:,} | {after:.3f} | {before:.3f} |")


if __name__ == "__main__":
    main()
