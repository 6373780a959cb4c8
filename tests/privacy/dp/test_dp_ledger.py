"""The privacy budget ledger: persistence, refusals, defaults, and no overspending, ever."""

from __future__ import annotations

import contextlib
import multiprocessing
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetExceededError, BudgetLedger, Operation
from responsible_ai.privacy.dp.ledger import LEDGER_COLUMNS, NO_BUDGET, default_ledger_url


def op(epsilon: float, name: str = "count()") -> Operation:
    return Operation(name, "Geometric", epsilon, sensitivity=1.0)


@pytest.fixture
def ledger(tmp_path: Path) -> BudgetLedger:
    return BudgetLedger(str(tmp_path / "ledger.sqlite"))


def test_charge_records_and_persists(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.sqlite")
    remaining = BudgetLedger(path).charge("adult", [op(0.3), op(0.2)], budget=1.0, who="ann")
    assert remaining == pytest.approx(0.5)
    reopened = BudgetLedger(path)  # a new process would see the same
    assert reopened.spent("adult") == pytest.approx(0.5)
    assert reopened.remaining("adult", 1.0) == pytest.approx(0.5)
    entries = reopened.entries("adult")
    assert list(entries.columns) == list(LEDGER_COLUMNS)
    assert entries["who"].tolist() == ["ann", "ann"]
    assert entries["status"].tolist() == ["spent", "spent"]
    assert str(entries["time"].dt.tz) == "UTC"


def test_over_budget_is_refused_whole_and_recorded(ledger: BudgetLedger) -> None:
    ledger.charge("adult", [op(0.8)], budget=1.0, who="ann")
    with pytest.raises(BudgetExceededError, match=r"needs epsilon 0\.3.*only 0\.2 remains"):
        ledger.charge("adult", [op(0.1), op(0.2)], budget=1.0, who="bob")
    assert ledger.spent("adult") == pytest.approx(0.8)  # neither part was spent
    entries = ledger.entries("adult")
    assert entries["status"].tolist() == ["spent", "refused", "refused"]
    assert entries["who"].tolist() == ["ann", "bob", "bob"]


def test_datasets_have_separate_budgets(ledger: BudgetLedger) -> None:
    ledger.charge("adult", [op(1.0)], budget=1.0)
    ledger.charge("german", [op(1.0)], budget=1.0)
    assert ledger.remaining("adult", 1.0) == 0.0
    assert len(ledger.entries()) == 2
    assert ledger.entries("german")["dataset"].tolist() == ["german"]


def test_tenths_add_up_to_the_budget(ledger: BudgetLedger) -> None:
    for _ in range(10):
        ledger.charge("adult", [op(0.1)], budget=1.0)
    with pytest.raises(BudgetExceededError):
        ledger.charge("adult", [op(0.1)], budget=1.0)


def test_no_budget_is_an_input_error(ledger: BudgetLedger) -> None:
    with pytest.raises(InputError, match=re.escape(NO_BUDGET)):
        ledger.charge("adult", [op(0.1)], budget=None)
    assert ledger.entries().empty


@pytest.mark.parametrize("epsilon", [0.0, -1.0, float("inf"), float("nan")])
def test_bad_epsilon_is_refused(ledger: BudgetLedger, epsilon: float) -> None:
    with pytest.raises(InputError, match="must be a float in the range"):
        ledger.charge("adult", [op(epsilon)], budget=10.0)


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAI_LEDGER_URL", raising=False)
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    assert default_ledger_url() == str(tmp_path / "home" / "ledger.sqlite")
    assert BudgetLedger().url == f"sqlite:///{tmp_path / 'home' / 'ledger.sqlite'}"
    monkeypatch.setenv("RAI_LEDGER_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    BudgetLedger().charge("x", [op(0.1)], budget=1.0)
    assert (tmp_path / "other.sqlite").exists()


def test_who_defaults_to_rai_user(ledger: BudgetLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_USER", "carol")
    ledger.charge("adult", [op(0.1)], budget=1.0)
    assert ledger.entries()["who"].tolist() == ["carol"]


def test_password_never_shown() -> None:
    ledger = BudgetLedger("postgresql://rai:s3cret@db.example/ledger")
    assert "s3cret" not in repr(ledger)
    assert "s3cret" not in ledger.location


def test_unwritable_location_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot open the budget ledger"):
        BudgetLedger(f"sqlite:///{blocker}/ledger.sqlite").spent("x")
    with pytest.raises(InputError, match="cannot create the folder of the budget ledger"):
        BudgetLedger(str(blocker / "sub" / "ledger.sqlite"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    budget=st.floats(0.1, 5.0),
    requests=st.lists(
        st.lists(st.floats(0.01, 2.0), min_size=1, max_size=3), min_size=1, max_size=12
    ),
)
def test_budget_is_never_exceeded(
    tmp_path_factory: pytest.TempPathFactory, budget: float, requests: list[list[float]]
) -> None:
    ledger = BudgetLedger(str(tmp_path_factory.mktemp("h") / "ledger.sqlite"))
    accepted = 0.0
    for epsilons in requests:
        wanted = sum(epsilons)
        try:
            ledger.charge("d", [op(e) for e in epsilons], budget=budget)
        except BudgetExceededError:
            assert accepted + wanted > budget  # refused only when it would not fit
        else:
            accepted += wanted
        assert ledger.spent("d") == pytest.approx(accepted)
        assert ledger.spent("d") <= budget + 1e-9


def _spend_repeatedly(url: str, start: multiprocessing.synchronize.Event, tries: int) -> None:
    ledger = BudgetLedger(url)
    ledger.spent("race")  # connect and create the table before the race starts
    start.wait()
    for _ in range(tries):
        with contextlib.suppress(BudgetExceededError):
            ledger.charge("race", [op(0.1)], budget=1.0)


def test_two_processes_racing_cannot_overspend(tmp_path: Path) -> None:
    url = str(tmp_path / "ledger.sqlite")
    BudgetLedger(url).spent("race")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_spend_repeatedly, args=(url, start, 15)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=300)  # spawned workers import pandas; slow on a busy machine
        assert worker.exitcode == 0
    entries = BudgetLedger(url).entries("race")
    assert len(entries) == 30
    assert (entries["status"] == "spent").sum() == 10
    assert BudgetLedger(url).spent("race") == pytest.approx(1.0)
