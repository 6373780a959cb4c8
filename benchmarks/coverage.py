"""Coverage of the fairness intervals, measured by simulation from known populations.

Each case is a population whose per-group rates are set, so the population value of every
statistic is known exactly. Samples are drawn as counts (group sizes from a multinomial,
outcomes from binomials), so a million rows costs what 200 rows cost, and each sample goes
through the engine's own interval code (``responsible_ai.fairness.intervals.bootstrap_intervals``,
which ``audit()`` calls on the same counts; tests/fairness/test_fairness_coverage.py proves it).

A row of the table is a dict (shared with ``benchmarks/coverage_scores.py`` and
``benchmarks/coverage_dp.py``, whose ``cases(samples, seed)`` this script also runs when they
exist)::

    {"family": str, "statistic": str, "method": str, "rows": int, "groups": int,
     "imbalance": str, "nominal": 0.95, "coverage": float, "median_width": float,
     "samples": int}

optionally with ``"population"`` (a few words) and ``"pass_rate"`` (decision rows: the share of
samples called ``pass`` although the population violates the threshold).

Usage: ``PYTHONPATH=. python benchmarks/coverage.py [--samples 1000] [--quick] [--output FILE]``
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from responsible_ai.fairness.catalog import DISPARITIES
from responsible_ai.fairness.groups import GroupCounts
from responsible_ai.fairness.intervals import bootstrap_intervals
from responsible_ai.fairness.options import Options
from responsible_ai.fairness.rates import compare, group_rate

NOMINAL = 0.95
ROW_KEYS = (
    "family",
    "statistic",
    "method",
    "rows",
    "groups",
    "imbalance",
    "nominal",
    "coverage",
    "median_width",
    "samples",
)


@dataclass(frozen=True)
class Population:
    """Groups with known shares, rates and (optionally) per-cell weights.

    Without ``tpr`` the rates are selection rates (cells ``pn, pp``); with it, ``rates`` are
    base rates and ``tpr``/``fpr`` give the model (cells ``tn, fn, fp, tp``).
    """

    shares: np.ndarray
    rates: np.ndarray
    tpr: np.ndarray | None = None
    fpr: np.ndarray | None = None
    # weight of a row by (group, cell): post-stratification weights, constant within a cell
    cell_weights: np.ndarray | None = None

    @property
    def has_target(self) -> bool:
        return self.tpr is not None

    def expected_cells(self) -> np.ndarray:
        """Population share of each (group, cell), rows summing to the group share."""
        s = self.shares[:, None]
        if self.tpr is None:
            return s * np.column_stack([1 - self.rates, self.rates])
        assert self.fpr is not None
        pos, neg = self.rates, 1 - self.rates
        tn, fp = neg * (1 - self.fpr), neg * self.fpr
        fn, tp = pos * (1 - self.tpr), pos * self.tpr
        return s * np.column_stack([tn, fn, fp, tp])

    def true_cells(self) -> dict[str, np.ndarray]:
        from responsible_ai.fairness.groups import derive_cells

        cells = self.expected_cells()
        if self.cell_weights is not None:
            cells = cells * self.cell_weights
        return derive_cells(cells, self.has_target)

    def draw(self, rows: int, rng: np.random.Generator) -> GroupCounts:
        sizes = rng.multinomial(rows, self.shares)
        within = self.expected_cells() / self.shares[:, None]
        counts = np.array([rng.multinomial(n, p) for n, p in zip(sizes, within, strict=True)])
        weights = counts if self.cell_weights is None else counts * self.cell_weights
        groups = [(f"g{i:02d}",) for i in range(len(self.shares))]
        return GroupCounts(("g",), groups, counts, weights.astype(float), self.has_target)


def shares_of(groups: int, imbalance: str) -> np.ndarray:
    if imbalance == "balanced":
        return np.full(groups, 1.0 / groups)
    # one majority group with 60% of the rows, the others sharing the rest geometrically, the
    # smallest a tenth of the largest of them
    rest = 0.1 ** (np.arange(groups - 1) / max(groups - 2, 1))
    return np.concatenate([[0.6], 0.4 * rest / rest.sum()]) if groups > 1 else np.ones(1)


def options(n_boot: int = 1000, method: str = "between_groups") -> Options:
    return Options(
        method=method,
        min_group_size=1,
        min_group_share=0.0,
        reference_group=None,
        n_boot=n_boot,
        confidence=NOMINAL,
        correction="holm",
        n_bins=10,
    )


def engine_intervals(
    counts: GroupCounts,
    metric: str,
    seed: int,
    opts: Options | None = None,
    check_id: str = "coverage",
) -> dict[str, Any]:
    """The interval of the check's value and of each group, as ``audit()`` computes them for a
    check ``check_id`` by ``g`` audited with ``seed``."""
    opts = opts or options()
    disparity = DISPARITIES[metric]
    usable_of = {}
    for name in disparity.group_metrics:
        rates = group_rate(counts.cells, name)
        usable_of[name] = (counts.group_rows >= opts.min_group_size) & ~np.isnan(rates)
    context = SimpleNamespace(seed=seed)
    check = SimpleNamespace(id=check_id)
    return bootstrap_intervals(
        context,  # type: ignore[arg-type]
        check,  # type: ignore[arg-type]
        ["g"],
        counts,
        disparity,
        opts,
        usable_of,
        None,
        None,
    )


def true_value(population: Population, metric: str, method: str = "between_groups") -> float:
    disparity = DISPARITIES[metric]
    cells = population.true_cells()
    overall = {name: values.sum(keepdims=True) for name, values in cells.items()}
    values = [
        float(
            compare(
                group_rate(cells, name),
                disparity.comparison,
                method,
                group_rate(overall, name)[0],
            )
        )
        for name in disparity.group_metrics
    ]
    return max(values) if disparity.comparison in ("difference", "group_max") else min(values)


def run_case(
    population: Population,
    metric: str,
    rows: int,
    samples: int,
    seed: int,
    threshold: tuple[str, float] | None = None,
    opts: Options | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Coverage and median width of the check's interval and of the group-rate intervals."""
    rng = np.random.default_rng(seed)
    disparity = DISPARITIES[metric]
    name = disparity.group_metrics[0]
    opts = opts or options()
    truth = true_value(population, metric, opts.method)
    true_rates = group_rate(population.true_cells(), name)
    hits = 0
    width_list, group_widths = [], []
    group_hits = group_total = 0
    passes = 0
    method = group_method = ""
    for s in range(samples):
        counts = population.draw(rows, rng)
        found = engine_intervals(counts, metric, seed=s, opts=opts)
        interval = found["interval"]
        if interval is not None:
            low, high = interval["low"], interval["high"]
            hits += low <= truth + 1e-12 and truth - 1e-12 <= high
            width_list.append(high - low)
            method = str(interval.get("method", ""))
            if threshold is not None:
                operator, bound = threshold
                passes += low >= bound if operator == ">=" else high <= bound
        for label, bounds in found["groups"][name].items():
            g = int(label[1:])
            group_total += 1
            if bounds is not None:
                group_hits += bounds[0] <= true_rates[g] <= bounds[1]
                group_widths.append(bounds[1] - bounds[0])
        group_method = str(found.get("group_method", method))
    base = {
        "family": "fairness",
        "rows": rows,
        "groups": len(population.shares),
        "nominal": NOMINAL,
        "samples": samples,
    }
    check_row = base | {
        "statistic": metric.removeprefix("fairness."),
        "method": method,
        "coverage": hits / samples,
        "median_width": float(np.median(width_list)) if width_list else math.nan,
    }
    if threshold is not None:
        check_row["pass_rate"] = passes / samples
        check_row["population"] = f"true {truth:.3f}, must {threshold[0]} {threshold[1]}"
    group_row = base | {
        "statistic": f"{name} (each group)",
        "method": group_method,
        "coverage": group_hits / max(group_total, 1),
        "median_width": float(np.median(group_widths)) if group_widths else math.nan,
    }
    return check_row, group_row


