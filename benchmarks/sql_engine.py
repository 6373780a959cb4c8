"""The sql engine against what a user would otherwise do: read the table into pandas and audit it.

Loads (once per run) a table of ``--rows`` rows into a SQLite file and, with ``--postgres``, into
a throwaway PostgreSQL server (the test suite's ``tests/pg_server.py``; needs Debian's
``postgresql``): three sensitive columns whose intersection has 60 groups, a target, a prediction
and a weight (the same shape as ``benchmarks/scale.py``). Then times, each in its own process
with its peak memory (max RSS), in one run per database:

- ``audit(table, engine="sql", url=...)``: our engine (one GROUP BY in the database);
- ``pandas.read_sql_table`` then ``audit(frame)`` in memory: what a user would otherwise write;
- the limit: the same GROUP BY written by hand and fetched (no audit around it).

With ``--scores`` the table also holds a score in [0, 1] and the policy is of score metrics
(mean score, calibration gap, ECE with 10 bins, MAE against the target), which the sql engine
computes from sums in the same GROUP BY.

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/sql_engine.py --rows 1_000_000 --postgres
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/sql_engine.py --rows 200_000 --scores
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

POLICY = {
    "name": "sql-bench",
    "data": {
        "target": "label",
        "positive_label": 1,
        "weight": "weight",
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
        {"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8", "by": "sex"},
    ],
}
BY = ["sex", "age_band", "region"]
SCORE_POLICY = {
    "name": "sql-bench-scores",
    "data": {**POLICY["data"], "score": "score"},  # type: ignore[dict-item]
    "checks": [
        {"id": "mean", "metric": "fairness.mean_score_difference", "must": "<= 0.1", "by": BY},
        {"id": "gap", "metric": "fairness.calibration_gap_difference", "must": "<= 0.1"},
        {"id": "ece", "metric": "fairness.expected_calibration_error_difference", "must": "<= 0.1"},
        {
            "id": "mae",
            "metric": "fairness.mean_absolute_error_difference",
            "must": "<= 0.1",
            "params": {"target": "label"},
        },
    ],
}
GROUP_BY = (
    "SELECT sex, age_band, region, prediction, label, count(*), sum(weight) "
    "FROM decisions GROUP BY sex, age_band, region, prediction, label"
)
# (imports, work): "work s" times the work alone, "wall s" the whole process with its imports.
CHILD = {
    "sql engine (full audit)": (
        "from responsible_ai.auditing import audit; import json, sys",
        "r = audit('decisions', json.loads(sys.argv[2]), prediction='prediction', "
        "url=sys.argv[1]); print(repr(r.checks[0].value))",
    ),
    "sql engine, counts only (count_with_sql)": (
        "from responsible_ai.engines.sql_engine import count_with_sql; "
        "from responsible_ai.policy.schema import DataRoles; import json, sys",
        "roles = DataRoles(**{**json.loads(sys.argv[2])['data'], 'prediction': 'prediction'}); "
        "b = [['sex', 'age_band', 'region'], ['sex']]; "
        "d, c = count_with_sql('decisions', roles, b, url=sys.argv[1]); print(len(c))",
    ),
    "read_sql_table + audit in memory": (
        "import pandas as pd, sqlalchemy as sa, json, sys; "
        "from responsible_ai.auditing import audit",
        "f = pd.read_sql_table('decisions', sa.create_engine(sys.argv[1])); "
        "r = audit(f, json.loads(sys.argv[2]), prediction='prediction'); "
        "print(repr(r.checks[0].value))",
    ),
    "hand-written GROUP BY (counts only)": (
        "import sqlalchemy as sa, sys",
        "e = sa.create_engine(sys.argv[1]); c = e.connect(); "
        f"print(len(c.execute(sa.text({GROUP_BY!r})).fetchall()))",
    ),
}


def frame(rows: int, seed: int = 0, scores: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.4
    table = pd.DataFrame(
        {
            "sex": rng.choice(np.array(["female", "male"]), rows),
            "age_band": rng.choice(np.array(["18-25", "26-35", "36-45", "46-60", "60+"]), rows),
            "region": rng.choice(np.array(["N", "S", "E", "W", "C", "X"]), rows),
            "label": label.astype(np.int64),
            "prediction": np.where(rng.random(rows) < 0.8, label, ~label).astype(np.int64),
            "weight": rng.uniform(0.5, 2, rows),
        }
    )
    if scores:
        table["score"] = np.clip(0.4 + 0.3 * (2 * label - 1) + rng.normal(0, 0.2, rows), 0, 1)
    return table


def load(data: pd.DataFrame, url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":  # COPY: to_sql's INSERTs take minutes at 1M rows
        data.head(0).to_sql("decisions", engine, index=False)
        raw = engine.raw_connection()
        with raw.cursor() as cursor, cursor.copy("COPY decisions FROM STDIN") as copy:
            for row in data.itertuples(index=False, name=None):
                copy.write_row(row)
        raw.commit()
        raw.close()
    else:
        data.to_sql("decisions", engine, index=False, chunksize=100_000)
    engine.dispose()


def run_child(name: str, url: str, policy: dict[str, Any]) -> tuple[float, float, float, str]:
    imports, work = CHILD[name]
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report the
    # peak of this parent (which holds the generated rows) instead of its own.
    code = (
        "import time; t = time.perf_counter(); "
        + imports
        + "; w = time.perf_counter(); "
        + work
        + "; print('WALL', time.perf_counter() - t, time.perf_counter() - w); "
        "print('RSS', [x.split()[1] for x in open('/proc/self/status') if 'VmHWM' in x][0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, json.dumps(policy)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    walls = next(line for line in lines if line.startswith("WALL")).split()[1:]
    rss = float(next(line for line in lines if line.startswith("RSS")).split()[1]) / 1024
    return float(walls[0]), float(walls[1]), rss, lines[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway server")
    parser.add_argument("--scores", action="store_true", help="a policy of score metrics")
    args = parser.parse_args()
    data = frame(args.rows, scores=args.scores)
    policy = SCORE_POLICY if args.scores else POLICY
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite:///{Path(folder) / 'decisions.sqlite'}"}
        server = None
        if args.postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from pg_server import PostgresServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                raise SystemExit("--postgres needs Debian's postgresql (pg_ctl)")
            server = PostgresServer(bindir).start()
            urls["PostgreSQL"] = server.new_database()
        try:
            kind = ", score metrics" if args.scores else ""
            print(f"{args.rows:,} rows, 60 intersectional groups, weighted{kind}")
            print("| database | way | wall s | work s | peak RSS MiB | result |")
            print("|---|---|---:|---:|---:|---|")
            for database, url in urls.items():
                load(data, url)
                print(f"(loaded into {database})", file=sys.stderr, flush=True)
                for name in CHILD:
                    wall, work, rss, value = run_child(name, url, policy)
                    row = f"| {database} | {name} | {wall:.2f} | {work:.2f} | {rss:.0f} | {value} |"
                    print(row, flush=True)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
