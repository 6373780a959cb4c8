"""Benchmark: our Mondrian k-anonymization against anjana on Adult (48,842 rows).

Both tools get the same input (missing categories filled with "(missing)"), the same eight
quasi-identifiers, the same k, the same suppression budget (1%) and comparable hierarchies: anjana
climbs full-domain generalization hierarchies (age in 5, 10, 20-year bands then "*"; categories to
groups then "*"); our Mondrian splits along the same category groups and cuts ages anywhere.
Information loss is measured for both by the same function
(:func:`responsible_ai.privacy.information_loss`), from the original values each released
equivalence class spans, which if anything favours anjana's global recoding.

anjana pins old numpy and pandas, so it runs in its own virtual environment, created on first use
(``--venv``, default ``/tmp/anjana-venv``) with ``pip install anjana``.

Run from the repository root::

    PYTHONPATH=. python benchmarks/anonymize.py            # writes benchmarks/results/anonymize.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd

from responsible_ai.datasets import load_adult
from responsible_ai.privacy import MondrianAnonymizer, anonymity_summary, information_loss

QUASI_IDENTIFIERS = [
    "age", "sex", "race", "marital_status", "education", "native_country", "workclass",
    "occupation",
]  # fmt: skip
GROUPS: dict[str, dict[str, list[str]]] = {
    "marital_status": {
        "Married": ["Married-civ-spouse", "Married-AF-spouse", "Married-spouse-absent"],
        "Not married": ["Never-married", "Divorced", "Separated", "Widowed"],
    },
    "education": {
        "Primary": ["Preschool", "1st-4th", "5th-6th"],
        "Secondary": ["7th-8th", "9th", "10th", "11th", "12th", "HS-grad"],
        "Post-secondary": ["Some-college", "Assoc-voc", "Assoc-acdm"],
        "Higher": ["Bachelors", "Masters", "Prof-school", "Doctorate"],
    },
    "workclass": {
        "Private": ["Private"],
        "Self-employed": ["Self-emp-not-inc", "Self-emp-inc"],
        "Government": ["Federal-gov", "State-gov", "Local-gov"],
        "Other": ["Without-pay", "Never-worked", "(missing)"],
    },
    "occupation": {
        "White-collar": ["Prof-specialty", "Exec-managerial", "Adm-clerical", "Sales",
                         "Tech-support"],
        "Blue-collar": ["Craft-repair", "Machine-op-inspct", "Transport-moving",
                        "Handlers-cleaners", "Farming-fishing"],
        "Service": ["Other-service", "Protective-serv", "Priv-house-serv", "Armed-Forces"],
        "Other": ["(missing)"],
    },
    "race": {
        "White": ["White"],
        "Non-white": ["Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
    },
    "sex": {"Female": ["Female"], "Male": ["Male"]},
}  # fmt: skip
ANJANA_RUNNER = textwrap.dedent(
    """
    import json, sys, time
    import pandas as pd
    from anjana.anonymity import k_anonymity
    data = pd.read_csv(sys.argv[1], dtype={"row_id": int}, keep_default_na=False)
    spec = json.load(open(sys.argv[2]))
    hierarchies = {
        qi: {int(level): pd.Series(values) for level, values in levels.items()}
        for qi, levels in spec["hierarchies"].items()
    }
    for qi in spec["numeric"]:
        hierarchies[qi][0] = hierarchies[qi][0].astype(int)
    started = time.perf_counter()
    out = k_anonymity(data, [], spec["quasi_identifiers"], spec["k"], spec["supp_level"],
                      hierarchies)
    seconds = time.perf_counter() - started
    out.to_csv(sys.argv[3], index=False)
    json.dump({"seconds": seconds}, open(sys.argv[4], "w"))
    """
)


def prepared_adult() -> pd.DataFrame:
    """Adult with missing categories as "(missing)" and a row id to align outputs."""
    frame = load_adult().data[[*QUASI_IDENTIFIERS, "income"]].copy()
    for column in QUASI_IDENTIFIERS[1:]:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "(missing)")
    frame["row_id"] = range(len(frame))
    return frame


def anjana_hierarchies(frame: pd.DataFrame) -> dict[str, dict[int, list]]:
    """Full-domain hierarchies: one list per level, aligned on the distinct original values."""
    hierarchies: dict[str, dict[int, list]] = {}
    ages = sorted(int(a) for a in frame["age"].unique())

    def band(age: int, width: int) -> str:
        low = age // width * width
        return f"[{low}, {low + width})"

    hierarchies["age"] = {
        0: ages,
        1: [band(a, 5) for a in ages],
        2: [band(a, 10) for a in ages],
        3: [band(a, 20) for a in ages],
        4: ["*"] * len(ages),
    }
    for column in QUASI_IDENTIFIERS[1:]:
        values = sorted(str(v) for v in frame[column].unique())
        group_of = {v: g for g, members in GROUPS.get(column, {}).items() for v in members}
        levels: dict[int, list] = {0: values}
        if column == "native_country":
            group_of = {v: ("United-States" if v == "United-States" else "Other") for v in values}
        if group_of:
            levels[1] = [group_of.get(v, "Other") for v in values]
        levels[len(levels)] = ["*"] * len(values)
        hierarchies[column] = levels
    return hierarchies


def ensure_anjana(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    check = subprocess.run([str(python), "-c", "import anjana"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "anjana==1.2.3"], check=True)
    return python


def run_anjana(
    python: Path, frame: pd.DataFrame, k: int, workdir: Path
) -> tuple[float, pd.DataFrame]:
    data, spec_file = workdir / "adult.csv", workdir / "spec.json"
    out, timing = workdir / f"anjana-{k}.csv", workdir / f"anjana-{k}.json"
    frame.to_csv(data, index=False)
    spec = {
        "quasi_identifiers": QUASI_IDENTIFIERS,
        "k": k,
        "supp_level": 1,
        "numeric": ["age"],
        "hierarchies": {
            qi: {str(level): values for level, values in levels.items()}
            for qi, levels in anjana_hierarchies(frame).items()
        },
    }
    spec_file.write_text(json.dumps(spec))
    runner = workdir / "run_anjana.py"
    runner.write_text(ANJANA_RUNNER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(
        [str(python), str(runner), str(data), str(spec_file), str(out), str(timing)],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = json.loads(timing.read_text())["seconds"]
    released = pd.read_csv(out, keep_default_na=False).set_index("row_id")
    return seconds, released


def run_ours(frame: pd.DataFrame, k: int, repeats: int) -> tuple[float, float, pd.DataFrame]:
    hierarchies = {c: g for c, g in GROUPS.items() if c != "sex"}
    times, released = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        model = MondrianAnonymizer(QUASI_IDENTIFIERS, k=k, max_suppression=0.01,
                                   hierarchies=hierarchies)  # fmt: skip
        released = model.fit_transform(frame)
        times.append(time.perf_counter() - started)
    assert released is not None
    print(f"Mondrian k={k}: runs {', '.join(f'{t:.2f}' for t in times)} s", file=sys.stderr)
    return statistics.median(times), min(times), released.set_index("row_id")


def measure(name: str, k: int, seconds: float, original: pd.DataFrame, released: pd.DataFrame):
    loss = information_loss(original, released, QUASI_IDENTIFIERS)
    summary = anonymity_summary(released.astype(str), QUASI_IDENTIFIERS)
    return {
        "tool": name, "k": k, "seconds": seconds, "k_recounted": summary["k"],
        "classes": summary["classes"], "suppressed_share": loss["suppressed_share"],
        "ncp": loss["ncp"], "discernibility": loss["discernibility"],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv", default="/tmp/anjana-venv", type=Path)
    parser.add_argument("--ks", default="5,10")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", default="benchmarks/results/anonymize.md", type=Path)
    args = parser.parse_args()
    frame = prepared_adult()
    original = frame.set_index("row_id")
    python = ensure_anjana(args.venv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(v) for v in args.ks.split(",")]:
            seconds, fastest, released = run_ours(frame, k, args.repeats)
            rows.append(measure("responsible-ai Mondrian", k, seconds, original, released))
            rows[-1]["fastest"] = fastest
            seconds, released = run_anjana(python, frame, k, Path(tmp))
            rows.append(measure("anjana 1.2.3", k, seconds, original, released))
            for row in rows[-2:]:
                print(json.dumps(row))
    write_results(rows, args.output, args.repeats)
    return 0


def write_results(rows: list[dict], path: Path, repeats: int) -> None:
    lines = [
        "# Anonymization benchmark: Mondrian vs anjana on Adult",
        "",
        f"Adult, {48842:,} rows; quasi-identifiers {', '.join(QUASI_IDENTIFIERS)}; suppression "
        "budget 1% for both. Both sides were measured in the same run. Our time is the median "
        f"of {repeats} runs of `MondrianAnonymizer.fit_transform` (fastest in brackets); "
        "anjana's is one run of "
        "`anjana.anonymity.k_anonymity` (inside its own virtualenv, data already loaded). "
        "NCP (normalized certainty penalty, 0 = no loss, 1 = all lost; suppressed records count "
        "1) and discernibility (sum of squared class sizes + suppressed x rows; lower is better) "
        "are computed for both by `responsible_ai.privacy.information_loss` from the original "
        "values each released class spans. k is recounted independently (`anonymity_summary`) "
        "on each released table. Hierarchies: anjana climbs age bands of 5, 10, 20 years then "
        "`*`, and for categories the same groups our Mondrian uses (native_country: "
        "United-States / Other), then `*`.",
        "",
        "| tool | k | time (s) | k recounted | classes | suppressed | NCP | discernibility |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tool']} | {r['k']} | {r['seconds']:.2f}"
            + (f" ({r['fastest']:.2f})" if "fastest" in r else "")
            + f" | {r['k_recounted']} | "
            f"{r['classes']} | {r['suppressed_share']:.2%} | {r['ncp']:.4f} | "
            f"{r['discernibility']:.3g} |"
        )
    lines += [
        "",
        "Reproduce: `PYTHONPATH=. python benchmarks/anonymize.py` (creates `/tmp/anjana-venv` "
        "and installs anjana there on first use).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' "
        "jobs while measuring, so times are noisy; Python "
        f"{platform.python_version()}, pandas {pd.__version__}.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
