"""Benchmark: what differential privacy costs in time (and accuracy), next to the plain computation.

Each row compares a DP release with the non-private computation a user would otherwise run, both
measured in the same run on the same data:

* DP mean and DP histogram over 10 million values (``dp_statistic``, through diffprivlib) against
  ``numpy.mean`` and ``numpy.histogram``;
* diffprivlib's ``LogisticRegression`` on 100,000 x 20 against scikit-learn's (accuracy too);
* ``LaplaceNoise`` (vectorized bounded Laplace) against diffprivlib's ``LaplaceBoundedDomain``
  called once per value, the straightforward way to noise a column;
* the DP fairness table on Adult against the exact per-group counts it is built from.

Times are the median of ``--repeat`` runs (default 3). Threads are limited to one so both sides
get the same share of the machine.

Run from the repository root::

    PYTHONPATH=. python benchmarks/dp.py          # writes benchmarks/results/dp.md
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "dp.md"


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_statistics(repeat: int) -> list[dict[str, Any]]:
    from responsible_ai.privacy.dp import StatisticSpec, dp_statistic

    rng = np.random.default_rng(0)
    values = rng.normal(40, 12, 10_000_000)
    frame = pd.DataFrame({"x": values})
    mean_spec = StatisticSpec(statistic="mean", column="x", bounds=(0, 100), epsilon=0.1)
    histogram_spec = StatisticSpec(
        statistic="histogram", column="x", bins=20, bounds=(0, 100), epsilon=0.1
    )
    rows = []
    plain_time, exact = timed(lambda: float(np.mean(np.clip(values, 0, 100))), repeat)
    dp_time, released = timed(lambda: dp_statistic(frame, mean_spec)["value"], repeat)
    rows.append(
        {
            "task": "mean of 10M values",
            "plain": "numpy.mean (clipped)",
            "plain_s": plain_time,
            "dp": "dp_statistic mean, epsilon 0.1",
            "dp_s": dp_time,
            "note": f"exact {exact:.6f}, DP {released:.6f}",
        }
    )
    plain_time, (counts, _) = timed(lambda: np.histogram(values, bins=20, range=(0, 100)), repeat)
    dp_time, released = timed(lambda: dp_statistic(frame, histogram_spec)["value"], repeat)
    error = np.abs(np.asarray(released["counts"]) - counts).max()
    rows.append(
        {
            "task": "histogram of 10M values, 20 bins",
            "plain": "numpy.histogram",
            "plain_s": plain_time,
            "dp": "dp_statistic histogram, epsilon 0.1",
            "dp_s": dp_time,
            "note": f"largest count error {error}",
        }
    )
    return rows


def bench_logistic_regression(repeat: int) -> list[dict[str, Any]]:
    from diffprivlib.models import LogisticRegression as DPLogisticRegression
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    n, d = 100_000, 20
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    coef = rng.normal(size=d) * 3
    y = (X @ coef + rng.logistic(size=n) > 0).astype(int)
    train, test = slice(0, 80_000), slice(80_000, None)
    norm = float(np.linalg.norm(X, axis=1).max())  # a benchmark may peek; a release may not

    def plain() -> float:
        model = LogisticRegression(max_iter=1000).fit(X[train], y[train])
        return float(model.score(X[test], y[test]))

    def private() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = DPLogisticRegression(epsilon=1.0, data_norm=norm, random_state=0)
            model.fit(X[train], y[train])
        return float(model.score(X[test], y[test]))

    plain_time, plain_accuracy = timed(plain, repeat)
    dp_time, dp_accuracy = timed(private, repeat)
    return [
        {
            "task": "logistic regression, 100k x 20 (80k train)",
            "plain": "sklearn LogisticRegression",
            "plain_s": plain_time,
            "dp": "diffprivlib LogisticRegression, epsilon 1",
            "dp_s": dp_time,
            "note": f"test accuracy {plain_accuracy:.4f} vs {dp_accuracy:.4f}",
        }
    ]


def bench_transform(repeat: int) -> list[dict[str, Any]]:
    from diffprivlib.mechanisms import LaplaceBoundedDomain

    from responsible_ai.privacy.dp import LaplaceNoise

    rng = np.random.default_rng(2)
    column = rng.uniform(17, 90, 1_000_000)
    per_value = 20_000  # diffprivlib one call per value: timed on 20k, scaled to 1M

    def loop() -> None:
        mechanism = LaplaceBoundedDomain(
            epsilon=1.0, delta=0.0, sensitivity=73.0, lower=17.0, upper=90.0, random_state=0
        )
        for value in column[:per_value]:
            mechanism.randomise(float(value))

    noise = LaplaceNoise(epsilon=1.0, bounds=(17, 90), random_state=0)
    vector_time, _ = timed(lambda: noise.fit_transform(column[:, None]), repeat)
    loop_time, _ = timed(loop, repeat)
    return [
        {
            "task": "bounded Laplace noise on 1M values",
            "plain": "diffprivlib LaplaceBoundedDomain per value (20k timed, x50)",
            "plain_s": loop_time * len(column) / per_value,
            "dp": "LaplaceNoise.fit_transform",
            "dp_s": vector_time,
            "note": "both sides are DP; same distribution",
        }
    ]


def bench_fairness(repeat: int) -> list[dict[str, Any]]:
    from responsible_ai.datasets import load_adult
    from responsible_ai.fairness.groups import count_groups
    from responsible_ai.privacy.dp import dp_fairness_report

    adult = load_adult().data
    truth = (adult["income_over_50k"] == 1).to_numpy()
    decision = ((adult["education_num"] >= 13) & (adult["hours_per_week"] >= 40)).to_numpy()
    plain_time, _ = timed(lambda: count_groups(adult, ["sex"], decision, truth), repeat)
    dp_time, table = timed(
        lambda: dp_fairness_report(adult, by="sex", y_pred=decision, y_true=truth, epsilon=1.0),
        repeat,
    )
    return [
        {
            "task": "fairness table of Adult (48,842 rows) by sex",
            "plain": "count_groups (exact counts)",
            "plain_s": plain_time,
            "dp": "dp_fairness_report, epsilon 1, 2000 draws for error bars",
            "dp_s": dp_time,
            "note": f"{len(table.groups)} groups",
        }
    ]


def render(rows: list[dict[str, Any]], repeat: int, total: float) -> str:
    import diffprivlib
    import sklearn

    lines = [
        "# Differential privacy benchmark",
        "",
        f"Each row compares a DP computation with its non-private counterpart, both measured in "
        f"the same run on the same data; times are the median of {repeat} runs, one thread each.",
        "",
        "| task | plain | plain time (s) | DP | DP time (s) | DP / plain | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row["dp_s"] / row["plain_s"] if row["plain_s"] > 0 else float("nan")
        lines.append(
            f"| {row['task']} | {row['plain']} | {row['plain_s']:.3f} | {row['dp']} | "
            f"{row['dp_s']:.3f} | {ratio:.3g}x | {row['note']} |"
        )
    lines += [
        "",
        f"Reproduce: `PYTHONPATH=. python benchmarks/dp.py` (whole run: {total:.0f} s).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' jobs "
        f"while measuring, so times are noisy; Python {platform.python_version()}, numpy "
        f"{np.__version__}, pandas {pd.__version__}, scikit-learn {sklearn.__version__}, "
        f"diffprivlib {diffprivlib.__version__}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for bench in (bench_statistics, bench_logistic_regression, bench_transform, bench_fairness):
        rows += bench(args.repeat)
        print(f"done: {bench.__name__}", flush=True)
    text = render(rows, args.repeat, time.perf_counter() - started)
    from responsible_ai._atomic import write_text_atomic

    write_text_atomic(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
