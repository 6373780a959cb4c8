"""The same report on PostgreSQL: load a benchmarks/scale_data.py folder into a throwaway
PostgreSQL server (tests/pg_server.py: 127.0.0.1, removed afterwards), run ``rai check --engine
sql`` on the table and ``rai check --engine duckdb`` on the files, and compare the two reports
with ``benchmarks/scale.py --compare``.

    python benchmarks/scale_sql.py /work/bench-data/rows-100000000 [--work DIR]

Needs Debian's postgresql (as the tests do) and several GB of disk for the CSV and the table.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import duckdb  # noqa: E402
import psycopg  # noqa: E402
from pg_server import PostgresServer, find_bindir  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("folder", help="a folder of Parquet files from benchmarks/scale_data.py")
parser.add_argument("--work", default="/tmp/rai-scale-sql", help="CSV, URL file and reports")
args = parser.parse_args()
folder = args.folder
out = Path(args.work)
out.mkdir(parents=True, exist_ok=True)
server = PostgresServer(find_bindir()).start()
try:
    url = server.new_database()
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet')")
    cols = rel.columns
    types = rel.types
    pgtypes = {
        "VARCHAR": "text",
        "BIGINT": "bigint",
        "INTEGER": "integer",
        "DOUBLE": "double precision",
        "BOOLEAN": "boolean",
        "TINYINT": "smallint",
        "SMALLINT": "smallint",
        "FLOAT": "real",
    }
    typed = list(zip(cols, map(str, types), strict=True))
    ddl = ", ".join(f'"{c}" {pgtypes.get(t, "text")}' for c, t in typed)
    print("columns", typed)
    csv = out / "rows.csv"
    t = time.time()
    con.sql(f"COPY (SELECT * FROM read_parquet('{folder}/*.parquet')) TO '{csv}' (HEADER false)")
    print("csv", round(time.time() - t, 1), "s")
    pg = url.replace("postgresql+psycopg://", "postgresql://")
    t = time.time()
    with psycopg.connect(pg) as c:
        c.execute(f"CREATE TABLE scale ({ddl})")
        with (
            c.cursor().copy("COPY scale FROM STDIN WITH (FORMAT csv)") as cp,
            open(csv, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                cp.write(chunk)
        c.execute("ANALYZE scale")
    print("load", round(time.time() - t, 1), "s")
    csv.unlink()
    urlfile = out / "db.url"
    urlfile.write_text(url + "\n")
    os.chmod(urlfile, 0o600)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for engine, data, extra in [
        ("sql", "scale", ["--url-file", str(urlfile)]),
        ("duckdb", folder, []),
    ]:
        t = time.time()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "responsible_ai.cli",
                "check",
                data,
                "--policy",
                str(ROOT / "benchmarks" / "scale-policy.yaml"),
                "--engine",
                engine,
                *extra,
                "--format",
                "json",
                "--output",
                str(out / f"{engine}.json"),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        print(
            engine,
            "exit",
            done.returncode,
            round(time.time() - t, 1),
            "s",
            done.stderr.strip()[-300:],
        )
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "scale.py"),
            "--compare",
            str(out / "duckdb.json"),
            str(out / "sql.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    print("compare exit", done.returncode, done.stdout[-2000:], done.stderr[-1000:])
finally:
    server.stop()