def spread_rates(groups: int, low: float = 0.25, high: float = 0.40) -> np.ndarray:
    return np.linspace(low, high, groups) if groups > 1 else np.array([low])


def grid(quick: bool) -> list[dict[str, Any]]:
    """The cases: (population, metric, rows, label words)."""
    rows_list = [200, 2_000, 20_000, 1_000_000] if not quick else [200, 2_000, 1_000_000]
    group_list = [2, 4, 10, 60] if not quick else [2, 4, 60]
    cases = []
    for groups in group_list:
        for imbalance in ("balanced", "imbalanced"):
            shares = shares_of(groups, imbalance)
            for rows in rows_list:
                if rows * shares.min() < 10:  # a group expected below 10 rows: see small cells
                    continue
                for shape in ("equal", "spread"):
                    rates = np.full(groups, 0.3) if shape == "equal" else spread_rates(groups)
                    population = Population(shares, rates)
                    for metric in (
                        "fairness.demographic_parity_difference",
                        "fairness.selection_rate_ratio",
                    ):
                        cases.append(
                            {
                                "population": population,
                                "metric": metric,
                                "rows": rows,
                                "imbalance": imbalance,
                                "words": f"{shape} rates",
                            }
                        )
    # equal opportunity: true positive rates over 4 groups, base rate 0.3
    for rows in rows_list:
        for imbalance in ("balanced", "imbalanced"):
            shares = shares_of(4, imbalance)
            if rows * shares.min() * 0.3 < 5:
                continue
            population = Population(
                shares, np.full(4, 0.3), tpr=np.array([0.6, 0.7, 0.7, 0.75]), fpr=np.full(4, 0.1)
            )
            cases.append(
                {
                    "population": population,
                    "metric": "fairness.equal_opportunity_difference",
                    "rows": rows,
                    "imbalance": imbalance,
                    "words": "TPR 0.60-0.75",
                }
            )
    # intersectional: 3 x 8 = 24 groups, several cells of 8 to 20 rows
    shares = np.concatenate([np.full(12, 0.06), np.full(12, 0.02)])
    shares = shares / shares.sum()
    for rows in (600, 2_000):
        population = Population(shares, spread_rates(24, 0.2, 0.45))
        for metric in ("fairness.demographic_parity_difference", "fairness.selection_rate_ratio"):
            cases.append(
                {
                    "population": population,
                    "metric": metric,
                    "rows": rows,
                    "imbalance": "intersectional 24 cells",
                    "words": "small cells",
                }
            )
    # weighted: post-stratification weights by group and decision (1 to 4)
    for groups in (2, 10):
        weights = np.column_stack([np.linspace(1.0, 4.0, groups), np.linspace(4.0, 1.0, groups)])
        for rows in (2_000, 20_000):
            population = Population(
                shares_of(groups, "balanced"), spread_rates(groups), None, None, weights
            )
            for metric in (
                "fairness.demographic_parity_difference",
                "fairness.selection_rate_ratio",
            ):
                cases.append(
                    {
                        "population": population,
                        "metric": metric,
                        "rows": rows,
                        "imbalance": "weighted",
                        "words": "weights 1-4",
                    }
                )
    return cases


