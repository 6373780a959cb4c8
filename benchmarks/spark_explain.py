"""SHAP values of a Spark sample: on the executors (mapInPandas) vs collected to the driver, and vs
what a user would otherwise write (collect the rows, then ``shap.TreeExplainer`` on the driver), in
the same run, on the same sample.

Data: generated Parquet (``--rows``, default 200,000, in 8 files), 20 numeric features, a
sensitive column of 6 groups, a label; a random forest (``--trees``, default 50, depth 8) fitted
on 20,000 of the rows. For each sample size (``--sizes``) every side draws the same stratified,
seeded sample with :func:`responsible_ai.engines.sample.sample_with_spark`, then:

- ``shap on the driver``: ``shap.TreeExplainer(model).shap_values(rows)``, one process;
- ``ours, driver``: the explainer an audit uses, with ``n_jobs`` = the driver's cores (forked
  TreeSHAP workers);
- ``ours, executors``: ``on_executors=True``: the SHAP values computed in ``mapInPandas`` on the
  executors and collected with the rows (the values are checked equal to the driver's).

On ``local[N]`` the executors are the driver's own cores, so this measures the price of the
Spark job (its start-up, the broadcast, a Python worker importing shap per core); on a cluster
the executor side divides the TreeSHAP time by the executor cores instead of the driver's.

Run: ``PYTHONPATH=. python -P benchmarks/spark_explain.py [--rows N] [--sizes 1000,4000]
[--master local[2]] [--out FILE]``
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from responsible_ai.engines.sample import sample_with_spark
from responsible_ai.explain._explainers import choose_explainer
from responsible_ai.explain._parallel import available_cores
from responsible_ai.policy.schema import DataRoles

FEATURES = [f"x{i}" for i in range(20)]
GROUPS = {"a": 0.50, "b": 0.30, "c": 0.15, "d": 0.04, "e": 0.009, "f": 0.001}


def make_files(folder: Path, rows: int, files: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per = rows // files
    head = None
    for part in range(files):
        frame = pd.DataFrame(rng.normal(size=(per, len(FEATURES))), columns=FEATURES)
        frame["group"] = rng.choice(list(GROUPS), per, p=list(GROUPS.values()))
        signal = frame["x0"] + frame["x1"] * frame["x2"] - frame["x3"] + rng.logistic(size=per)
        frame["label"] = (signal > 0).astype(int)
        frame.to_parquet(folder / f"part-{part:02d}.parquet")
        head = frame if head is None else head
    assert head is not None
    return head


def _timed(function: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    found = function()
    return found, time.perf_counter() - start


def run(rows: int, sizes: list[int], trees: int, master: str) -> list[dict[str, Any]]:
    import shap

    from responsible_ai.engines.spark_session import spark_session

    spark, _started = spark_session(master)
    roles = DataRoles(target="label", sensitive=["group"])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        head = make_files(folder, rows)
        model = RandomForestClassifier(n_estimators=trees, max_depth=8, random_state=0, n_jobs=1)
        model.fit(head[FEATURES].iloc[:20000], head["label"].iloc[:20000])
        data = str(folder / "*.parquet")
        for size in sizes:

            def draw(on: bool, size: int = size) -> Any:
                return sample_with_spark(
                    data, model, roles, size, min_per_group=30, seed=1, on_executors=on
                )

            sample, sample_s = _timed(lambda: draw(False))
            matrix = sample.frame[FEATURES]
            explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
            theirs, theirs_s = _timed(
                lambda e=explainer, m=matrix: e.shap_values(m, check_additivity=False)
            )
            ours = choose_explainer(model, FEATURES, matrix, 1, n_jobs=available_cores())
            mine, ours_s = _timed(lambda o=ours, f=sample.frame: o.compute(f))
            remote, remote_s = _timed(lambda: draw(True))
            assert remote.attribution is not None
            pd.testing.assert_frame_equal(remote.frame, sample.frame)
            gap = float(np.abs(remote.attribution.values - mine.values).max())
            gap_shap = float(np.abs(mine.values - np.asarray(theirs)[:, :, 1]).max())
            results.append(
                {
                    "rows explained": len(sample.frame),
                    "sample only (s)": sample_s,
                    "shap on the driver (s)": sample_s + theirs_s,
                    "ours, driver (s)": sample_s + ours_s,
                    "ours, executors (s)": remote_s,
                    "max diff, executors vs driver": gap,
                    "max diff, ours vs shap": gap_shap,
                }
            )
            print(results[-1], flush=True)
    spark.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", default="benchmarks/results/spark_explain.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    found = run(args.rows, sizes, args.trees, args.master)
    header = list(found[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"{row[k]:.3g}" for k in header) + " |" for row in found]
    # The first size also pays the JVM's and the Python workers' warm-up (the sample column).
    text = (
        f"# SHAP of a Spark sample: executors vs driver\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC, {platform.machine()}, {available_cores()} cores, master {args.master}, "
        f"{args.rows} rows, random forest of {args.trees} trees (depth 8), 20 features.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
