"""`authentication_configured`: a users table with an enabled user, or OIDC in secrets.toml."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from responsible_ai.store import ReviewStore
from responsible_ai.store.auth_config import authentication_configured
from responsible_ai.store.people import add_user, disable_user


def _old_store(path: Path) -> str:
    with sqlite3.connect(path) as connection:  # a store from before users existed
        connection.execute("CREATE TABLE rai_runs (id INTEGER PRIMARY KEY)")
    connection.close()
    return f"sqlite:///{path}"


def test_a_store_without_a_users_table_counts_as_no_authentication(tmp_path: Path) -> None:
    assert authentication_configured(_old_store(tmp_path / "s.sqlite"), secrets=[]) is False


def test_the_newest_record_of_each_user_decides(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = ReviewStore(url)
    assert authentication_configured(url, secrets=[]) is False  # no user yet
    add_user(store, "root", "admin", "a long admin password")
    assert authentication_configured(url, secrets=[]) is True
    disable_user(store, "root")
    # Disabling appends a record; the older, enabled record of root no longer counts.
    assert authentication_configured(url, secrets=[]) is False
    add_user(store, "ana", "reviewer", "another long password")
    assert authentication_configured(url, secrets=[]) is True


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    store = tmp_path / "none" / "store.sqlite"
    assert authentication_configured(f"sqlite:///{store}", secrets=[]) is False
    assert not store.exists() and not store.parent.exists()


@pytest.mark.parametrize(
    "url", ["not a url", "postgresql+nodriver://u:p@127.0.0.1:1/x", "sqlite:///{tmp}/junk.sqlite"]
)
def test_an_unusable_store_counts_as_no_authentication(tmp_path: Path, url: str) -> None:
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database" * 100)
    assert authentication_configured(url.format(tmp=tmp_path), secrets=[]) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n'
            'cookie_secret = "x"\nclient_id = "id"\n',
            True,
        ),
        ('[auth.google]\nclient_id = "id"\n', True),
        ("[auth]\n", False),
        ('[connections]\nurl = "x"\n', False),
        ("[auth\nbroken", False),
        ("\udcff", False),
    ],
    ids=["auth", "auth-provider", "empty-auth", "no-auth", "not-toml", "not-utf8"],
)
def test_oidc_in_streamlit_secrets_counts(tmp_path: Path, text: str, expected: bool) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_bytes(text.encode("utf-8", "surrogateescape"))
    url = f"sqlite:///{tmp_path / 'absent.sqlite'}"
    assert authentication_configured(url, secrets=[tmp_path / "missing.toml", secrets]) is expected


def test_the_default_secrets_are_the_working_directory_and_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    for folder in (home, work):
        (folder / ".streamlit").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    url = f"sqlite:///{tmp_path / 'absent.sqlite'}"
    assert authentication_configured(url) is False
    (work / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "id"\n')
    assert authentication_configured(url) is True
    (work / ".streamlit" / "secrets.toml").unlink()
    (home / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "id"\n')
    assert authentication_configured(url) is True
