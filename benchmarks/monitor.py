"""Monitoring benchmarks: drift statistics against Evidently's, 10M log rows, --follow on a day.

    PYTHONPATH=. python benchmarks/monitor.py [--rows 10000000] [--evidently PYTHON]

1. Drift: the same reference and windows (German credit reference, the shipped log's days) through
   responsible-ai's histogram drift and through Evidently's stattests (run by ``--evidently``, the
   python of a separate venv with evidently installed; never a dependency), values and time.
2. Scale: ``monitor()`` on a generated log of ``--rows`` rows over 365 daily windows with 60
   groups, eight features drifting from a reference (DuckDB engine).
3. Follow: one more day appended to that monitor with ``rai monitor --follow --state``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "monitoring"
FEATURES = ["duration", "age", "credit_amount", "installment_rate", "purpose", "savings", "job"]

_EVIDENTLY = r"""
import json, sys, time
import pandas as pd
from evidently.calculations.stattests import get_stattest
ref = pd.read_parquet(sys.argv[1])
logs = pd.read_parquet(sys.argv[2])
features = json.loads(sys.argv[3])
kinds = json.loads(sys.argv[4])
logs["day"] = logs["timestamp"].dt.strftime("%Y-%m-%d")
out = {}
start = time.perf_counter()
for day, rows in logs.groupby("day"):
    for f in features:
        test = get_stattest(ref[f], rows[f], kinds[f], None)
        result = test(ref[f], rows[f], kinds[f], None)
        out[f"{day}|{f}"] = [test.name, float(result.drift_score)]
print(json.dumps({"seconds": time.perf_counter() - start, "values": out}))
"""


def drift_comparison(python: str | None) -> dict[str, object]:
    from responsible_ai.monitor.evaluate import _drift_of, _feature_arrays
    from responsible_ai.monitor.profile import build_profile
    from responsible_ai.monitor.reading import LogSpec, count_frame

    ref = pd.read_parquet(SAMPLE / "german_credit_reference.parquet")
    logs = pd.concat(
        [pd.read_parquet(p) for p in sorted((SAMPLE / "german_credit_logs").glob("2025-0[67]*"))]
    )
    start = time.perf_counter()
    profile = build_profile(
        ref, FEATURES, [], score=None, target=None, positive_label="good", where="ref"
    )
    spec = LogSpec(
        "timestamp",
        ("days", 1),
        [],
        "prediction",
        "good",
        numeric={f: p.edges for f, p in profile.features.items() if p.kind == "numeric"},
        categorical=[f for f, p in profile.features.items() if p.kind == "categorical"],
    )
    counts = count_frame(logs, spec)
    arrays = _feature_arrays(counts.features)
    ours = {}
    for (day, feature), part in arrays.items():
        result = _drift_of(profile.features[feature], *part, "auto", None)
        assert result is not None
        ours[f"{day}|{feature}"] = [result["method"], result["score"]]
    seconds = time.perf_counter() - start
    report: dict[str, object] = {"ours_seconds": seconds, "tests": len(ours)}
    if python is None:
        return report
    kinds = {f: ("num" if profile.features[f].kind == "numeric" else "cat") for f in FEATURES}
    with tempfile.TemporaryDirectory() as folder:
        logs_path = Path(folder) / "logs.parquet"
        logs.to_parquet(logs_path)
        done = subprocess.run(
            [
                python,
                "-c",
                _EVIDENTLY,
                str(SAMPLE / "german_credit_reference.parquet"),
                str(logs_path),
                json.dumps(FEATURES),
                json.dumps(kinds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    names = {
        "chisquare": "chi_square",
        "jensenshannon": "jensen_shannon",
        "wasserstein": "wasserstein",
        "ks": "ks",
        "z": "z",
        "psi": "psi",
    }
    same_method = sum(
        names.get(theirs["values"][k][0], theirs["values"][k][0]) == ours[k][0] for k in ours
    )
    by_feature: dict[str, float] = {}
    for key in ours:
        feature = key.split("|")[1]
        difference = abs(ours[key][1] - theirs["values"][key][1])
        by_feature[feature] = max(by_feature.get(feature, 0.0), difference)
    report.update(
        {
            "evidently_seconds": theirs["seconds"],
            "same_test_chosen": f"{same_method}/{len(ours)}",
            "largest_difference_by_feature": by_feature,
            "methods": sorted({f"{k.split('|')[1]}:{v[0]}" for k, v in ours.items()}),
        }
    )
    return report


def _generate(rows: int, folder: Path, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    days = 365
    reference = _block(rng, 20_000, drift=0.0)
    reference_path = folder / "reference.parquet"
    reference.to_parquet(reference_path)
    per_file = rows // 12
    logs = folder / "logs"
    logs.mkdir()
    for month in range(12):
        block = _block(rng, per_file, drift=month / 11)
        day = rng.integers(month * days // 12, (month + 1) * days // 12, per_file)
        block.insert(
            0,
            "timestamp",
            pd.Timestamp("2025-01-01")
            + pd.to_timedelta(day * 86_400 + rng.integers(0, 86_400, per_file), unit="s"),
        )
        block.to_parquet(logs / f"2025-{month + 1:02d}.parquet", index=False)
    return logs, reference_path


def _block(rng: np.random.Generator, n: int, drift: float) -> pd.DataFrame:
    segment = np.char.add("s", rng.integers(0, 60, n).astype(str))
    score = np.clip(rng.beta(3, 2, n) - 0.1 * drift, 0, 1)
    label = np.where(rng.random(n) < score, "yes", "no").astype(object)
    label[rng.random(n) < 0.3] = None
    return pd.DataFrame(
        {
            "segment": segment,
            "prediction": np.where(score >= 0.5, "yes", "no"),
            "label": label,
            "score": score,
            "x1": rng.normal(drift, 1, n),
            "x2": rng.exponential(1 + drift, n),
            "x3": rng.integers(0, 50, n),
            "x4": rng.normal(0, 1, n),
            "x5": rng.gamma(2, 1, n),
            "c1": rng.choice(["a", "b", "c", "d"], n),
            "c2": rng.choice(["u", "v"], n, p=[0.5 + 0.2 * drift, 0.5 - 0.2 * drift]),
            "c3": rng.choice([f"k{i}" for i in range(12)], n),
        }
    )


POLICY = """
name: scale-monitor
data:
  {prediction: prediction, target: label, score: score, positive_label: "yes", sensitive: [segment]}
