"""The NYC LL144 pack on Adult: impact-ratio tables by sex, race and sex x race, 2% exclusions."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from responsible_ai.auditing import audit
from responsible_ai.checker.findings import Finding
from responsible_ai.datasets import load_adult
from responsible_ai.report.model import Report

POLICY = Path(__file__).resolve().parents[2] / "policies" / "nyc-ll144-bias-audit.yaml"


@cache
def adult_screened() -> pd.DataFrame:
    """Adult with a simple screening rule as the tool: decision and score from education."""
    data = load_adult().data
    return data.assign(
        advance=(data["education_num"] >= 13).astype(int),
        score=data["education_num"] + data["hours_per_week"] / 100,
    )


@cache
def report() -> Report:
    return audit(adult_screened(), POLICY, prediction="advance", score="score", positive_label=1)


def finding(check_id: str) -> Finding:
    return next(f for f in report().checks if f.id == check_id)


def test_every_check_produces_a_value() -> None:
    statuses = {f.id: f.status for f in report().checks}
    assert set(statuses) == {
        "selection-impact-ratio[sex]",
        "selection-impact-ratio[race]",
        "selection-impact-ratio-intersectional",
        "scoring-impact-ratio[sex]",
        "scoring-impact-ratio[race]",
        "scoring-impact-ratio-intersectional",
    }
    assert all(status in ("pass", "warn") for status in statuses.values()), statuses


def test_race_table_excludes_categories_under_two_percent_and_lists_them() -> None:
    race = finding("selection-impact-ratio[race]")
    data = adult_screened()
    table = {row["group"]: row for row in race.evidence["impact_ratios"]}
    assert set(table) == set(data["race"].unique())
    for group in ("Amer-Indian-Eskimo", "Other"):  # 0.96% and 0.83% of the rows
        assert table[group]["included"] is False and table[group]["impact_ratio"] is None
        assert table[group]["count"] == int((data["race"] == group).sum())
    assert race.evidence["excluded_groups"] == ["Amer-Indian-Eskimo", "Other"]
    rates = data.groupby("race")["advance"].mean()
    included = rates.drop(["Amer-Indian-Eskimo", "Other"])
    for group, rate in included.items():
        assert table[group]["selection_rate"] == pytest.approx(rate, abs=1e-12)
        assert table[group]["impact_ratio"] == pytest.approx(rate / included.max(), abs=1e-12)
    assert race.value == pytest.approx(included.min() / included.max(), abs=1e-12)


def test_scoring_rate_is_the_share_above_the_median_score() -> None:
    sex = finding("scoring-impact-ratio[sex]")
    data = adult_screened()
    above = data["score"] > data["score"].median()
    rates = above.groupby(data["sex"]).mean()
    table = {row["group"]: row for row in sex.evidence["impact_ratios"]}
    for group, rate in rates.items():
        assert table[group]["scoring_rate"] == pytest.approx(rate, abs=1e-12)
    assert sex.value == pytest.approx(rates.min() / rates.max(), abs=1e-12)


def test_intersectional_table_has_every_category_with_its_count() -> None:
    both = finding("selection-impact-ratio-intersectional")
    counts = adult_screened().groupby(["sex", "race"]).size()
    table = {row["group"]: row["count"] for row in both.evidence["impact_ratios"]}
    assert table == {f"{sex} / {race}": int(n) for (sex, race), n in counts.items()}
    excluded = {e["group"] for e in both.evidence["exclusions"]}
    shares = counts / counts.sum()
    assert excluded == {f"{s} / {r}" for (s, r), share in shares.items() if share < 0.02}
