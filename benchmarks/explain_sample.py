"""The rows an engine collects to explain: our stratified, seeded DuckDB sample vs DuckDB's own
``USING SAMPLE reservoir`` (not stratified), on the same Parquet files, in the same run.

Data: generated Parquet (``--rows``, default 5,000,000, in 10 files), 20 numeric features, a
sensitive column with 6 groups of very different sizes (one of 0.1%), a label. Both sides collect
2,000 rows to the driver as a DataFrame. We report wall time, how many rows the smallest group got
(the reason to stratify), and that a split of the same rows into other files gives our sample back.

Run: ``PYTHONPATH=. python -P benchmarks/explain_sample.py [--rows N] [--out FILE]``
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

from responsible_ai.engines.sample import sample_with_duckdb
from responsible_ai.policy.schema import DataRoles

FEATURES = [f"x{i}" for i in range(20)]
GROUPS = {"a": 0.50, "b": 0.30, "c": 0.15, "d": 0.04, "e": 0.009, "f": 0.001}


class _Model:
    """Stands for a model: the sample needs only which columns it takes."""

    feature_names_in_ = np.array(FEATURES)


def make_files(folder: Path, rows: int, files: int = 10, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    per = rows // files
    for part in range(files):
        frame = pd.DataFrame(rng.normal(size=(per, len(FEATURES))), columns=FEATURES)
        frame["group"] = rng.choice(list(GROUPS), per, p=list(GROUPS.values()))
        frame["label"] = rng.integers(0, 2, per)
        frame.to_parquet(folder / f"part-{part:02d}.parquet")


def run(rows: int) -> dict[str, Any]:
    import duckdb

    roles = DataRoles(target="label", prediction="label", sensitive=["group"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_files(folder, rows)
        pattern = str(folder / "*.parquet")
        start = time.perf_counter()
        ours = sample_with_duckdb(pattern, _Model(), roles, 2000, min_per_group=30, seed=1)
        ours_s = time.perf_counter() - start
        con = duckdb.connect()
        start = time.perf_counter()
        theirs = con.execute(
            "SELECT * FROM read_parquet($1) USING SAMPLE reservoir(2000 ROWS) REPEATABLE (1)",
            [pattern],
        ).df()
        theirs_s = time.perf_counter() - start
        # The same rows in 3 other files: the same sample.
        whole = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))])
        other = folder / "other"
        other.mkdir()
        backwards = whole.iloc[::-1].reset_index(drop=True)
        third = -(-len(backwards) // 3)
        for i, start in enumerate(range(0, len(backwards), third)):
            backwards.iloc[start : start + third].to_parquet(other / f"p{i}.parquet")
        again = sample_with_duckdb(
            str(other / "*.parquet"), _Model(), roles, 2000, min_per_group=30, seed=1
        )
    return {
        "rows": rows,
        "ours_s": ours_s,
        "theirs_s": theirs_s,
        "ours_n": len(ours.frame),
        "theirs_n": len(theirs),
        "ours_small": int((ours.frame["group"] == "f").sum()),
        "theirs_small": int((theirs["group"] == "f").sum()),
        "same_after_resplit": bool(again.frame.equals(ours.frame)),
    }


def to_markdown(r: dict[str, Any], seconds: float) -> str:
    return "\n".join(
        [
            "# Rows collected to explain on DuckDB: stratified sample vs reservoir sample",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, in one "
            f"run ({seconds:.0f} s), **on a 2-core machine shared with other jobs**: absolute "
            f"figures are noisy. {r['rows']:,} rows in 10 Parquet files, 20 features; group "
            "'f' holds 0.1% of the rows.",
            "",
            "| sampler | wall s | rows collected | rows of group 'f' |",
            "|---|---:|---:|---:|",
            f"| ours: `sample_with_duckdb` (stratified by group x label, hash of seed and row, "
            f"min 30 per stratum) | {r['ours_s']:.2f} | {r['ours_n']:,} | {r['ours_small']} |",
            f"| DuckDB `USING SAMPLE reservoir(2000 ROWS) REPEATABLE (1)` | {r['theirs_s']:.2f} | "
            f"{r['theirs_n']:,} | {r['theirs_small']} |",
            "",
            f"The same rows written to 3 other files in reverse order give our sample back: "
            f"{r['same_after_resplit']}. (The reservoir sample is not stratified: group 'f' "
            "gets what chance gives it.)",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args.rows)
    text = to_markdown(result, time.perf_counter() - started)
    print(text)
    if args.out:
        from responsible_ai._atomic import write_text_atomic

        write_text_atomic(args.out, text)


if __name__ == "__main__":
    main()