fairness: {min_group_size: 10}
checks:
  - {id: gap, metric: fairness.selection_rate_difference, by: segment, must: "<= 0.5"}
  - {id: tpr-gap, metric: fairness.equal_opportunity_difference, by: segment, must: "<= 0.5"}
monitoring:
  window: 1d
  features: [x1, x2, x3, x4, x5, c1, c2, c3]
  estimated_performance: [accuracy]
  thresholds: [{id: gap-3, check: gap, consecutive: 3}]
  drift: [{id: drift, consecutive: 3}]
  sequential: [{id: seq, by: segment, tolerance: 0.3}]
"""


def scale_and_follow(rows: int) -> dict[str, object]:
    from responsible_ai.cli import main
    from responsible_ai.monitor.run import monitor

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        t0 = time.perf_counter()
        logs, reference = _generate(rows, folder)
        generated = time.perf_counter() - t0
        policy = folder / "policy.yaml"
        policy.write_text(POLICY)
        day = logs / "2025-12.parquet"
        last = pd.read_parquet(day)
        last_day = last[last["timestamp"] >= pd.Timestamp("2025-12-31")]
        last[last["timestamp"] < pd.Timestamp("2025-12-31")].to_parquet(day, index=False)
        start = time.perf_counter()
        result = monitor(logs, policy, reference=reference)
        full = time.perf_counter() - start
        state = folder / "state.json"
        from responsible_ai.monitor.persist import state_json

        state.write_text(state_json(result.state))
        last_day.to_parquet(logs / "2025-12-31.parquet", index=False)
        start = time.perf_counter()
        code = main(
            [
                "monitor",
                str(logs),
                "--policy",
                str(policy),
                "--reference",
                str(reference),
                "--state",
                str(state),
                "--follow",
                "--output",
                str(folder / "r.json"),
            ]
        )
        follow = time.perf_counter() - start
        return {
            "rows": result.state.counts.rows_total,
            "windows": len(result.windows),
            "groups": 60,
            "generate_seconds": generated,
            "monitor_seconds": full,
            "follow_seconds": follow,
            "follow_exit": code,
            "state_mb": state.stat().st_size / 1e6,
            "alerts": {f.id: f.status for f in result.report.checks},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--evidently", help="python of a venv with evidently installed")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print("drift", json.dumps(drift_comparison(args.evidently), indent=1))
    if not args.skip_scale:
        print("scale", json.dumps(scale_and_follow(args.rows), indent=1))


if __name__ == "__main__":
    sys.exit(main())
