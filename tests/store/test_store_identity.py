"""Users, roles and tokens: who may act, and every review signed by an authenticated identity."""

from __future__ import annotations

import re
from datetime import date

import pytest
from service_helpers import rai

from responsible_ai.errors import InputError
from responsible_ai.review import Review
from responsible_ai.store import Identity, authenticate_password, authenticate_token
from responsible_ai.store.identity import BAD_CREDENTIALS, SHORT_PASSWORD, local_identity
from responsible_ai.store.people import (
    FIRST_MUST_BE_ADMIN,
    LOCAL_REFUSED,
    add_token,
    add_user,
    disable_user,
    has_users,
    revoke_token,
    tokens,
    users,
)

PASSWORD = "correct horse battery"
TODAY = date(2026, 11, 29)


@pytest.fixture
def team(store):
    """A store with an admin, two reviewers and a CI submitter."""
    add_user(store, "root", "admin", PASSWORD)
    add_user(store, "alice", "reviewer", PASSWORD, display_name="Alice A.")
    add_user(store, "bob", "reviewer", PASSWORD)
    add_user(store, "ci", "submitter", PASSWORD)
    return store


def test_first_user_must_be_an_admin(store):
    with pytest.raises(InputError, match=r"^the first user of a store must be an admin"):
        add_user(store, "alice", "reviewer", PASSWORD)
    assert FIRST_MUST_BE_ADMIN.startswith("the first user")
    assert not has_users(store)
    add_user(store, "root", "admin", PASSWORD)
    add_user(store, "alice", "reviewer", PASSWORD)
    assert [(u.username, u.role) for u in users(store)] == [
        ("root", "admin"),
        ("alice", "reviewer"),
    ]


def test_short_password_is_refused(store):
    with pytest.raises(InputError, match=f"^{SHORT_PASSWORD}$"):
        add_user(store, "root", "admin", "short-pw")


def test_duplicate_and_bad_names_are_refused(team):
    with pytest.raises(InputError, match="user 'alice' already exists"):
        add_user(team, "alice", "reviewer", PASSWORD)
    with pytest.raises(InputError, match="may not start with 'local:'"):
        add_user(team, "local:root", "admin", PASSWORD)


def test_password_login_gives_the_users_role(team):
    alice = authenticate_password(team, "alice", PASSWORD)
    assert alice == Identity("alice", "reviewer", "password")
    for name, password in [("alice", "wrong password!"), ("nobody", PASSWORD)]:
        with pytest.raises(InputError, match=f"^{BAD_CREDENTIALS}$"):
            authenticate_password(team, name, password)


def test_token_has_its_scope_and_is_shown_once(team):
    info, token = add_token(team, "ci", expires_days=30)
    assert token.startswith(f"rai_{info.token_id}_")
    assert authenticate_token(team, token) == Identity("ci", "submitter", f"token:{info.token_id}")
    listed = tokens(team)
    assert [(t.token_id, t.role, t.revoked) for t in listed] == [
        (info.token_id, "submitter", False)
    ]
    with pytest.raises(InputError, match="cannot have a role above its user's"):
        add_token(team, "ci", role="admin")


def test_review_is_signed_by_the_identity_not_a_typed_name(team, failing_report):
    run = team.save_run(failing_report, submitter=Identity("ci", "submitter", "token:x"))
    alice = authenticate_password(team, "alice", PASSWORD)
    stored = team.add_review(Review(run, "reject", "Mallory", "age gap"), alice, today=TODAY)
    assert stored.reviewer == "alice"
    assert team.reviews(run)[0].reviewer == "alice"


def test_local_mode_only_while_there_are_no_users(store, failing_report):
    run = store.save_run(failing_report)
    stored = store.add_review(Review(run, "reject", "", "age gap"), today=TODAY)
    assert stored.reviewer == local_identity().username
    add_user(store, "root", "admin", PASSWORD)
    with pytest.raises(InputError, match=f"^{re.escape(LOCAL_REFUSED)}$"):
        store.add_review(Review(run, "reject", "", "again"), today=TODAY)


