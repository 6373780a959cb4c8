"""The privacy budget ledger: registered caps, persistence, refusals, defaults, and no
overspending, ever."""

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
from responsible_ai.privacy.dp.ledger import (
    LEDGER_COLUMNS,
    NOT_REGISTERED,
    POLICY_ABOVE_CAP,
    RAISE_NEEDS_FLAG,
    default_ledger_url,
)


def op(epsilon: float, name: str = "count()") -> Operation:
    return Operation(name, "Geometric", epsilon, sensitivity=1.0)


def registered(path: str, *datasets: str, cap: float = 1.0) -> BudgetLedger:
    ledger = BudgetLedger(path)
    for dataset in datasets:
        ledger.register(dataset, cap, who="steward")
    return ledger


@pytest.fixture
def ledger(tmp_path: Path) -> BudgetLedger:
    return registered(str(tmp_path / "ledger.sqlite"), "adult", "german")


def test_charge_records_and_persists(store_url: str) -> None:
    path = store_url
    remaining = registered(path, "adult").charge("adult", [op(0.3), op(0.2)], who="ann")
    assert remaining == pytest.approx(0.5)
    reopened = BudgetLedger(path)  # a new process would see the same
    assert reopened.spent("adult") == pytest.approx(0.5)
    assert reopened.remaining("adult", 1.0) == pytest.approx(0.5)
    entries = reopened.entries("adult")
    assert list(entries.columns) == list(LEDGER_COLUMNS)
    assert entries["who"].tolist() == ["ann", "ann"]
    assert entries["status"].tolist() == ["spent", "spent"]
    assert str(entries["time"].dt.tz) == "UTC"
    assert reopened.caps("adult")[["cap", "change", "who"]].values.tolist() == [
        [1.0, "register", "steward"]
    ]


def test_unregistered_dataset_is_refused_with_the_fix(tmp_path: Path) -> None:
    ledger = BudgetLedger(str(tmp_path / "ledger.sqlite"))
    message = NOT_REGISTERED.format(dataset="adult", ledger=ledger.location)
    with pytest.raises(InputError, match=re.escape(message)):
        ledger.charge("adult", [op(0.1)], budget=1.0)
    assert "rai budget set adult --cap EPS" in message
    assert ledger.entries().empty


def test_policy_may_ask_for_less_than_the_cap_never_more(ledger: BudgetLedger) -> None:
    assert ledger.charge("adult", [op(0.4)], budget=0.5) == pytest.approx(0.1)
    with pytest.raises(BudgetExceededError):
        ledger.charge("adult", [op(0.2)], budget=0.5)  # within the cap, beyond the policy's ask
    above = POLICY_ABOVE_CAP.format(asked=5.0, cap=1.0, dataset="adult")
    with pytest.raises(InputError, match=re.escape(above)):
        ledger.charge("adult", [op(0.1)], budget=5.0)
    entries = ledger.entries("adult")
    assert entries["status"].tolist() == ["spent", "refused", "refused"]
    assert entries["reason"].iloc[-1] == above
    assert ledger.spent("adult") == pytest.approx(0.4)


def test_cap_changes_are_recorded_and_raising_needs_the_flag(ledger: BudgetLedger) -> None:
    ledger.charge("adult", [op(0.6)])
    assert ledger.register("adult", 0.5, who="steward") == (1.0, 0.5)  # lowering: allowed
    assert ledger.remaining("adult") == 0.0
    with pytest.raises(BudgetExceededError):
        ledger.charge("adult", [op(0.1)])
    refused = RAISE_NEEDS_FLAG.format(dataset="adult", cap=0.5, new=3.0)
    with pytest.raises(InputError, match=re.escape(refused)):
        ledger.register("adult", 3.0, who="mallory")
    assert ledger.cap("adult") == 0.5
    assert ledger.register("adult", 3.0, who="steward", allow_raise=True) == (0.5, 3.0)
    assert ledger.caps("adult")["change"].tolist() == ["register", "lower", "raise"]
    assert ledger.register("adult", 3.0) == (3.0, 3.0)  # unchanged: nothing recorded
    assert len(ledger.caps("adult")) == 3


@pytest.mark.parametrize("cap", [0.0, -1.0, 100.5, 1e300, float("inf"), float("nan")])
def test_bad_cap_is_refused(ledger: BudgetLedger, cap: float) -> None:
    with pytest.raises(InputError, match=r"must be a float in the range \(0, 100\]"):
        ledger.register("other", cap)
    assert ledger.cap("other") is None


@pytest.mark.parametrize("name", ["", "set", "verify", "a\x1b[31mb", "x" * 201])
def test_bad_dataset_name_is_refused(ledger: BudgetLedger, name: str) -> None:
    with pytest.raises(InputError, match="cannot be used"):
        ledger.register(name, 1.0)


