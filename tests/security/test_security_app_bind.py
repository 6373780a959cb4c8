"""`rai app` listens on this machine only unless someone must log in (issue 12, item 8).

Attack: a review app reachable from the network without login lets anyone approve any run. The
server must bind the loopback interface by default and refuse any other address, in one line with
exit 2 and before Streamlit starts, until authentication is configured.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.store import ReviewStore
from responsible_ai.store import cli as store_cli
from responsible_ai.store.auth_config import REFUSE_UNAUTHENTICATED, bind_address
from responsible_ai.store.people import add_user


@pytest.fixture
def started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the Streamlit command lines ``rai app`` would run, instead of running them."""
    from streamlit.web import cli as streamlit_cli

    calls: list[list[str]] = []
    monkeypatch.setattr(streamlit_cli, "main", lambda args, prog_name: calls.append(list(args)))
    monkeypatch.setattr(store_cli, "_warm_sample", lambda: None)
    monkeypatch.setattr(store_cli, "_start_sample_helper", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.streamlit/secrets.toml
    monkeypatch.setenv("RAI_HOME", str(tmp_path / "rai"))
    monkeypatch.delenv("RAI_STORE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return calls


def _address(command: list[str]) -> str:
    return next(a.split("=", 1)[1] for a in command if a.startswith("--server.address="))


def _store_with_user(path: Path) -> str:
    url = f"sqlite:///{path}"
    add_user(ReviewStore(url), "root", "admin", "a long admin password")
    return url


def test_the_default_is_loopback(started: list[list[str]]) -> None:
    assert main(["app", "--headless"]) == 0
    assert [_address(command) for command in started] == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("0.0.0.0", "0.0.0.0"),
        ("::", "::"),
        ("", "all interfaces"),
        ("192.168.1.20", "192.168.1.20"),
        ("example.org", "example.org"),
        ("localhost.example.org", "localhost.example.org"),
        ("127.0.0.1.nip.io", "127.0.0.1.nip.io"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ],
)
def test_any_other_address_is_refused_without_authentication(
    started: list[list[str]], capsys: pytest.CaptureFixture[str], address: str, shown: str
) -> None:
    assert main(["app", "--headless", "--address", address]) == 2
    expected = REFUSE_UNAUTHENTICATED.format(address=shown)
    assert capsys.readouterr().err == f"rai: error: {expected}\n"
    assert started == []  # Streamlit never started


@pytest.mark.parametrize(
    ("address", "bound"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2"),
        ("localhost", "localhost"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        (" 127.0.0.1 ", "127.0.0.1"),
    ],
)
def test_loopback_addresses_need_no_authentication(
    started: list[list[str]], address: str, bound: str
) -> None:
    assert main(["app", "--headless", "--address", address]) == 0
    assert [_address(command) for command in started] == [bound]


def test_an_enabled_user_in_the_store_allows_the_network(
    started: list[list[str]], tmp_path: Path
) -> None:
    url = _store_with_user(tmp_path / "store.sqlite")
    assert main(["app", "--headless", "--address", "0.0.0.0", "--store-url", url]) == 0
    assert [_address(command) for command in started] == ["0.0.0.0"]


def test_oidc_in_the_working_directory_allows_the_network(
    started: list[list[str]], tmp_path: Path
) -> None:
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "https://rai.example.org/oauth2callback"\ncookie_secret = "s"\n'
    )
    assert main(["app", "--headless", "--address", "0.0.0.0"]) == 0
    assert [_address(command) for command in started] == ["0.0.0.0"]


def test_the_store_named_by_the_environment_is_the_one_asked(
    started: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAI_STORE_URL", _store_with_user(tmp_path / "team.sqlite"))
    assert main(["app", "--headless", "--address", "0.0.0.0"]) == 0
    assert [_address(command) for command in started] == ["0.0.0.0"]


def test_bind_address_is_what_rai_serve_calls(started: list[list[str]], tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'absent.sqlite'}"
    assert bind_address(None, empty) == "127.0.0.1"
    refused = re.escape(REFUSE_UNAUTHENTICATED.format(address="0.0.0.0"))
    with pytest.raises(InputError, match=f"^{refused}$"):
        bind_address("0.0.0.0", empty)
    assert bind_address("0.0.0.0", _store_with_user(tmp_path / "store.sqlite")) == "0.0.0.0"
