"""Coverage of the DP fairness table's error bars, by simulation.

Each sample draws a dataset from a population with known per-group rates (base rate b_g, TPR
t_g, FPR f_g; selection rate b_g t_g + (1 - b_g) f_g), releases the DP fairness table
(:func:`responsible_ai.privacy.dp.dp_fairness_report`, noise fresh each time) and checks
whether each group's error bar holds the population's rate. The error bars are computed from
the released noisy counts only; they must cover both the sampling error and the DP noise.

Run from the repository root::

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/coverage_dp.py --samples 500
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

from responsible_ai.privacy.dp.fairness import dp_fairness_report

NOMINAL = 0.95
RATES = ("selection_rate", "true_positive_rate", "false_positive_rate")

# (rows, groups, imbalance, epsilon)
GRID: tuple[tuple[int, int, str, float], ...] = (
    (200, 2, "balanced", 1.0),
    (2_000, 4, "imbalanced", 0.1),
    (2_000, 4, "balanced", 1.0),
    (20_000, 10, "imbalanced", 0.5),
    (100_000, 4, "imbalanced", 0.1),
    # equal rates: the hardest case for an extreme (the true gap is 0, the true ratio 1)
    (2_000, 2, "balanced, equal rates", 1.0),
    (20_000, 10, "imbalanced, equal rates", 0.5),
)


def shares(groups: int, imbalance: str) -> np.ndarray:
    if imbalance.startswith("balanced"):
        return np.full(groups, 1 / groups)
    return np.array([0.6] + [0.4 / (groups - 1)] * (groups - 1))


def population(groups: int, equal: bool = False) -> dict[str, np.ndarray]:
    if equal:
        base, tpr, fpr = np.full(groups, 0.3), np.full(groups, 0.7), np.full(groups, 0.1)
        return {
            "base": base,
            "true_positive_rate": tpr,
            "false_positive_rate": fpr,
            "selection_rate": base * tpr + (1 - base) * fpr,
        }
    base = np.linspace(0.2, 0.5, groups)
    tpr = np.linspace(0.6, 0.85, groups)
    fpr = np.linspace(0.05, 0.2, groups)
    return {
        "base": base,
        "true_positive_rate": tpr,
        "false_positive_rate": fpr,
        "selection_rate": base * tpr + (1 - base) * fpr,
    }


def cases(samples: int, seed: int, draws: int = 1000) -> list[dict[str, Any]]:
    """Coverage and median width of each rate's error bar, pooled over groups."""
    out = []
    for rows, k, imbalance, epsilon in GRID:
        rng = np.random.default_rng([seed, rows, k])
        truth = population(k, equal=imbalance.endswith("equal rates"))
        hits: dict[str, list[bool]] = {rate: [] for rate in RATES}
        widths: dict[str, list[float]] = {rate: [] for rate in RATES}
        # the disparities over groups (difference max - min, ratio min / max) of each rate
        spread_hits: dict[tuple[str, str], list[bool]] = {}
        spread_widths: dict[tuple[str, str], list[float]] = {}
        method = ""
        for _ in range(samples):
            codes = rng.choice(k, size=rows, p=shares(k, imbalance))
            y = rng.random(rows) < truth["base"][codes]
            chance = np.where(
                y, truth["true_positive_rate"][codes], truth["false_positive_rate"][codes]
            )
            pred = rng.random(rows) < chance
            table = dp_fairness_report(
                pd.DataFrame({"g": codes}),
                by="g",
                y_pred=pred,
                y_true=y,
                epsilon=epsilon,
                draws=draws,
                random_state=int(rng.integers(2**31 - 1)),
            )
            groups = table.groups.set_index("g")
            for rate in RATES:
                low = groups[f"{rate}_low"].reindex(range(k)).to_numpy()
                high = groups[f"{rate}_high"].reindex(range(k)).to_numpy()
                hits[rate] += list((low <= truth[rate]) & (truth[rate] <= high))
                widths[rate] += list(high - low)
            for row in table.disparities.to_dict(orient="records"):
                rate, method = row["metric"], row["interval_method"]
                top, bottom = truth[rate].max(), truth[rate].min()
                for name, true in (("difference", top - bottom), ("ratio", bottom / top)):
                    key = (rate, name)
                    low, high = row[f"{name}_low"], row[f"{name}_high"]
                    spread_hits.setdefault(key, []).append(bool(low <= true <= high))
                    spread_widths.setdefault(key, []).append(high - low)
        for rate in RATES:
            out.append(
                {
                    "family": "dp",
                    "statistic": f"DP table {rate} per group (eps={epsilon})",
                    "method": "simulation: geometric noise + Jeffreys sampling",
                    "rows": rows,
                    "groups": k,
                    "imbalance": imbalance,
                    "nominal": NOMINAL,
                    "coverage": float(np.mean(hits[rate])),
                    "median_width": float(np.nanmedian(widths[rate])),
                    "samples": samples,
                }
            )
        for (rate, name), found in spread_hits.items():
            out.append(
                {
                    "family": "dp",
                    "statistic": f"DP table {rate} {name} over groups (eps={epsilon})",
                    "method": method,
                    "rows": rows,
                    "groups": k,
                    "imbalance": imbalance,
                    "nominal": NOMINAL,
                    "coverage": float(np.mean(found)),
                    "median_width": float(np.nanmedian(spread_widths[(rate, name)])),
                    "samples": samples,
                }
            )
    return out


def main() -> None:
    from benchmarks.coverage_scores import markdown

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    print(markdown(cases(args.samples, args.seed)))
    print(f"\n{time.perf_counter() - started:.0f} s, seed {args.seed}")


if __name__ == "__main__":
    main()
