"""Whether anyone must log in, and so where ``rai app`` and ``rai serve`` may listen.

Like Jupyter, the servers bind the loopback interface unless told otherwise, and they refuse to
listen anywhere else while nobody has to authenticate: a review app open to the network without
login would let anyone approve a run. Authentication counts as configured when

- the review store has a users table with at least one enabled user (``rai users add``), or
- a Streamlit secrets file (``.streamlit/secrets.toml`` in the working directory, or in the home
  directory) has a non-empty ``[auth]`` section (OIDC login with ``st.login``).

Every check reads only; a store that does not exist is not created. Anything that cannot be read
counts as "not configured", so the answer errs on the side of refusing.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from responsible_ai.errors import InputError

__all__ = [
    "LOOPBACK",
    "REFUSE_UNAUTHENTICATED",
    "USERS_TABLE",
    "authentication_configured",
    "bind_address",
    "is_loopback",
    "secrets_files",
]

LOOPBACK = "127.0.0.1"
#: The table of ``rai users add``; a user is enabled unless its ``enabled`` column (when the table
#: has one) is false, or its ``disabled`` column is true.
USERS_TABLE = "rai_users"
REFUSE_UNAUTHENTICATED = (
    "refusing to serve on {address} without authentication: create a user with `rai users add` "
    "(or configure OIDC in .streamlit/secrets.toml), or bind 127.0.0.1"
)


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets by default: ``~/.streamlit`` and the working directory's."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def _oidc_configured(files: Sequence[Path]) -> bool:
    for file in files:
        try:
            with open(file, "rb") as handle:
                secrets = tomllib.load(handle)
        except (OSError, ValueError, UnicodeDecodeError):  # missing, unreadable, not TOML
            continue
        auth = secrets.get("auth")
        if isinstance(auth, dict) and auth:
            return True
    return False


def _enabled_users(store_url: str) -> int:
    from sqlalchemy import column, create_engine, inspect, select, table
    from sqlalchemy.exc import SQLAlchemyError

    from responsible_ai.store.head import missing_sqlite_file

    try:
        if missing_sqlite_file(store_url):  # never create a store just to look into it
            return 0
        engine = create_engine(store_url)
    except (SQLAlchemyError, ValueError, ImportError):  # a bad URL or a missing driver
        return 0
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if not inspector.has_table(USERS_TABLE):
                return 0
            columns = {column["name"] for column in inspector.get_columns(USERS_TABLE)}
            if not {"username", "disabled", "seq"} <= columns:
                return 0
            # Users are append-only records: a user's newest record says whether it is enabled.
            rows: Any = connection.execute(
                select(column("username"), column("disabled"))
                .select_from(table(USERS_TABLE))
                .order_by(column("seq"))
            )
            newest = {str(name): bool(disabled) for name, disabled in rows}
            return sum(1 for disabled in newest.values() if not disabled)
    except (SQLAlchemyError, ValueError):
        return 0
    finally:
        engine.dispose()


def authentication_configured(store_url: str, secrets: Sequence[Path] | None = None) -> bool:
    """Whether anyone who reaches the app or the API must log in first.

    Parameters
    ----------
    store_url : str
        SQLAlchemy URL of the review store.
    secrets : list of paths, optional
        Streamlit secrets files to look in (default: :func:`secrets_files`).
    """
    files = secrets_files() if secrets is None else secrets
    return _oidc_configured(files) or _enabled_users(store_url) > 0


def is_loopback(address: str) -> bool:
    """Whether ``address`` reaches only this machine (``localhost``, ``127.0.0.0/8``, ``::1``).

    Any other name counts as reachable from outside: what it resolves to is not known here.
    """
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_address(address: str | None, store_url: str) -> str:
    """The address to listen on: loopback by default, another one only with authentication.

    Raises
    ------
    InputError
        ``address`` is not a loopback address and nobody has to log in.
    """
    if address is None:
        return LOOPBACK
    host = address.strip()
    if is_loopback(host):
        return host.strip("[]")  # servers take ::1, not the URL form [::1]
    if authentication_configured(store_url):
        return host
    shown = host or "all interfaces"
    raise InputError(REFUSE_UNAUTHENTICATED.format(address=shown))
