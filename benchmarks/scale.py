"""Scale-out: the same fairness audit of a large Parquet folder on each engine, side by side.

Generates (once) folders of Parquet files under ``--out`` (see ``scale_data.py``: 60
intersectional groups, a weight), then times in one run, each in its own process, with the peak
memory of its whole process tree (the RSS of the process and its children, the JVM included,
polled every 50 ms):

- ``hand GROUP BY``: the limit, a hand-written DuckDB ``GROUP BY`` of the same confusion cells
  (rows and summed weight per sensitive values x prediction x label) over the same files, memory
  limit 2GB, the result brought back to pandas as the engine does;
- ``rai check --engine duckdb``: the whole command (start-up, imports, policy, counting, hashing
  every byte, intervals, tests, the JSON report written);
- ``count_with_duckdb``: the counting part alone (DuckDB, the hash, the counts tables), timed
  inside the process after its imports;
- ``rai check --engine pandas``: the pandas streaming path (pyarrow batches counted with NumPy);
- ``rai check --engine spark``: Spark ``local[2]`` (JVM start included), and Spark's counting
  part alone on a started session;
- ``rai check --engine sql``: the hook for the SQL engine (``--sql-url`` and ``--sql-table``: a
  table holding the same rows; not run otherwise);
- fairlearn ``MetricFrame`` (weighted selection rate, TPR and FPR by the 60 groups) on the first
  ``--fairlearn-rows`` rows, extrapolated linearly past them and marked so.

The JSON reports of the ``rai check`` runs are then compared: equal bar ``created_at``,
``duration_seconds`` and the engine note. Run from the repository root::

    PYTHONPATH=. python benchmarks/scale.py --rows 10_000_000 100_000_000 --out /work/bench-data
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_data import generate

POLICY = Path(__file__).resolve().parent / "scale-policy.yaml"
# Measured once: minutes each at 100M rows on two cores.
SLOW = ("fairlearn", "rai check --engine pandas", "rai check --engine spark", "count_with_spark")
KEYS = "sex, age_band, region, prediction, label"

HAND = f"""
import os, sys, time
started = time.perf_counter()
import duckdb
con = duckdb.connect(config={{"memory_limit": "2GB", "threads": os.cpu_count()}})
con.execute("SET enable_progress_bar = false")
table = con.execute(
    "SELECT {KEYS}, count(*) AS n, sum(weight) AS w FROM read_parquet($files) GROUP BY ALL",
    {{"files": sys.argv[1] + "/*.parquet"}},
).df()
print("INNER", time.perf_counter() - started, "groups", len(table))
"""

COUNTING = """
import sys, time
from responsible_ai.engines.duckdb_engine import count_with_duckdb
from responsible_ai.fairness.parquet import groupings
from responsible_ai.policy.loader import load_policy
policy = load_policy(sys.argv[2]).policy
bys = groupings(policy, list(policy.data.sensitive))
started = time.perf_counter()
data, counts = count_with_duckdb(sys.argv[1], policy.data, bys)
print("INNER", time.perf_counter() - started, "rows", data.source["rows"])
"""

SPARK_COUNTING = """
import sys, time, warnings
warnings.simplefilter("ignore")
from responsible_ai.engines.spark_engine import count_with_spark
from responsible_ai.engines.spark_session import spark_session
from responsible_ai.fairness.parquet import groupings
from responsible_ai.policy.loader import load_policy
policy = load_policy(sys.argv[2]).policy
bys = groupings(policy, list(policy.data.sensitive))
started = time.perf_counter()
spark, _ = spark_session(None)
session = time.perf_counter() - started
started = time.perf_counter()
data, counts = count_with_spark(sys.argv[1], policy.data, bys)
print("INNER", time.perf_counter() - started, "session", round(session, 2))
spark.stop()
"""

FAIRLEARN = """
import sys, time
import pyarrow.dataset as ds
from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                               true_positive_rate)
rows = int(sys.argv[3])
frame = ds.dataset(sys.argv[1], format="parquet").head(rows).to_pandas()
weights = {"sample_weight": frame["weight"].to_numpy()}
started = time.perf_counter()
metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate,
           "fpr": false_positive_rate}