def decision_grid() -> list[dict[str, Any]]:
    """Populations just past the threshold: any ``pass`` under ``decide_on: interval`` is wrong."""
    cases = []
    for groups in (2, 4, 10):
        shares = shares_of(groups, "balanced")
        # ratio: the lowest group at 0.78 of the highest (four-fifths rule violated by 0.02)
        ratio_rates = np.concatenate([[0.39], np.full(groups - 1, 0.5)])
        # difference: the largest gap 0.11 (must <= 0.1 violated by 0.01)
        diff_rates = np.concatenate([[0.39], np.full(groups - 1, 0.5)])
        for rows in (2_000, 20_000, 200_000):
            cases.append(
                {
                    "population": Population(shares, ratio_rates),
                    "metric": "fairness.selection_rate_ratio",
                    "rows": rows,
                    "imbalance": "balanced",
                    "threshold": (">=", 0.8),
                }
            )
            cases.append(
                {
                    "population": Population(shares, diff_rates),
                    "metric": "fairness.demographic_parity_difference",
                    "rows": rows,
                    "imbalance": "balanced",
                    "threshold": ("<=", 0.1),
                }
            )
    return cases


def cases(samples: int, seed: int, quick: bool = False) -> list[dict[str, Any]]:
    """Rows of the coverage table for the group fairness statistics (and decision rows)."""
    rows: list[dict[str, Any]] = []
    seen_groups: set[tuple[int, int, str, str]] = set()
    for i, case in enumerate(grid(quick)):
        check_row, group_row = run_case(
            case["population"], case["metric"], case["rows"], samples, seed + i
        )
        for row in (check_row, group_row):
            row["imbalance"] = case["imbalance"]
            row["population"] = case["words"]
        rows.append(check_row)
        key = (group_row["rows"], group_row["groups"], case["imbalance"], case["words"])
        if key not in seen_groups:  # the group rates of a population are the same for each metric
            seen_groups.add(key)
            rows.append(group_row)
    for i, case in enumerate(decision_grid()):
        check_row, _ = run_case(
            case["population"],
            case["metric"],
            case["rows"],
            samples,
            seed + 10_000 + i,
            threshold=case["threshold"],
        )
        check_row["imbalance"] = case["imbalance"]
        rows.append(check_row)
    return rows


