"""Attacks on the privacy budget: a policy copy with a larger budget, a data file with one more
byte, epsilons that are not numbers, and edits of the ledger database. The cap belongs to the
dataset; `rai budget verify` names any edited, deleted or re-hashed ledger record."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetLedger, Operation
from responsible_ai.store.chain import ChainState, record_hash, seal

KEY = "3f9a1c7e5b2d8064a9e1f3c5b7d9e2a4c6f8b0d1e3a5c7f9b2d4e6a8c0f1b3d5"


def rai(*args: object) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess([str(a) for a in args], code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in ("RAI_LEDGER_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAI_USER", "analyst")
    return tmp_path / "home" / "ledger.sqlite"


@pytest.fixture(params=["keyed", "plain"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "keyed":
        monkeypatch.setenv("RAI_STORE_KEY", KEY)
    return str(request.param)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    pd.DataFrame({"age": [20, 30, 40, 50] * 50}).to_csv(path, index=False)
    return path


def policy_file(folder: Path, name: str, budget: float | None = None, epsilon: float = 0.5) -> Path:
    privacy = {} if budget is None else {"epsilon_budget": budget}
    content = {
        "name": name,
        "privacy": privacy,
        "release": {
            "dataset": "survey",
            "statistics": [{"statistic": "count", "epsilon": epsilon}],
        },
        "checks": [{"id": "spent", "metric": "privacy.epsilon_spent", "must": "<= 100"}],
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(content))
    return path


def release(data: Path, policy: Path, out: Path, *extra: object) -> subprocess.CompletedProcess:
    return rai("release", data, "--policy", policy, "--output", out, *extra)


def test_release_on_an_unregistered_dataset_is_refused_with_the_fix(tmp_path: Path, data: Path):
    result = release(data, policy_file(tmp_path, "p"), tmp_path / "out.json")
    assert result.returncode == 2
    assert "rai budget set survey --cap EPS" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_a_policy_copy_with_a_larger_budget_cannot_spend_past_the_cap(tmp_path: Path, data: Path):
    assert rai("budget", "set", "survey", "--cap", "1", "--who", "steward").returncode == 0
    honest = policy_file(tmp_path, "honest", budget=1.0)
    greedy = policy_file(tmp_path, "greedy", budget=50.0)
    out = tmp_path / "out.json"
    refused = release(data, greedy, out)
    assert refused.returncode == 2 and not out.exists()
    assert "above the cap 1 registered for dataset 'survey'" in refused.stderr
    assert release(data, honest, out).returncode == 0
    assert release(data, honest, out, "--dataset", "survey").returncode == 0
    assert release(data, policy_file(tmp_path, "nobudget"), tmp_path / "x.json").returncode == 1
    ledger = BudgetLedger()
    assert ledger.spent("survey") == pytest.approx(1.0)
    assert ledger.entries("survey")["status"].tolist() == ["refused", "spent", "spent", "refused"]
    shown = rai("budget", "survey").stdout
    assert "survey: cap 1, spent epsilon 1 of 1, remaining 0" in shown


def test_one_more_byte_is_not_a_fresh_budget(tmp_path: Path, data: Path):
    assert rai("budget", "set", "survey", "--cap", "0.5").returncode == 0
    policy = policy_file(tmp_path, "p")
    assert release(data, policy, tmp_path / "a.json").returncode == 0
    with data.open("a") as handle:
        handle.write("60\n")  # another file hash, the same people
    assert release(data, policy, tmp_path / "b.json").returncode == 1
    assert not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("epsilon", ["nan", "inf", "-1", "0", "11", "1e308"])
def test_insane_epsilon_is_refused(tmp_path: Path, data: Path, epsilon: str):
    assert rai("budget", "set", "survey", "--cap", "5").returncode == 0
    path = policy_file(tmp_path, "p")
    written = {"nan": ".nan", "inf": ".inf"}.get(epsilon, epsilon)  # YAML's own spelling
    path.write_text(path.read_text().replace("epsilon: 0.5", f"epsilon: {written}"))
    result = release(data, path, tmp_path / "out.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.json").exists()
    assert BudgetLedger().spent("survey") == 0.0


@pytest.mark.parametrize("cap", ["nan", "inf", "-1", "0", "101", "1e308"])
def test_insane_cap_is_refused(cap: str):
    result = rai("budget", "set", "survey", "--cap", cap)
    assert result.returncode == 2
    assert "must be a float in the range (0, 100]" in result.stderr


def test_raising_a_cap_needs_the_flag_and_is_recorded():
    assert rai("budget", "set", "survey", "--cap", "1", "--who", "steward").returncode == 0
    refused = rai("budget", "set", "survey", "--cap", "5", "--who", "mallory")
    assert refused.returncode == 2 and "needs --raise" in refused.stderr
    assert rai("budget", "set", "survey", "--cap", "0.5").returncode == 0
    raised = rai("budget", "set", "survey", "--cap", "5", "--raise", "--who", "steward")
    assert raised.returncode == 0 and "raised the cap" in raised.stdout
    caps = BudgetLedger().caps("survey")
    assert caps["change"].tolist() == ["register", "lower", "raise"]


def filled() -> BudgetLedger:
    ledger = BudgetLedger()
    ledger.register("survey", 1.0, who="steward")
    ledger.charge("survey", [Operation("count()", "Geometric", 0.3)], who="ann")
    ledger.charge("survey", [Operation("mean(age)", "Laplace", 0.4)], who="bob")
    with contextlib.suppress(Exception):
        ledger.charge("survey", [Operation("sum(age)", "Laplace", 0.9)], who="eve")  # refused
    return ledger


def sql(path: Path, statement: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(statement)


LEDGER_EDITS = {
    "an operation's epsilon": (
        "UPDATE dp_budget_ledger SET epsilon = 0.01 WHERE seq = 2",
        "ledger operation #2 (dataset 'survey', mean(age), spent epsilon 0.01 by bob): "
        "its content does not match its hash",
    ),
    "a refusal turned into nothing": (
        "DELETE FROM dp_budget_ledger WHERE seq = 3",
        "ledger operation #3 is missing: the ledger's head records 3",
    ),
    "a middle operation deleted": (
        "DELETE FROM dp_budget_ledger WHERE seq = 1",
        "ledger operation #1 is missing",
    ),
    "a cap raised in the database": (
        "UPDATE dp_budget_caps SET cap = 100 WHERE seq = 1",
        "budget registration #1 (dataset 'survey', register cap 100 by steward)",
    ),
    "a forged operation inserted": (
        "INSERT INTO dp_budget_ledger SELECT 4, 4, time, dataset, 'x', mechanism, 0.1, delta,"
        " sensitivity, 'spent', '', who, hash, hash FROM dp_budget_ledger WHERE seq = 3",
        "ledger operation #4",
    ),
}


@pytest.mark.parametrize("attack", list(LEDGER_EDITS))
def test_ledger_edits_are_named(environment: Path, mode: str, attack: str):
    filled()
    assert rai("budget", "verify").returncode == 0
    statement, named = LEDGER_EDITS[attack]
    sql(environment, statement)
    result = rai("budget", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert named in result.stdout


@pytest.mark.parametrize("attack", list(LEDGER_EDITS))
def test_an_edited_ledger_spends_nothing_more(environment: Path, mode: str, attack: str):
    ledger = filled()
    sql(environment, LEDGER_EDITS[attack][0])
    with pytest.raises(InputError, match="fails verification") as refused:
        ledger.charge("survey", [Operation("count()", "Geometric", 0.1)], who="ann")
    assert LEDGER_EDITS[attack][1].split(":")[0] in str(refused.value)
    assert "so what was spent cannot be known: nothing was released" in str(refused.value)


def test_rehashed_ledger_without_the_key_is_detected(environment: Path, monkeypatch):
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    filled()
    head = rai("budget", "verify").stdout.split("head ")[1].split()[0]
    sql(environment, "UPDATE dp_budget_ledger SET epsilon = 0.01 WHERE seq = 2")
    with contextlib.closing(sqlite3.connect(environment)) as connection, connection:
        connection.row_factory = sqlite3.Row
        state = ChainState("keyed")
        for table in ("dp_budget_caps", "dp_budget_ledger"):
            for row in connection.execute(f"SELECT * FROM {table} ORDER BY seq").fetchall():
                names = row.keys()  # a sqlite3.Row iterates its values, not its names
                content = {k: row[k] for k in names if k != "hash"}
                count, last = state.tables.get(table, [0, "0" * 64])
                content["prev_hash"] = last
                digest = record_hash(None, table, content)
                connection.execute(
                    f"UPDATE {table} SET prev_hash = ?, hash = ? WHERE id = ?",
                    (last, digest, row["id"]),
                )
                state.tables[table] = [count + 1, digest]
        connection.execute(
            "UPDATE dp_ledger_head SET state = ?, seal = ?", (state.to_json(), seal(None, state))
        )
    assert rai("budget", "verify").returncode == 1
    assert rai("budget", "verify", "--expect-head", head).returncode == 1


def test_missing_ledger_exits_2_and_creates_nothing(tmp_path: Path):
    result = rai("budget", "verify")
    assert result.returncode == 2 and "no budget ledger at" in result.stderr
    assert not (tmp_path / "home").exists()
    elsewhere = tmp_path / "nowhere" / "ledger.sqlite"
    assert rai("budget", "verify", "--ledger", elsewhere).returncode == 2
    assert not (tmp_path / "nowhere").exists()


def test_keyed_ledger_needs_its_key(monkeypatch):
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    filled()
    monkeypatch.delenv("RAI_STORE_KEY")
    result = rai("budget", "verify")
    assert result.returncode == 2 and "this ledger is keyed; set RAI_STORE_KEY" in result.stderr
    spend = rai("budget", "set", "other", "--cap", "1")
    assert spend.returncode == 2 and "this ledger is keyed" in spend.stderr


PASSWORD_URLS = [
    "postgresql://rai:s3cr3t-pw@127.0.0.1:1/ledger",
    "postgresql://rai:s3cr3t-pw@127.0.0.1:notaport/ledger",
    "nosuchdb://rai:s3cr3t-pw@host/ledger",
]


@pytest.mark.parametrize("url", PASSWORD_URLS)
@pytest.mark.parametrize(
    "command",
    [("budget",), ("budget", "verify"), ("budget", "set", "survey", "--cap", "1")],
)
def test_ledger_password_is_never_printed(url: str, command: tuple[str, ...]):
    result = rai(*command, "--ledger", url)
    assert result.returncode == 2
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "rai:***@" in result.stderr


def test_release_never_prints_the_ledger_password(tmp_path: Path, data: Path):
    result = release(
        data, policy_file(tmp_path, "p"), tmp_path / "o.json", "--ledger", PASSWORD_URLS[0]
    )
    assert result.returncode == 2 and "s3cr3t-pw" not in result.stdout + result.stderr


def test_legacy_ledger_is_refused_not_silently_migrated(environment: Path):
    environment.parent.mkdir(parents=True)
    sql(environment, "CREATE TABLE dp_budget_ledger (id INTEGER PRIMARY KEY, epsilon REAL)")
    for command in (("budget",), ("budget", "verify"), ("budget", "set", "survey", "--cap", "1")):
        result = rai(*command)
        assert result.returncode == 2
        assert "written by an older responsible-ai without the record chain" in result.stderr
