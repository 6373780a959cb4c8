"""Benchmark: how long ``rai`` commands take against bare imports of the libraries they need.

Every figure is the wall time of a fresh process, so it includes Python's start-up and every
import, as a CI job or a terminal user sees it. The commands run round-robin (one of each per
round, ``--repeat`` rounds), so a change in the machine's load hits both sides of a comparison
alike; the table gives the median, min and max of the wall time, the median CPU time (user +
system: less sensitive to other jobs on a shared machine), and the ratios of the medians.

Comparisons:

* ``rai check`` of the German credit sample with its reference model (``.skops``) and the lending
  policy (fairness and explanation checks) against ``python -c "import numpy, pandas, scipy.stats,
  sklearn, skops.io, shap, pydantic.main, yaml"``: the libraries that audit cannot do without;
* the same data and model with the fairness-only ``eeoc-four-fifths`` pack, against the same
  imports without shap (that audit must not import shap at all);
* ``rai policy validate`` against ``import pydantic.main, yaml``; ``rai --help`` against ``python -c
  pass``.

With ``--before PATH`` the ``rai`` commands also run from another checkout (for example a
worktree of main), in the same rounds.

Python caches compiled bytecode (``.pyc``) as an installed package would, in a temporary
``PYTHONPYCACHEPREFIX``, after one warm-up round; ``--no-bytecode`` compiles every module on every
run instead (what ``PYTHONDONTWRITEBYTECODE=1`` does to a checkout).

Run from the repository root::

    PYTHONPATH=. python benchmarks/cli.py --repeat 7 [--before ../main]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GERMAN = ROOT / "sample_data" / "german_credit.csv"
LENDING = ROOT / "policies" / "german-credit-lending.yaml"
FOUR_FIFTHS = ROOT / "policies" / "eeoc-four-fifths.yaml"
CHECK_LIBRARIES = "numpy, pandas, scipy.stats, sklearn, skops.io, shap, pydantic.main, yaml"
FAIRNESS_LIBRARIES = "numpy, pandas, scipy.stats, sklearn, skops.io, pydantic.main, yaml"


def _rai(checkout: Path, *arguments: str) -> tuple[Path | None, list[str]]:
    return checkout, [sys.executable, "-m", "responsible_ai.cli", *arguments]


def _bare(statement: str) -> tuple[Path | None, list[str]]:
    return None, [sys.executable, "-c", statement]


def commands(model: Path, checkouts: dict[str, Path]) -> dict[str, tuple[Path | None, list[str]]]:
    """Every timed command by its row name: (checkout whose ``responsible_ai`` runs, argv)."""
    table: dict[str, tuple[Path | None, list[str]]] = {
        "bare imports: " + CHECK_LIBRARIES: _bare(f"import {CHECK_LIBRARIES}"),
        "bare imports: the same without shap": _bare(f"import {FAIRNESS_LIBRARIES}"),
        "bare imports: pydantic.main, yaml": _bare("import pydantic.main, yaml"),
        "bare python (python -c pass)": _bare("pass"),
    }
    fairness = ["--target", "credit", "--positive-label", "good", "--sensitive", "sex,age_group"]
    for side, checkout in checkouts.items():
        table[f"rai check, lending policy ({side})"] = _rai(
            checkout, "check", str(GERMAN), "--policy", str(LENDING), "--model", str(model)
        )
        table[f"rai check, fairness only ({side})"] = _rai(
            checkout,
            "check",
            str(GERMAN),
            "--policy",
            str(FOUR_FIFTHS),
            "--model",
            str(model),
            *fairness,
        )
        table[f"rai policy validate ({side})"] = _rai(checkout, "policy", "validate", str(LENDING))
        table[f"rai --help ({side})"] = _rai(checkout, "--help")
    return table


def _environment(checkout: Path | None, cache: Path | None) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)  # mirrors absolute paths: one for all
    return env


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(checkout: Path | None, argv: list[str], cache: Path | None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``."""
    cpu = _cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=_environment(checkout, cache),
        cwd=checkout or ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1 is a failing verdict: the German model fails
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed, _cpu_of_children() - cpu


def measure(
    repeat: int, before: Path | None, bytecode: bool
) -> dict[str, list[tuple[float, float]]]:
    checkouts = {"this checkout": ROOT}
    if before is not None:
        checkouts["before"] = before.resolve()
    with tempfile.TemporaryDirectory() as directory:
        made = subprocess.run(
            [*_rai(ROOT, "reference-models", "--dataset", "german_credit", "--out", directory)[1]],
            env=_environment(ROOT, None),
            capture_output=True,
            check=True,
        )
        model = Path(made.stdout.decode().split("wrote ", 1)[1].strip())
        cache = Path(directory) / "pycache" if bytecode else None
        table = commands(model, checkouts)
        for checkout, argv in table.values():  # warm-up: bytecode cache, file system cache
            _time(checkout, argv, cache)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
        for _ in range(repeat):
            for name, (checkout, argv) in table.items():
                times[name].append(_time(checkout, argv, cache))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, metavar="PATH", help="another checkout to time")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module each run")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    times = measure(args.repeat, args.before, not args.no_bytecode)
    load_after = os.getloadavg()[0]
    walls = {name: [wall for wall, _ in runs] for name, runs in times.items()}
    cpus = {name: [cpu for _, cpu in runs] for name, runs in times.items()}
    wall_medians = {name: statistics.median(values) for name, values in walls.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    print("| command | wall median (s) | wall min (s) | wall max (s) | CPU median (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, values in walls.items():
        print(
            f"| {name} | {wall_medians[name]:.2f} | {min(values):.2f} | {max(values):.2f} "
            f"| {cpu_medians[name]:.2f} |"
        )
    print()
    pairs = [
        ("rai check, lending policy", "bare imports: " + CHECK_LIBRARIES),
        # Linear SHAP no longer needs shap: the libraries this audit now needs.
        ("rai check, lending policy", "bare imports: the same without shap"),
        ("rai check, fairness only", "bare imports: the same without shap"),
        ("rai policy validate", "bare imports: pydantic.main, yaml"),
        ("rai --help", "bare python (python -c pass)"),
    ]
    print("| ratio of medians (wall; CPU) | this checkout | before |")
    print("|---|---:|---:|")
    for command, bare in pairs:
        cells = []
        for side in ("this checkout", "before"):
            name = f"{command} ({side})"
            if name not in walls:
                cells.append("-")
                continue
            wall = wall_medians[name] / wall_medians[bare]
            cells.append(f"{wall:.2f}x; {cpu_medians[name] / cpu_medians[bare]:.2f}x")
        print(f"| {command} / {bare} | {cells[0]} | {cells[1]} |")
    print(f"\n{args.repeat} rounds; load average {load_before:.1f} before, {load_after:.1f} after")


if __name__ == "__main__":
    main()
