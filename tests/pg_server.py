"""A throwaway PostgreSQL server for the tests: initdb into a temp directory, pg_ctl start, stop.

Debian's ``postgresql`` package (installed by ``.ci/run``) provides the binaries under
``/usr/lib/postgresql/<version>/bin``. The server refuses to run as root, so as root every server
command runs as the ``postgres`` user (``runuser``); otherwise it runs as the current user. It
listens on 127.0.0.1 only, on a free port, with a password (so URLs in tests hold a secret that
messages must hide), fsync off, and is removed at the end of the session, on failure too.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["BINARIES_GLOB", "PostgresServer", "find_bindir"]

BINARIES_GLOB = "/usr/lib/postgresql/*/bin"
USER = "rai"


def find_bindir() -> Path | None:
    """The bin folder of the newest installed PostgreSQL, or None."""
    found = [Path(p) for p in glob.glob(BINARIES_GLOB) if (Path(p) / "pg_ctl").is_file()]
    on_path = shutil.which("pg_ctl")
    if not found and on_path:
        return Path(on_path).parent
    return max(found, key=lambda p: int(p.parent.name)) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server in a temp directory; :meth:`new_database` gives each test its own database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.version = int(bindir.parent.name) if bindir.parent.name.isdigit() else 0
        self.root = Path(tempfile.mkdtemp(prefix="rai-pg-"))
        self.data = self.root / "data"
        self.password = secrets.token_urlsafe(16)
        self.port = _free_port()
        self._count = 0
        self._running = False
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._run_as:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        atexit.register(self.stop)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._run_as, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresServer:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self._run_as:
            shutil.chown(pwfile, "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c wal_level=minimal -c max_wal_senders=0"
        )
        self._running = True
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of the database ``template`` (its URL; nobody may
        be connected to it); returns its SQLAlchemy URL."""
        from sqlalchemy.engine import make_url

        self._count += 1
        name = f"t{os.getpid()}_{self._count}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        # FILE_COPY (PostgreSQL 15+) copies the template's files: twice as fast as the
        # default of writing every page through the WAL.
        copy += " STRATEGY FILE_COPY" if self.version >= 15 else ""
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`new_database`, closing what is still connected."""
        from sqlalchemy.engine import make_url

        force = " WITH (FORCE)" if self.version >= 13 else ""
        with self._admin() as connection:
            connection.execute(
                f'DROP DATABASE IF EXISTS "{make_url(url).database}"{force}'.encode()
            )

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def stop(self) -> None:
        """Stop the server and remove its directory; safe to call twice."""
        if self._running:
            self._running = False
            with contextlib.suppress(Exception):
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
                )
        shutil.rmtree(self.root, ignore_errors=True)
