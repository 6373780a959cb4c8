"""Scale-out: the same fairness audit of a large Parquet folder on each engine, side by side.

Generates (once, cached under ``--cache``) a folder of Parquet files with ``--rows`` rows, three
sensitive columns whose intersection has 60 groups (sex x 5 age bands x 6 regions), a target, a
prediction and a weight, then times in one run:

- ``audit(..., engine="duckdb")``: our DuckDB engine (one GROUP BY, memory limit set);
- ``audit(..., engine="pandas")`` on one Parquet file: pyarrow batches counted with NumPy;
- the limit to compare with: a hand-written DuckDB ``GROUP BY`` of the same confusion cells
  over the same files (no audit around it);
- fairlearn ``MetricFrame`` (selection rate by the 60 groups) on the rows that fit in memory,
  extrapolated linearly past ``--fairlearn-rows``.

Peak memory (max RSS) is measured for each in its own subprocess. Run from the repository root::

    PYTHONPATH=. python benchmarks/scale.py --rows 10_000_000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

POLICY = {
    "name": "scale",
    "data": {
        "target": "label",
        "positive_label": 1,
        "sensitive": ["sex", "age_band", "region"],
    },
    "checks": [
        {
            "id": "dp",
            "metric": "fairness.demographic_parity_difference",
            "must": "<= 0.1",
            "by": ["sex", "age_band", "region"],
        },
        {
            "id": "eo",
            "metric": "fairness.equalized_odds_difference",
            "must": "<= 0.1",
            "by": ["sex", "age_band", "region"],
        },
        {
            "id": "ratio-sex",
            "metric": "fairness.selection_rate_ratio",
            "must": ">= 0.8",
            "by": "sex",
        },
    ],
}


def generate(folder: Path, rows: int, files: int = 10, seed: int = 0) -> Path:
    marker = folder / f"rows-{rows}.done"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(seed)
    per = rows // files
    for i in range(files):
        n = per if i < files - 1 else rows - per * (files - 1)
        sex = rng.choice(np.array(["female", "male"]), n)
        age = rng.choice(np.array(["18-25", "26-35", "36-45", "46-60", "60+"]), n)
        region = rng.choice(np.array(["N", "S", "E", "W", "C", "X"]), n)
        label = rng.random(n) < 0.4
        prediction = np.where(rng.random(n) < 0.8, label, ~label)
        pd.DataFrame(
            {
                "sex": sex,
                "age_band": age,
                "region": region,
                "label": label.astype(np.int8),
                "prediction": prediction.astype(np.int8),
                "weight": rng.uniform(0.5, 2, n),
            }
        ).to_parquet(folder / f"part-{i:03d}.parquet", row_group_size=1 << 20)
    marker.write_text("ok")
    return folder


CHILD = {
    "duckdb": "from responsible_ai.auditing import audit; import json,sys; "
    "r = audit(sys.argv[1] + '/*.parquet', json.loads(sys.argv[2]), prediction='prediction', "
    "engine='duckdb'); print(r.checks[0].value)",
    "pandas": "from responsible_ai.auditing import audit; import json,sys; "
    "r = audit(sys.argv[1] + '/../whole.parquet', json.loads(sys.argv[2]), "
    "prediction='prediction', engine='pandas'); print(r.checks[0].value)",
    "duckdb-groupby": "import duckdb,sys; con = duckdb.connect(config={'memory_limit': '2GB'}); "
    'print(len(con.execute("SELECT sex, age_band, region, prediction, label, count(*), '
    'sum(weight) FROM read_parquet(\'" + sys.argv[1] + "/*.parquet\') GROUP BY ALL").fetchall()))',
}


def run_child(name: str, folder: Path) -> tuple[float, float, str]:
    code = (
        "import resource, time; t = time.perf_counter(); " + CHILD[name] + "; "
        "print('WALL', time.perf_counter() - t); "
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), json.dumps(POLICY)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    wall = float(next(line for line in lines if line.startswith("WALL")).split()[1])
    rss = float(next(line for line in lines if line.startswith("RSS")).split()[1]) / 1024
    return wall, rss, lines[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rai-scale"))
    parser.add_argument("--fairlearn-rows", type=int, default=2_000_000)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    folder = generate(args.cache / "parts", args.rows)
    whole = args.cache / "whole.parquet"
    if not args.skip_pandas and not (args.cache / f"whole-{args.rows}.done").exists():
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        pq.write_table(
            ds.dataset(sorted(folder.glob("*.parquet"))).to_table(), whole, row_group_size=1 << 20
        )
        (args.cache / f"whole-{args.rows}.done").write_text("ok")
    print(
        f"{args.rows:,} rows, 60 intersectional groups, {len(list(folder.glob('*.parquet')))} files"
    )
    print("| engine | wall s | peak RSS MiB | first value |")
    print("|---|---:|---:|---|")
    names = ["duckdb-groupby", "duckdb"] + ([] if args.skip_pandas else ["pandas"])
    for name in names:
        wall, rss, value = run_child(name, folder)
        print(f"| {name} | {wall:.2f} | {rss:.0f} | {value} |")
    from fairlearn.metrics import MetricFrame, selection_rate

    n = min(args.fairlearn_rows, args.rows)
    frame = pd.concat(pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))).head(n)
    started = time.perf_counter()
    _ = MetricFrame(
        metrics=selection_rate,
        y_true=frame["label"],
        y_pred=frame["prediction"],
        sensitive_features=frame[["sex", "age_band", "region"]],
    ).by_group
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| fairlearn MetricFrame ({n:,} rows; x{args.rows / n:.0f} extrapolated) | "
        f"{wall * args.rows / n:.2f} | {peak:.0f} (this process) | selection rate only |"
    )


if __name__ == "__main__":
    main()