found = MetricFrame(
    metrics=metrics, y_true=frame["label"], y_pred=frame["prediction"],
    sensitive_features=frame[["sex", "age_band", "region"]],
    sample_params={name: weights for name in metrics},
)
gaps = found.difference()
print("INNER", time.perf_counter() - started, "dp", round(float(gaps["selection_rate"]), 6))
"""


def _tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError):
                continue
    tree, todo = {root}, [root]
    while todo:
        current = todo.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in tree:
                tree.add(pid)
                todo.append(pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError):
            continue
    return total


def measure(command: list[str]) -> dict[str, Any]:
    """Wall time, peak RSS of the process tree, load, and the ``INNER`` line of ``command``."""
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "PYTHONWARNINGS": "ignore"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, stderr = out.read().decode(), err.read().decode()
    inner = next((line.split() for line in printed.splitlines() if line.startswith("INNER")), [])
    return {
        "wall": wall,
        "inner": float(inner[1]) if inner else None,
        "extra": " ".join(inner[2:]),
        "peak_mib": peak / 2**20,
        "load": load,
        "code": process.returncode,
        "stderr": stderr.strip(),
        "stdout": printed,
    }


def rai_check(data: str, engine: str, report: Path, extra: list[str] | None = None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "responsible_ai.cli",
        "check",
        data,
        "--policy",
        str(POLICY),
        "--engine",
        engine,
        "--format",
        "json",
        "--output",
        str(report),
        *(extra or []),
    ]


def normalised(path: Path, keep_source: bool) -> dict[str, Any]:
    """A report without what differs by design: times, the engine note (and a SQL source)."""
    report = json.loads(path.read_text())
    for key in ("created_at", "duration_seconds"):
        report.pop(key, None)
    report["data_notes"] = report["data_notes"][1:]
    if not keep_source:
        report["inputs"].pop("data", None)
    return report


def differences(ours: Any, theirs: Any, where: str = "") -> tuple[list[str], float]:
    """Where two reports differ beyond 1e-12 (relative, or absolute near 0), and the largest
    difference of two numbers: weighted sums add up in another order on each engine."""
    if isinstance(ours, float) and isinstance(theirs, float):
        gap = abs(ours - theirs)
        scale = max(1.0, abs(ours), abs(theirs))
        return ([where] if gap > 1e-12 * scale else []), gap / scale
    if isinstance(ours, dict) and isinstance(theirs, dict) and ours.keys() == theirs.keys():
        pairs = [(ours[k], theirs[k], f"{where}.{k}") for k in ours]
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        pairs = [(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs, strict=True))]
    else:
        return ([] if ours == theirs else [where]), 0.0
    found: list[str] = []
    largest = 0.0
    for a, b, here in pairs:
        paths, gap = differences(a, b, here)
        found += paths
        largest = max(largest, gap)
    return found, largest


def run_size(rows: int, args: argparse.Namespace, work: Path) -> list[str]:
    folder = generate(args.out, rows, args.files)
    data = str(folder)
    size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**30
    lines = [
        "",
        f"### {rows:,} rows, {len(list(folder.glob('*.parquet')))} Parquet files, "
        f"{size:.2f} GiB, 60 intersectional groups",
        "",
        "| what | wall s (best of runs) | inner s | peak RSS MiB (tree) | load | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    script = str(POLICY)
    runs: list[tuple[str, list[str], str | None]] = [
        ("hand DuckDB GROUP BY (the limit)", [sys.executable, "-c", HAND, data], None),
        ("rai check --engine duckdb", rai_check(data, "duckdb", work / "duckdb.json"), "duckdb"),
        ("count_with_duckdb (counting part)", [sys.executable, "-c", COUNTING, data, script], None),
    ]
    if "pandas" in args.engines:
        runs.append(
            ("rai check --engine pandas", rai_check(data, "pandas", work / "pandas.json"), "pandas")
        )
    if "spark" in args.engines:
        runs.append(
            ("rai check --engine spark", rai_check(data, "spark", work / "spark.json"), "spark")
        )
        runs.append(
            (
                "count_with_spark (counting part)",
                [sys.executable, "-c", SPARK_COUNTING, data, script],
                None,
            )
        )
    if args.sql_url:  # the SQL engine's hook: a table holding the same rows
        command = rai_check(args.sql_table, "sql", work / "sql.json", ["--url", args.sql_url])
        runs.append(("rai check --engine sql", command, "sql"))
    fair_rows = min(args.fairlearn_rows, rows)
    fair_name = f"fairlearn MetricFrame, {fair_rows:,} rows"
    if fair_rows:  # --fairlearn-rows 0: not run
        command = [sys.executable, "-c", FAIRLEARN, data, script, str(fair_rows)]
        runs.append((fair_name, command, None))
    timings: dict[str, dict[str, Any]] = {}
    for name, command, _engine in runs:
        best: dict[str, Any] | None = None
        for _ in range(1 if name.startswith(SLOW) else args.repeat):
            result = measure(command)
            if result["code"] not in (0, 1):
                raise SystemExit(f"{name} failed ({result['code']}): {result['stderr'][-2000:]}")
            if best is None or result["wall"] < best["wall"]:
                best = result
        assert best is not None
        timings[name] = best
        note = best["extra"]
        if name.startswith("rai check") and best["stderr"]:
            note += f" stderr: {len(best['stderr'].splitlines())} line(s)"
        inner = "" if best["inner"] is None else f"{best['inner']:.2f}"
        lines.append(
            f"| {name} | {best['wall']:.2f} | {inner} | {best['peak_mib']:.0f} | "
            f"{best['load']:.1f} | {note} |"
        )
        print(lines[-1], flush=True)
    fair = timings.get(fair_name)
    if fair is not None and fair_rows < rows:
        scaled = fair["inner"] * rows / fair_rows
        lines.append(
            f"| fairlearn MetricFrame, **extrapolated** x{rows / fair_rows:.0f} | | "
            f"{scaled:.1f} | not measured | | linear in rows, metric time only |"
        )
    hand = timings["hand DuckDB GROUP BY (the limit)"]["wall"]
    ours = timings["rai check --engine duckdb"]["wall"]
    lines += [
        "",
        f"- `rai check --engine duckdb` / hand GROUP BY: **{ours / hand:.2f}x** (target <= 1.5x)",
    ]
    if "rai check --engine spark" in timings:
        spark = timings["rai check --engine spark"]["wall"]
        lines.append(
            f"- Spark `rai check` / DuckDB `rai check`: **{spark / ours:.2f}x** (target <= 3x)"
        )
        inner = timings["count_with_spark (counting part)"]["inner"]
        duck_inner = timings["count_with_duckdb (counting part)"]["inner"]
        lines.append(f"- Spark counting / DuckDB counting: **{inner / duck_inner:.2f}x**")
    reports = {e: work / f"{e}.json" for _n, _c, e in runs if e is not None}
    lines += _compare(reports)
    return lines


def _compare(reports: dict[str, Path]) -> list[str]:
    """Each engine's report against DuckDB's (a SQL table has no files: its source differs)."""
    base = normalised(reports["duckdb"], keep_source=True)
    lines = []
    for engine, path in reports.items():
        if engine == "duckdb":
            continue
        keep = engine != "sql"
        other = normalised(path, keep_source=keep)
        inputs = {k: v for k, v in base["inputs"].items() if keep or k != "data"}
        found, largest = differences({**base, "inputs": inputs}, other)
        verdict = f"differs at {found[:5]}" if found else "**the same**"
        lines.append(
            f"- report on {engine} vs duckdb: {verdict} (bar times and the engine note; "
            f"largest relative difference of a number {largest:.1e})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=lambda s: int(s.replace("_", "")), nargs="+", default=[10_000_000]
    )
    parser.add_argument("--out", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--files", type=int, default=100, help="Parquet files per folder")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each fast measurement")
    parser.add_argument(
        "--engines", nargs="*", default=["pandas", "spark"], choices=["pandas", "spark"]
    )
    parser.add_argument(
        "--fairlearn-rows", type=lambda s: int(s.replace("_", "")), default=2_000_000
    )
    parser.add_argument("--sql-url", help="SQL engine hook: a database holding the rows")
    parser.add_argument("--sql-table", default="scale", help="the table of --sql-url")
    parser.add_argument("--results", type=Path, help="also write the tables (Markdown) here")
    parser.add_argument(
        "--compare",
        nargs="+",
        type=Path,
        metavar="REPORT",
        help="only compare JSON reports of `rai check` (the first is the reference), then exit",
    )
    args = parser.parse_args()
    if args.compare:
        base = normalised(args.compare[0], keep_source=True)
        differ = False
        for path in args.compare[1:]:
            found, largest = differences(base, normalised(path, keep_source=True))
            differ = differ or bool(found)
            verdict = f"differs at {found[:5]}" if found else "the same"
            print(f"{path} vs {args.compare[0]}: {verdict} (largest relative gap {largest:.1e})")
        raise SystemExit(1 if differ else 0)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"{os.cpu_count()} cores; {when}; load at start {os.getloadavg()[0]:.1f}"]
    with tempfile.TemporaryDirectory(prefix="rai-scale-") as work:
        for rows in args.rows:
            lines += run_size(rows, args, Path(work))
    lines.append(f"\nload at end {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))
    if args.results:
        args.results.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
