"""The fairness intervals cover what they claim: a fast, seeded run of benchmarks/coverage.py.

Coverage is asserted against its one-sided binomial lower bound at the nominal 95%, and under
``decide_on: interval`` a population just past the threshold is called ``pass`` at most
(1 - 0.95) / 2 of the time (plus the same tolerance), so a regression in an interval method fails.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.fairness.groups import count_groups

SAMPLES = 300
NOMINAL = 0.95


def _harness() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage.py"
    spec = importlib.util.spec_from_file_location("coverage_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while it is executed
    spec.loader.exec_module(module)
    return module


H = _harness()


def _lowest_coverage(samples: int) -> float:
    return NOMINAL - 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / samples)


def _population(groups: int, shape: str, imbalance: str = "balanced", weights: bool = False):  # type: ignore[no-untyped-def]
    rates = np.full(groups, 0.3) if shape == "equal" else H.spread_rates(groups)
    cell_weights = (
        np.column_stack([np.linspace(1, 4, groups), np.linspace(4, 1, groups)]) if weights else None
    )
    return H.Population(H.shares_of(groups, imbalance), rates, None, None, cell_weights)


CASES = [
    # (metric, population, rows)
    ("fairness.demographic_parity_difference", _population(4, "equal"), 1_500),
    ("fairness.demographic_parity_difference", _population(10, "spread", "imbalanced"), 20_000),
    ("fairness.selection_rate_ratio", _population(4, "equal"), 1_500),
    ("fairness.selection_rate_ratio", _population(2, "spread"), 300),
    ("fairness.demographic_parity_difference", _population(4, "spread", weights=True), 4_000),
    ("fairness.selection_rate_ratio", _population(4, "spread", weights=True), 4_000),
]


@pytest.mark.parametrize(("metric", "population", "rows"), CASES)
def test_intervals_cover_the_population_value(metric: str, population: object, rows: int) -> None:
    check, groups = H.run_case(population, metric, rows, SAMPLES, seed=101)
    assert check["coverage"] >= _lowest_coverage(SAMPLES), check
    assert groups["coverage"] >= _lowest_coverage(SAMPLES * len(population.shares)), groups  # type: ignore[attr-defined]
    assert check["method"] in ("max-t-simultaneous", "agresti-caffo", "katz-log")
    assert groups["method"] == "wilson"


@pytest.mark.parametrize(
    "metric",
    [
        "fairness.selection_rate_difference",
        "fairness.selection_rate_ratio",
        "fairness.equalized_odds_difference",
    ],
)
def test_intervals_against_the_overall_rate_cover_it(metric: str) -> None:
    population = H.Population(
        H.shares_of(4, "imbalanced"),
        np.full(4, 0.3),
        tpr=np.array([0.6, 0.7, 0.7, 0.75]),
        fpr=np.array([0.1, 0.1, 0.15, 0.1]),
    )
    opts = H.options(method="to_overall")
    check, _ = H.run_case(population, metric, 5_000, SAMPLES // 2, seed=3, opts=opts)
    assert check["coverage"] >= _lowest_coverage(SAMPLES // 2), check


def test_the_percentile_bootstrap_of_the_largest_gap_would_fail_this_test() -> None:
    # The test can fail: the sample's largest gap of four equal groups lies above the true 0
    # far more than 2.5% of the time, so an interval centred on it misses.
    population = _population(4, "equal")
    rng = np.random.default_rng(5)
    gaps = [float(np.ptp(population.draw(1_500, rng).cells["pp"] / 375)) for _ in range(SAMPLES)]
    assert np.mean(np.array(gaps) > 0) > 0.9


@pytest.mark.parametrize(
    ("metric", "rates", "threshold"),
    [
        ("fairness.selection_rate_ratio", [0.39, 0.5, 0.5, 0.5], (">=", 0.8)),
        ("fairness.demographic_parity_difference", [0.39, 0.5, 0.5, 0.5], ("<=", 0.1)),
    ],
)
def test_a_violating_population_is_rarely_called_pass(
    metric: str, rates: list[float], threshold: tuple[str, float]
) -> None:
    population = H.Population(H.shares_of(4, "balanced"), np.array(rates))
    check, _ = H.run_case(population, metric, 20_000, SAMPLES, seed=7, threshold=threshold)
    bound = 0.025 + 3 * math.sqrt(0.025 * 0.975 / SAMPLES)
    assert check["pass_rate"] <= bound, check


def test_the_harness_computes_what_audit_reports() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 900), "p": rng.random(900) < 0.4})
    policy = {
        "name": "coverage",
        "version": "1",
        "data": {"prediction": "p", "positive_label": True, "sensitive": ["g"]},
        "checks": [
            {"id": "ratio", "metric": "fairness.selection_rate_ratio", "must": ">= 0.8"},
        ],
    }
    finding = audit(frame, policy, seed=11).checks[0]
    counts = count_groups(frame, ["g"], frame["p"].to_numpy())
    found = H.engine_intervals(counts, "fairness.selection_rate_ratio", seed=11, check_id="ratio")
    assert finding.interval == found["interval"]
    assert finding.interval["method"] == "max-t-simultaneous"
    assert finding.evidence["group_intervals"] == found["groups"]
