"""Score metrics at scale: the score sums on each engine, side by side, in one run.

Generates (once, cached under ``--cache``) a folder of Parquet files with ``--rows`` rows and the
60 intersectional groups of ``benchmarks/scale.py``, plus a score in [0, 1] and a weight, then
times in one run, each in its own subprocess (peak memory = its max RSS):

- the limits: a hand-written DuckDB ``GROUP BY`` of the confusion cells alone, and of the cells
  with the score sums and 10 score bins that the audit needs (the same SQL, no audit around it);
- ``audit(..., engine="duckdb")`` of a policy of mean score, calibration gap and ECE by the 60
  groups, with intervals (the bootstrap of the sums, ECE's closed form);
- ``audit(whole.parquet)``: the same policy streamed from one file by pandas, batch by batch;
- fairlearn ``MetricFrame`` (the mean score by the 60 groups, the one metric it can give without
  writing one) on the rows that fit, extrapolated linearly past ``--fairlearn-rows``.

Run from the repository root::

    PYTHONPATH=. python benchmarks/scale_scores.py --rows 10_000_000
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

BY = ["sex", "age_band", "region"]
POLICY = {
    "name": "scale-scores",
    "data": {
        "target": "label",
        "positive_label": 1,
        "score": "score",
        "weight": "weight",
        "sensitive": BY,
    },
    "checks": [
        {"id": "score", "metric": "fairness.mean_score_difference", "must": "<= 0.1", "by": BY},
        {"id": "gap", "metric": "fairness.calibration_gap_difference", "must": "<= 0.1", "by": BY},
        {
            "id": "ece",
            "metric": "fairness.expected_calibration_error_difference",
            "must": "<= 0.1",
            "by": BY,
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
        score = rng.uniform(0.0, 1.0, n)
        pd.DataFrame(
            {
                "sex": rng.choice(np.array(["female", "male"]), n),
                "age_band": rng.choice(np.array(["18-25", "26-35", "36-45", "46-60", "60+"]), n),
                "region": rng.choice(np.array(["N", "S", "E", "W", "C", "X"]), n),
                "label": (rng.random(n) < score).astype(np.int8),
                "score": score,
                "weight": rng.uniform(0.5, 2, n),
            }
        ).to_parquet(folder / f"part-{i:03d}.parquet", row_group_size=1 << 20)
    marker.write_text("ok")
    return folder


_SUMS = (
    "sum(weight * weight), sum(weight * score), sum(weight * score * score), "
    "sum(weight * weight * score), sum(weight * weight * score * score), "
    "count(*) FILTER (WHERE score IS NULL OR isnan(score)), min(score), max(score), "
    "CASE WHEN score * 10 >= 9 THEN 9 ELSE floor(score * 10) END AS b"
)
CHILD = {
    "duckdb GROUP BY, cells only": "import duckdb,sys; "
    "con = duckdb.connect(config={'memory_limit': '2GB'}); "
    'print(len(con.execute("SELECT sex, age_band, region, label, count(*), sum(weight) '
    'FROM read_parquet(\'" + sys.argv[1] + "/*.parquet\') GROUP BY ALL").fetchall()))',
    "duckdb GROUP BY, cells + score sums and bins": "import duckdb,sys; "
    "con = duckdb.connect(config={'memory_limit': '2GB'}); "
    "con.execute('SET enable_progress_bar = false'); "
    'print(len(con.execute("SELECT sex, age_band, region, label, count(*), sum(weight), '
    + _SUMS
    + ' FROM read_parquet(\'" + sys.argv[1] + "/*.parquet\') GROUP BY ALL").fetchall()))',
    'audit(..., engine="duckdb")': "from responsible_ai.auditing import audit; import json,sys; "
    "r = audit(sys.argv[1] + '/*.parquet', json.loads(sys.argv[2]), engine='duckdb'); "
    "print(r.checks[0].value)",
    "audit(whole.parquet) (pandas, streamed)": "from responsible_ai.auditing import audit; "
    "import json,sys; r = audit(sys.argv[1] + '/../whole.parquet', json.loads(sys.argv[2])); "
    "print(r.checks[0].value)",
}


def _generate_all(cache: Path, rows: int) -> None:
    folder = generate(cache / "parts", rows)
    whole = cache / "whole.parquet"
    if not (cache / f"whole-{rows}.done").exists():
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        pq.write_table(
            ds.dataset(sorted(folder.glob("*.parquet"))).to_table(), whole, row_group_size=1 << 20
        )
        (cache / f"whole-{rows}.done").write_text("ok")


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
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rai-scale-scores"))
    parser.add_argument("--fairlearn-rows", type=int, default=1_000_000)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.cache / "parts"
    if not args.generate_only:
        # Generated in a child: a process started by this one would inherit its peak RSS.
        subprocess.run([sys.executable, *sys.argv, "--generate-only"], check=True)
    else:
        _generate_all(args.cache, args.rows)
        return
    print(f"{args.rows:,} rows, 60 intersectional groups, 10 files; mean score, gap, ECE")
    print("| engine | wall s | peak RSS MiB | first value / rows |")
    print("|---|---:|---:|---|")
    for name in CHILD:
        wall, rss, value = run_child(name, folder)
        print(f"| {name} | {wall:.2f} | {rss:.0f} | {value} |")
    from fairlearn.metrics import MetricFrame

    n = min(args.fairlearn_rows, args.rows)
    frame = pd.concat(pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))).head(n)
    started = time.perf_counter()
    found = MetricFrame(
        metrics=lambda y_true, y_pred: float(np.mean(y_pred)),
        y_true=frame["label"],
        y_pred=frame["score"],
        sensitive_features=frame[BY],
    ).difference()
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| fairlearn MetricFrame, mean score ({n:,} rows; x{args.rows / n:.0f} extrapolated) | "
        f"{wall * args.rows / n:.2f} | {peak:.0f} (this process) | {found:.6f} (unweighted) |"
    )


if __name__ == "__main__":
    main()
