"""ROC AUC and the LL144 scoring rate on DuckDB (fine score bins), side by side, in one run.

Data: the folder of Parquet files of ``benchmarks/scale_scores.py`` (60 intersectional groups, a
continuous score in [0, 1], weights; cached under ``--cache``). Each timed in its own
subprocess (peak memory = its max RSS):

- ``audit(..., engine="duckdb")`` of the ECE policy alone (the score sums, 10 bins): the cost
  before this change;
- the same audit with ROC AUC and the scoring rate by the 60 groups added (4096 more bin keys);
- scikit-learn ``roc_auc_score`` per group (with weights) on the rows read by pandas, the
  library a user would otherwise use, plus the scoring rate by ``groupby``.

It also prints the largest difference between the engine's binned AUC and scikit-learn's
unbinned one, and the bound the finding reports. Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/engine_auc.py --rows 2_000_000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BY = ["sex", "age_band", "region"]
ROLES = {
    "target": "label",
    "positive_label": 1,
    "score": "score",
    "weight": "weight",
    "sensitive": BY,
}
ECE = {"id": "ece", "metric": "fairness.expected_calibration_error_difference", "must": "<= 1"}
AUC = {"id": "auc", "metric": "fairness.roc_auc_difference", "must": "<= 1", "by": BY}
LL144 = {"id": "ll144", "metric": "fairness.scoring_rate_ratio", "must": ">= 0", "by": BY}
POLICIES = {
    "ece": {"name": "ece", "data": ROLES, "checks": [ECE | {"by": BY}]},
    "auc": {"name": "auc", "data": ROLES, "checks": [ECE | {"by": BY}, AUC, LL144]},
}
AUDIT = (
    "from responsible_ai.auditing import audit; import json,sys; "
    "r = audit(sys.argv[1] + '/*.parquet', json.loads(sys.argv[2]), engine='duckdb'); "
    "print(json.dumps({f.id: [f.value, f.evidence.get('binned_scores')] for f in r.checks}))"
)
SKLEARN = (
    "import pandas as pd, json, sys; from sklearn.metrics import roc_auc_score; "
    "import glob; files = sorted(glob.glob(sys.argv[1] + '/*.parquet')); "
    "d = pd.concat([pd.read_parquet(f) for f in files]); "
    "a = {k: roc_auc_score(g.label, g.score, sample_weight=g.weight) "
    "for k, g in d.groupby(['sex','age_band','region'])}; "
    "above = d.score > d.score.median(); "
    "rate = (above * d.weight).groupby([d.sex, d.age_band, d.region]).sum() "
    "/ d.weight.groupby([d.sex, d.age_band, d.region]).sum(); "
    "print(json.dumps({'auc': max(a.values()) - min(a.values()), "
    "'ll144': rate.min() / rate.max()}))"
)
CHILD = {
    'audit(engine="duckdb"), ECE only (score sums, 10 bins)': (AUDIT, "ece"),
    'audit(engine="duckdb"), ECE + ROC AUC + scoring rate (4096 bins)': (AUDIT, "auc"),
    "pandas + scikit-learn roc_auc_score per group + groupby scoring rate": (SKLEARN, "auc"),
}


def run_child(name: str, folder: Path) -> tuple[float, float, str]:
    code, policy = CHILD[name]
    timed = (
        "import resource, time; t = time.perf_counter(); " + code + "; "
        "print('WALL', time.perf_counter() - t); "
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", timed, str(folder), json.dumps(POLICIES[policy])],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    wall = float(next(line for line in lines if line.startswith("WALL")).split()[1])
    rss = float(next(line for line in lines if line.startswith("RSS")).split()[1]) / 1024
    return wall, rss, lines[0]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from scale_scores import generate

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=2_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rai-engine-auc"))
    args = parser.parse_args()
    folder = generate(args.cache / "parts", args.rows)
    print(f"{args.rows:,} rows, 60 groups, continuous scores (timings under load)")
    found: dict[str, str] = {}
    for name in CHILD:
        wall, rss, out = run_child(name, folder)
        found[name] = out
        print(f"{name:70s} {wall:8.2f} s {rss:8.0f} MB")
    ours = json.loads(found[list(CHILD)[1]])
    theirs = json.loads(found[list(CHILD)[2]])
    for check in ("auc", "ll144"):
        key = next(k for k in ours if k.startswith(check))
        value, binned = ours[key]
        print(
            f"{check}: engine {value:.12f}, pandas {theirs[check]:.12f}, "
            f"difference {abs(value - theirs[check]):.2e}; reported: {binned}"
        )


if __name__ == "__main__":
    main()
