"""Shared fixtures: paths to the shipped policies and sample data, small frames, and databases
(a SQLite file, or a database on a throwaway PostgreSQL server) for the store and the ledger."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer, find_bindir

ROOT = Path(__file__).resolve().parents[1]
NO_POSTGRES = (
    "PostgreSQL is not installed ({missing}): apt-get install postgresql, and "
    "pip install -e '.[dev]' for psycopg; CI installs both (.ci/run)"
)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def policies_dir() -> Path:
    return ROOT / "policies"


@pytest.fixture(scope="session")
def german_csv() -> Path:
    return ROOT / "sample_data" / "german_credit.csv"


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Restore ``sys.modules["__main__"]`` after each test.

    Streamlit's AppTest runs the app script as ``__main__`` and leaves it there; processes that
    a later test spawns would then re-run the app script on start-up and fail.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session; skipped where none is installed, except in
    CI, where a missing server fails the run (a green CI must have tested PostgreSQL)."""
    bindir = find_bindir()
    missing = None if bindir else "no pg_ctl under /usr/lib/postgresql/*/bin"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = missing or "the psycopg driver is missing"
    if missing or bindir is None:
        message = NO_POSTGRES.format(missing=missing)
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file, or a database on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.new_database()
    yield url
    server.drop_database(url)  # keeps the server's folder small, so the session ends fast
