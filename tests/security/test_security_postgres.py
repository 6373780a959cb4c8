"""Attacks on a review store and a budget ledger kept on a real PostgreSQL server: whoever can
write the database edits, deletes or forges records (`rai store verify` names each, exit 1); a
wrong password never appears in any message; a value the database cannot hold is refused alike
on SQLite and PostgreSQL (exit 2, naming the column), never a traceback."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess

import pytest
from sqlalchemy import create_engine, text
from test_security_store import EDITS, KEY, report  # noqa: F401  (report: a module fixture)

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetLedger
from responsible_ai.review import Review
from responsible_ai.store import ReviewStore
from responsible_ai.store.head import HAS_NUL, TOO_LONG
from responsible_ai.store.identity import Identity

WRONG = "not-the-password-7Q"


def rai(*args: str) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def keyed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAI_STORE_KEY", KEY)
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY_FILE", "RAI_LEDGER_URL", "RAI_USER"):
        monkeypatch.delenv(name, raising=False)


def portable(statement: str) -> str:
    """SQLite's ``iif(c, a, b)`` in standard SQL, so that the same attack runs on PostgreSQL."""
    return re.sub(
        r"iif\(([^,]+), ([^,]+), ([^)]+)\)", r"CASE WHEN \1 THEN \2 ELSE \3 END", statement
    )


@pytest.fixture(scope="module")
def filled(postgres, report) -> str:  # noqa: F811
    """A keyed store on PostgreSQL with two runs and three reviews of the first (a template)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAI_STORE_KEY", KEY)
        url = postgres.new_database()
        store = ReviewStore(url)
        run = store.save_run(report)
        store.save_run(report, label="second")
        for reviewer in ("Ada", "Bo", "Cy"):
            signer = Identity(f"local:{reviewer}", "admin", "local")
            store.add_review(Review(run, "reject", reviewer, f"{reviewer} says no"), signer)
        store.close()
        assert rai("store", "verify", "--store", url).returncode == 0
    return url


@pytest.mark.parametrize("attack", list(EDITS))
def test_every_edit_on_postgres_is_named(postgres, filled: str, attack: str, request):
    url = postgres.new_database(template=filled)
    request.addfinalizer(lambda: postgres.drop_database(url))
    statement, expected = EDITS[attack]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(portable(statement)))
    engine.dispose()
    result = rai("store", "verify", "--store", url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("store", "verify", "--store"),
        ("store", "runs", "--store"),
        ("store", "upgrade", "--store"),
        ("budget", "verify", "--ledger"),
        ("budget", "upgrade", "--ledger"),
        ("budget", "set", "survey", "--cap", "1", "--ledger"),
    ],
)
def test_a_wrong_password_is_refused_in_one_line_and_never_shown(postgres, command):
    url = postgres.url("postgres").replace(postgres.password, WRONG)
    result = rai(*command, url)
    assert result.returncode == 2
    assert WRONG not in result.stdout + result.stderr
    assert postgres.password not in result.stdout + result.stderr
    assert "rai:***@" in result.stderr and "password authentication failed" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_values_a_column_cannot_hold_are_refused_alike(store_url: str, report):  # noqa: F811
    store = ReviewStore(store_url)
    run = store.save_run(report)
    long_name = Identity("local:" + "R" * 195, "admin", "local")  # 201 characters
    too_long = TOO_LONG.format(
        what="review store", column="rai_reviews.reviewer", length=201, limit=200
    )
    with pytest.raises(InputError, match=f"^{re.escape(too_long)}$"):
        store.add_review(Review(run, "reject", "R", "no"), long_name)
    nul = HAS_NUL.format(what="review store", column="rai_reviews.comment")
    with pytest.raises(InputError, match=f"^{re.escape(nul)}$"):
        store.add_review(Review(run, "reject", "Ada", "no\x00 really"))
    with pytest.raises(InputError, match=r"^the review store cannot hold a rai_runs\.label"):
        store.save_run(report, label="L" * 201)
    store.add_review(Review(run, "reject", "Ada", "no"))  # nothing half-written before
    assert [r.seq for r in store.reviews()] == [1] and store.verify().ok
    store.close()


def test_a_ledger_value_too_long_is_refused_alike(store_url: str, monkeypatch):
    monkeypatch.setenv("RAI_USER", "U" * 201)
    result = rai("budget", "set", "survey", "--cap", "1", "--ledger", store_url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        "rai: error: the budget ledger cannot hold a dp_budget_caps.who of 201 characters "
        "(at most 200): shorten it\n"
    )
    assert BudgetLedger(store_url).verify().ok


def test_a_role_that_may_only_read_is_refused_in_one_line(postgres, report):  # noqa: F811
    url = postgres.new_database()
    ReviewStore(url).save_run(report)
    BudgetLedger(url).register("survey", 1.0, who="steward")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE ROLE reader LOGIN PASSWORD 'reader-pw-5'"))
        connection.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader"))
    engine.dispose()
    as_reader = url.replace(f"rai:{postgres.password}@", "reader:reader-pw-5@")
    assert rai("store", "verify", "--store", as_reader).returncode == 0  # reading is allowed
    review = rai("store", "runs", "--store", as_reader)
    assert review.returncode == 0
    with pytest.raises(InputError, match=r"^cannot write to the review store at .*reader:\*\*\*@"):
        ReviewStore(as_reader).add_review(Review(1, "reject", "Ada", "no"))
    result = rai("budget", "set", "survey", "--cap", "0.5", "--ledger", as_reader)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "permission denied for table dp_ledger_head; nothing was recorded" in result.stderr
    assert "reader-pw-5" not in result.stderr
    assert BudgetLedger(url).cap("survey") == 1.0