def test_disabled_user_cannot_sign_in(team):
    disable_user(team, "bob")
    assert {u.username: u.disabled for u in users(team)}["bob"] is True
    with pytest.raises(InputError, match=f"^{BAD_CREDENTIALS}$"):
        authenticate_password(team, "bob", PASSWORD)


def test_revoked_token_no_longer_authenticates(team):
    info, token = add_token(team, "ci")
    revoke_token(team, info.token_id)
    with pytest.raises(InputError, match="the token is not valid"):
        authenticate_token(team, token)
    assert tokens(team)[0].revoked


def test_users_and_tokens_are_chained_and_verified(team):
    add_token(team, "ci")
    result = team.verify()
    assert result.ok, result.problem
    assert result.counts["rai_users"] == 4 and result.counts["rai_tokens"] == 1


def test_store_of_the_previous_version_is_refused_with_the_fix(tmp_path):
    import sqlite3

    from responsible_ai.store import ReviewStore

    path = tmp_path / "old.sqlite"
    ReviewStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:  # what the version before users and tokens had
        connection.execute("DROP TABLE rai_tokens")
    with pytest.raises(InputError, match="created by an older responsible-ai: it has no table"):
        ReviewStore(f"sqlite:///{path}")
    result = rai("store", "verify", "--store", f"sqlite:///{path}")
    assert result.returncode == 2
    assert result.stderr.endswith(
        "upgrade it in place with rai store upgrade (or move it aside and start a new one)\n"
    )


def test_without_argon2_the_fix_is_one_line(store, monkeypatch):
    import sys

    from responsible_ai.store import identity

    monkeypatch.undo()  # the real _hasher, which imports argon2
    monkeypatch.setitem(sys.modules, "argon2", None)
    with pytest.raises(InputError, match=re.escape(identity.NO_ARGON2)):
        add_user(store, "root", "admin", PASSWORD)
    assert identity.NO_ARGON2 == "passwords need argon2-cffi: pip install 'responsible-ai[service]'"


def test_the_command_line_offers_the_roles_the_store_knows():
    from responsible_ai.store import identity, service_cli

    assert service_cli.ROLES == identity.ROLES


def test_records_of_the_previous_schema_still_verify_once_columns_are_added(store, failing_report):
    """A migration adds the submitter and reviewer-role columns with their defaults: the hashes
    written before them (which never saw those columns) must still verify."""
    from sqlalchemy import text

    from responsible_ai.store.chain import record_hash
    from responsible_ai.store.store import REVIEW_OPTIONAL, RUN_COLUMNS, RUN_OPTIONAL

    run = store.save_run(failing_report)
    store.add_review(Review(run, "reject", "", "no"), today=TODAY)
    with store.engine.connect() as connection:
        row = dict(connection.execute(text("SELECT * FROM rai_runs")).mappings().one())
        review = dict(connection.execute(text("SELECT * FROM rai_reviews")).mappings().one())
    # a column at its default is not hashed (fail_on, set on every new run, is)
    old_run = {c: row[c] for c in RUN_COLUMNS if row[c] != RUN_OPTIONAL.get(c, object())}
    assert (
        record_hash(None, "rai_runs", old_run)
        == row["hash"]
        == record_hash(None, "rai_runs", {c: row[c] for c in RUN_COLUMNS}, RUN_OPTIONAL)
    )
    old_review = {c: v for c, v in review.items() if c not in REVIEW_OPTIONAL}
    assert old_review["reviewer"] == local_identity().username
    assert review["reviewer_role"] == "admin"  # not a default: hashed, so protected
    assert record_hash(None, "rai_reviews", old_review) != review["hash"]
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE rai_runs SET submitted_by = 'ci' WHERE id = 1"))
    assert store.verify().problem.startswith("run 1: its content does not match its hash")
