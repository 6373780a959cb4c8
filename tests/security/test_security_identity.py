"""Attacks on who may act: own-run reviews, disabled users, dead or guessed tokens, forged
identities, stolen password hashes, and users or tokens edited in the database."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from responsible_ai.auditing import audit
from responsible_ai.cli import main
from responsible_ai.datasets import load_german_credit
from responsible_ai.errors import InputError
from responsible_ai.report.model import Report
from responsible_ai.review import Review
from responsible_ai.store import (
    Identity,
    ReviewStore,
    authenticate_password,
    authenticate_token,
    local_identity,
)
from responsible_ai.store import identity as identity_module
from responsible_ai.store.identity import BAD_CREDENTIALS, BAD_TOKEN, MALFORMED_TOKEN
from responsible_ai.store.people import (
    LOCAL_REFUSED,
    add_token,
    add_user,
    disable_user,
    revoke_token,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
TODAY = date(2026, 11, 29)
WAIVER = {"check_id": "four-fifths-rule[age_group]", "justification": "j"}


def rai(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process; exit code, stdout and stderr as a subprocess would give."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def report() -> Report:
    german = load_german_credit().data
    approved = german["credit"].where(german["age_group"] != "under 25", "bad")
    return audit(
        german.assign(approved=approved),
        str(ROOT / "tests" / "store" / "lending-fairness.yaml"),
        prediction="approved",
    )


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE", "RAI_TOKEN", "RAI_SUBMIT"):
        monkeypatch.delenv(name, raising=False)
    from argon2 import PasswordHasher

    # Real argon2id with its cheapest parameters: these tests hash many passwords.
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(identity_module, "_hasher", lambda: cheap)


@pytest.fixture
def team(tmp_path: Path) -> ReviewStore:
    store = ReviewStore(f"sqlite:///{tmp_path / 'team.sqlite'}")
    add_user(store, "root", "admin", PASSWORD)
    add_user(store, "alice", "reviewer", PASSWORD)
    add_user(store, "bob", "reviewer", PASSWORD)
    add_user(store, "ci", "submitter", PASSWORD)
    yield store
    store.close()


def _waive(run: int) -> Review:
    return Review(run, "waive", "", "c", expires_on=date(2027, 1, 1), **WAIVER)


def test_submitter_cannot_review_even_its_own_run(team, report):
    _, token = add_token(team, "ci")
    ci = authenticate_token(team, token)
    run = team.save_run(report, submitter=ci)
    for review in (Review(run, "reject", "", "x"), _waive(run)):
        with pytest.raises(InputError, match=r"^ci has the submitter role and cannot review"):
            team.add_review(review, ci, today=TODAY)
    assert team.reviews(run) == []


@pytest.mark.parametrize("decision", ["approve", "reject", "waive"])
def test_reviewer_cannot_decide_on_a_run_they_submitted(team, report, decision):
    alice = authenticate_password(team, "alice", PASSWORD)
    run = team.save_run(report, submitter=alice)
    review = _waive(run) if decision == "waive" else Review(run, decision, "", "mine")
    message = f"^alice submitted run {run} and cannot {decision} it: another reviewer must"
    with pytest.raises(InputError, match=message):
        team.add_review(review, alice, today=TODAY)
    bob = authenticate_password(team, "bob", PASSWORD)
    assert team.add_review(_waive(run), bob, today=TODAY).reviewer == "bob"


def test_admin_reviews_others_runs_but_not_their_own(team, report):
    root = authenticate_password(team, "root", PASSWORD)
    theirs = team.save_run(report, submitter=Identity("ci", "submitter", "password"))
    assert team.add_review(Review(theirs, "reject", "", "no"), root, today=TODAY).reviewer == "root"
    own = team.save_run(report, submitter=root)
    with pytest.raises(InputError, match=f"^root submitted run {own} and cannot reject it"):
        team.add_review(Review(own, "reject", "", "no"), root, today=TODAY)


def test_disabled_user_is_refused_even_with_an_identity_from_before(team, report):
    bob = authenticate_password(team, "bob", PASSWORD)
    _, token = add_token(team, "bob")
    disable_user(team, "bob")
    run = team.save_run(report)
    with pytest.raises(InputError, match=f"^{BAD_CREDENTIALS}$"):
        team.add_review(Review(run, "reject", "", "x"), bob, today=TODAY)
    with pytest.raises(InputError, match=f"^{BAD_CREDENTIALS}$"):
        authenticate_password(team, "bob", PASSWORD)
    with pytest.raises(InputError, match=re.escape(BAD_TOKEN)):
        authenticate_token(team, token)


def test_revoked_and_expired_tokens_are_dead(team, report):
    info, token = add_token(team, "alice")
    held = authenticate_token(team, token)
    revoke_token(team, info.token_id)
    with pytest.raises(InputError, match=re.escape(BAD_TOKEN)):
        authenticate_token(team, token)
    run = team.save_run(report)
    with pytest.raises(InputError, match=re.escape(BAD_TOKEN)):
        team.add_review(Review(run, "reject", "", "x"), held, today=TODAY)
    _, short = add_token(team, "alice", expires_days=1e-6)  # 0.09 s
    time.sleep(0.2)
    with pytest.raises(InputError, match=re.escape(BAD_TOKEN)):
        authenticate_token(team, short)


def test_guessed_and_malformed_tokens_are_refused(team):
    info, token = add_token(team, "alice")
    guesses = [
        f"rai_{info.token_id}_{'A' * 43}",
        token[:-1],
        token + "x",
        f"rai_ffffffffffff_{token[-43:]}",
    ]
    for guess in guesses:
        with pytest.raises(InputError, match=re.escape(BAD_TOKEN)):
            authenticate_token(team, guess)
    for malformed in ["", "Bearer x", f"xyz_{info.token_id}_s", f"rai_{info.token_id}"]:
        with pytest.raises(InputError, match=f"^{re.escape(MALFORMED_TOKEN)}$"):
            authenticate_token(team, malformed)


def test_forged_identity_gets_the_role_the_store_knows(team, report):
    run = team.save_run(report, submitter=Identity("ci", "submitter", "password"))
    forged_admin = Identity("ci", "admin", "password")  # a submitter claiming admin
    with pytest.raises(InputError, match=r"^ci has the submitter role"):
        team.add_review(Review(run, "reject", "", "x"), forged_admin, today=TODAY)
    for ghost in (Identity("mallory", "admin", "password"), Identity("alice", "admin", "token:00")):
        with pytest.raises(InputError):
            team.add_review(Review(run, "reject", "", "x"), ghost, today=TODAY)
    with pytest.raises(InputError, match=f"^{re.escape(LOCAL_REFUSED)}$"):
        team.add_review(Review(run, "reject", "", "x"), local_identity(), today=TODAY)
    assert team.reviews(run) == []


def test_neither_password_nor_token_secret_is_stored_or_printed(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    monkeypatch.setenv("RAI_NEW_PASSWORD", PASSWORD)
    added = rai("users", "add", "root", "--role", "admin", "--store", url)
    assert added.returncode == 0 and PASSWORD not in added.stdout + added.stderr
    made = rai("tokens", "add", "--user", "root", "--store", url)
    token = made.stdout.strip()
    secret = token.split("_", 2)[2]
    listed = (
        rai("tokens", "list", "--store", url).stdout + rai("users", "list", "--store", url).stdout
    )
    assert secret not in listed and PASSWORD not in listed
    raw = (tmp_path / "s.sqlite").read_bytes()
    for wal in tmp_path.glob("s.sqlite-*"):
        raw += wal.read_bytes()
    assert PASSWORD.encode() not in raw and secret.encode() not in raw
    with contextlib.closing(sqlite3.connect(tmp_path / "s.sqlite")) as connection:
        [(stored,)] = connection.execute("SELECT password_hash FROM rai_users").fetchall()
    assert stored.startswith("$argon2id$")


def test_short_password_is_refused_without_echo(tmp_path, monkeypatch):
    monkeypatch.setenv("RAI_NEW_PASSWORD", "hunter2")
    result = rai("users", "add", "root", "--role", "admin", "--store", f"sqlite:///{tmp_path}/s.db")
    assert result.returncode == 2
    assert result.stderr == "rai: error: the password is too short: use at least 12 characters\n"
    assert "hunter2" not in result.stdout


def _sql(path: Path, statement: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(statement)


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE rai_tokens SET revoked = 0 WHERE seq = 2", "token record #2 (token "),
        ("UPDATE rai_tokens SET role = 'admin' WHERE seq = 1", "token record #1 (token "),
        ("DELETE FROM rai_tokens WHERE seq = 2", "token record #2 is missing"),
        (
            "UPDATE rai_users SET role = 'admin' WHERE username = 'ci'",
            "user record #4 ('ci', admin)",
        ),
        (
            "UPDATE rai_users SET password_hash = 'x' WHERE seq = 1",
            "user record #1 ('root', admin)",
        ),
        ("UPDATE rai_users SET disabled = 0 WHERE seq = 5", "user record #5 ('bob', reviewer)"),
    ],
)
def test_users_and_tokens_edited_in_the_database_are_detected(team, statement, named):
    info, _ = add_token(team, "ci")
    revoke_token(team, info.token_id)
    disable_user(team, "bob")
    assert rai("store", "verify", "--store", team.url).returncode == 0
    _sql(Path(team.url.removeprefix("sqlite:///")), statement)
    result = rai("store", "verify", "--store", team.url)
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("BROKEN ") and named in result.stdout
