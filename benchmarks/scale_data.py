"""The data of the scale benchmark: a folder of Parquet files with 60 intersectional groups.

Three sensitive columns whose intersection has 60 groups (``sex`` 2 x ``age_band`` 5 x
``region`` 6), a 0/1 ``label`` and ``prediction`` (80% agree) and a ``weight`` in [0.5, 2),
written with pyarrow as plain string / int8 / double columns (what Spark or pandas would write),
``--files`` files of equal size. A marker file records a finished folder, so it is made once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

SEX = ["female", "male"]
AGE_BANDS = ["18-25", "26-35", "36-45", "46-60", "60+"]
REGIONS = ["N", "S", "E", "W", "C", "X"]
#: Selection rates differ a little by group so the checks have something to find.
RATE_SHIFT = {"female": -0.02, "male": 0.0}


def folder_for(out: Path, rows: int) -> Path:
    return out / f"rows-{rows}"


def generate(out: Path, rows: int, files: int, seed: int = 0) -> Path:
    """The folder with ``rows`` rows in ``files`` Parquet files under ``out`` (made once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = folder_for(out, rows)
    marker = folder / "_DONE"
    if marker.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    per = -(-rows // files)
    for i, start in enumerate(range(0, rows, per)):
        n = min(per, rows - start)
        sex = rng.integers(0, len(SEX), n)
        age = rng.integers(0, len(AGE_BANDS), n)
        region = rng.integers(0, len(REGIONS), n)
        label = rng.random(n) < 0.4
        agree = rng.random(n) < 0.8 + 0.02 * (sex == 1)
        prediction = np.where(agree, label, ~label)

        def text(codes: np.ndarray, values: list[str]) -> pa.Array:
            return pa.DictionaryArray.from_arrays(
                pa.array(codes.astype(np.int8)), pa.array(values)
            ).cast(pa.string())

        table = pa.table(
            {
                "sex": text(sex, SEX),
                "age_band": text(age, AGE_BANDS),
                "region": text(region, REGIONS),
                "label": label.astype(np.int8),
                "prediction": prediction.astype(np.int8),
                "weight": rng.uniform(0.5, 2.0, n),
            }
        )
        pq.write_table(
            table, folder / f"part-{i:05d}.parquet", row_group_size=1 << 20, store_schema=False
        )
    marker.write_text(f"{rows} rows\n")
    return folder


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), required=True)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("/work/bench-data"))
    args = parser.parse_args()
    print(generate(args.out, args.rows, args.files))