def test_over_budget_is_refused_whole_and_recorded(ledger: BudgetLedger) -> None:
    ledger.charge("adult", [op(0.8)], who="ann")
    with pytest.raises(BudgetExceededError, match=r"needs epsilon 0\.3.*only 0\.2 remains"):
        ledger.charge("adult", [op(0.1), op(0.2)], who="bob")
    assert ledger.spent("adult") == pytest.approx(0.8)  # neither part was spent
    entries = ledger.entries("adult")
    assert entries["status"].tolist() == ["spent", "refused", "refused"]
    assert entries["who"].tolist() == ["ann", "bob", "bob"]


def test_datasets_have_separate_budgets(ledger: BudgetLedger) -> None:
    ledger.charge("adult", [op(1.0)])
    ledger.charge("german", [op(1.0)])
    assert ledger.remaining("adult") == 0.0
    assert len(ledger.entries()) == 2
    assert ledger.entries("german")["dataset"].tolist() == ["german"]


def test_tenths_add_up_to_the_budget(ledger: BudgetLedger) -> None:
    for _ in range(10):
        ledger.charge("adult", [op(0.1)], budget=1.0)
    with pytest.raises(BudgetExceededError):
        ledger.charge("adult", [op(0.1)], budget=1.0)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, 10.5, 1e308, float("inf"), float("nan"), True])
def test_bad_epsilon_is_refused_and_recorded(ledger: BudgetLedger, epsilon: float) -> None:
    ledger.register("adult", 100.0, who="steward", allow_raise=True)
    with pytest.raises(InputError, match=r"must be a float in the range \(0, 10\]"):
        ledger.charge("adult", [op(0.5), op(epsilon)])
    entries = ledger.entries("adult")
    assert entries["status"].tolist() == ["refused", "refused"]  # both: all or nothing
    assert "must be a float" in entries["reason"].iloc[0]
    assert ledger.spent("adult") == 0.0


@pytest.mark.parametrize("budget", [0.0, -1.0, float("inf"), float("nan")])
def test_bad_policy_budget_is_refused(ledger: BudgetLedger, budget: float) -> None:
    with pytest.raises(InputError, match="epsilon_budget' of the policy must be a float"):
        ledger.charge("adult", [op(0.1)], budget=budget)
    assert ledger.spent("adult") == 0.0


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAI_LEDGER_URL", raising=False)
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    assert default_ledger_url() == str(tmp_path / "home" / "ledger.sqlite")
    assert BudgetLedger().url == f"sqlite:///{tmp_path / 'home' / 'ledger.sqlite'}"
    monkeypatch.setenv("RAI_LEDGER_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    BudgetLedger().register("x", 1.0)
    BudgetLedger().charge("x", [op(0.1)])
    assert (tmp_path / "other.sqlite").exists()


def test_who_defaults_to_rai_user(ledger: BudgetLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_USER", "carol")
    ledger.charge("adult", [op(0.1)])
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
    assert blocker.read_text() == ""
    with pytest.raises(InputError, match="cannot create the folder of the budget ledger"):
        BudgetLedger(str(blocker / "sub" / "ledger.sqlite"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cap=st.floats(0.1, 5.0),
    requests=st.lists(
        st.tuples(
            st.lists(st.floats(0.01, 2.0), min_size=1, max_size=3),
            st.none() | st.floats(0.01, 20.0),  # the policy's epsilon_budget, if any
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_budget_is_never_exceeded(
    tmp_path_factory: pytest.TempPathFactory,
    cap: float,
    requests: list[tuple[list[float], float | None]],
) -> None:
    ledger = registered(str(tmp_path_factory.mktemp("h") / "ledger.sqlite"), "d", cap=cap)
    accepted = 0.0
    for epsilons, budget in requests:
        wanted = sum(epsilons)
        try:
            ledger.charge("d", [op(e) for e in epsilons], budget=budget)
        except BudgetExceededError:
            limit = cap if budget is None else min(cap, budget)
            assert accepted + wanted > limit  # refused only when it would not fit
        except InputError:
            assert budget is not None and budget > cap  # a policy asking above the cap
        else:
            accepted += wanted
        assert ledger.spent("d") == pytest.approx(accepted)
        assert ledger.spent("d") <= cap + 1e-9
    assert ledger.verify().ok


def _spend_repeatedly(url: str, start: multiprocessing.synchronize.Event, tries: int) -> None:
    ledger = BudgetLedger(url)
    ledger.spent("race")  # connect and create the table before the race starts
    start.wait()
    for _ in range(tries):
        with contextlib.suppress(BudgetExceededError):
            ledger.charge("race", [op(0.1)])


def test_two_processes_racing_cannot_overspend(store_url: str) -> None:
    url = store_url
    registered(url, "race")
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
    assert BudgetLedger(url).verify().ok  # racing writers keep the chain whole
