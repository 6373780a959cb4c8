"""privacy.epsilon_spent and privacy.epsilon_remaining in `rai check` / audit()."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from responsible_ai import audit
from responsible_ai.privacy.dp import BudgetLedger, Operation
from responsible_ai.privacy.dp.checks import NO_BUDGET_SET, NO_DATASET_NAMED

FRAME = pd.DataFrame({"age": [30, 40, 50]})


def policy(ledger: Path, budget: float | None = 1.0) -> dict:
    return {
        "name": "budget",
        "privacy": {"epsilon_budget": budget, "ledger": str(ledger)},
        "release": {"dataset": "adult"},
        "checks": [
            {"id": "remaining", "metric": "privacy.epsilon_remaining", "must": "> 0"},
            {"id": "spent", "metric": "privacy.epsilon_spent", "must": "<= 1.0"},
        ],
    }


def test_checks_follow_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    BudgetLedger(str(path)).register("adult", 1.0)
    report = audit(FRAME, policy(path))
    assert {f.id: (f.status, f.value) for f in report.checks} == {
        "remaining": ("pass", 1.0),
        "spent": ("pass", 0.0),
    }
    BudgetLedger(str(path)).charge("adult", [Operation("count()", "Geometric", 1.0)], budget=1.0)
    report = audit(FRAME, policy(path))
    statuses = {f.id: f.status for f in report.checks}
    assert statuses == {"remaining": "fail", "spent": "pass"}
    assert report.checks[0].evidence["operations"] == 1


def test_no_budget_is_an_error_not_a_pass(tmp_path: Path) -> None:
    report = audit(FRAME, policy(tmp_path / "ledger.sqlite", budget=None))
    remaining = next(f for f in report.checks if f.id == "remaining")
    assert remaining.status == "error"
    assert remaining.message == NO_BUDGET_SET.format(dataset="adult")
    assert report.verdict == "fail"


def test_the_registered_cap_holds_over_a_larger_policy_budget(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    BudgetLedger(str(path)).register("adult", 1.0)
    BudgetLedger(str(path)).charge("adult", [Operation("count()", "Geometric", 1.0)])
    report = audit(FRAME, policy(path, budget=50.0))
    remaining = next(f for f in report.checks if f.id == "remaining")
    assert (remaining.status, remaining.value) == ("fail", 0.0)


def test_no_dataset_named_is_an_error(tmp_path: Path) -> None:
    unnamed = policy(tmp_path / "ledger.sqlite") | {"release": {}}
    report = audit(FRAME, unnamed)
    assert {f.status for f in report.checks} == {"error"}
    assert report.checks[0].message == NO_DATASET_NAMED


def test_metrics_are_listed(capsys: pytest.CaptureFixture) -> None:
    from responsible_ai.cli import main

    assert main(["metrics"]) == 0
    listed = capsys.readouterr().out
    assert "privacy.epsilon_spent" in listed and "privacy.epsilon_remaining" in listed