def speed(groups: int = 60, rows: int = 100_000, repeat: int = 5) -> float:
    """Seconds for one check's intervals (1,000 replicates) over ``groups`` groups."""
    population = Population(shares_of(groups, "balanced"), spread_rates(groups))
    counts = population.draw(rows, np.random.default_rng(0))
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        engine_intervals(counts, "fairness.selection_rate_ratio", seed=0)
        best = min(best, time.perf_counter() - start)
    return best


def markdown(rows: list[dict[str, Any]]) -> str:
    coverage_rows = [r for r in rows if "pass_rate" not in r]
    decision_rows = [r for r in rows if "pass_rate" in r]
    lines = [
        "| family | statistic | method | population | imbalance | groups | rows | nominal | "
        "coverage | median width | samples |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in coverage_rows:
        flag = " **(< 93%)**" if r["coverage"] < 0.93 else ""
        lines.append(
            f"| {r['family']} | {r['statistic']} | {r['method']} | {r.get('population', '')} | "
            f"{r['imbalance']} | {r['groups']} | {r['rows']:,} | {r['nominal']:.0%} | "
            f"{r['coverage']:.1%}{flag} | {r['median_width']:.4f} | {r['samples']} |"
        )
    if decision_rows:
        lines += [
            "",
            "Decisions under `decide_on: interval` on populations just past the threshold "
            "(a `pass` is wrong; the bound is 2.5%):",
            "",
            "| statistic | method | population | groups | rows | wrongly passed | coverage | "
            "median width | samples |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in decision_rows:
            lines.append(
                f"| {r['statistic']} | {r['method']} | {r['population']} | {r['groups']} | "
                f"{r['rows']:,} | {r['pass_rate']:.1%} | {r['coverage']:.1%} | "
                f"{r['median_width']:.4f} | {r['samples']} |"
            )
    return "\n".join(lines) + "\n"


def collect(samples: int, seed: int, quick: bool) -> list[dict[str, Any]]:
    rows = cases(samples, seed, quick)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for module_name in ("coverage_scores", "coverage_dp"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        rows += module.cases(samples, seed)
    for row in rows:
        missing = [key for key in ROW_KEYS if key not in row]
        if missing:
            raise ValueError(f"a coverage row lacks {missing}: {row}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--output", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = collect(args.samples, args.seed, args.quick)
    elapsed = time.perf_counter() - start
    table = markdown(rows)
    seconds = speed()
    footer = (
        f"\n{len(rows)} rows in {elapsed:.0f} s; one check's intervals over 60 groups "
        f"(1,000 replicates): {seconds * 1000:.1f} ms.\n"
    )
    print(table + footer)
    if args.output is not None:
        from responsible_ai._atomic import guard_output, write_output

        guard_output(args.output, [])
        write_output(args.output, table + footer, inputs=[])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
