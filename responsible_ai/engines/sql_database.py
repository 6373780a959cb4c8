"""Which database the sql engine reads, with its password kept out of sight, and which table.

The URL comes from ``audit(..., url=...)`` (a string, a SQLAlchemy ``URL`` or ``Engine``), from
``$RAI_SQL_URL``, or on the command line from ``--url-file FILE`` (readable by its owner only) or
``--url`` (without a password: a command line is visible to every user of the machine; the
password then comes from ``$PGPASSWORD`` or ``~/.pgpass``, which PostgreSQL's client reads by
itself). Every message shows the URL with its password masked (SQLAlchemy's
``render_as_string(hide_password=True)``) and driver messages are scrubbed of it.

A table is found by name among the database's tables and views (``schema.table`` for another
schema) before anything else is asked of the database: only names the database itself reported
are ever put into a query, and then as identifiers quoted by the dialect.
"""

from __future__ import annotations

import difflib
import os
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "URL_ENV",
    "Database",
    "connect",
    "files_read",
    "find_table",
    "open_database",
    "reason_of",
    "url_from_command_line",
]

#: Where the sql engine finds its database URL when none is given.
URL_ENV = "RAI_SQL_URL"
MAX_URL_BYTES = 4096

NO_URL = (
    "the sql engine needs a database URL: --url-file FILE (or $RAI_SQL_URL) holding "
    "postgresql://user:password@host/db, or --url without a password plus $PGPASSWORD"
)
PASSWORD_ON_COMMAND_LINE = (
    "--url holds a password, which every user of this machine can read (ps, shell history): "
    "put the URL in a file given by --url-file (chmod 600) or in $RAI_SQL_URL, or leave the "
    "password out of --url and set PGPASSWORD"
)
BOTH_URLS = "give the database URL once: --url or --url-file, not both"
URL_FILE_BAD = "the URL file {path} {problem}; write the URL on one line into a regular file"
URL_FILE_OPEN = (
    "the URL file {path} holds a password and is readable by group or others (mode {mode:03o}); "
    "run: chmod 600 {quoted}"
)
BAD_URL = (
    "{url!r} is not a database URL SQLAlchemy knows ({reason}); e.g. postgresql://user@host/db"
)
NO_DRIVER = "no driver for {url}: {reason}; install it (PostgreSQL: pip install 'psycopg[binary]')"
NO_SQLITE_FILE = "there is no SQLite database file at {path}; give the path of an existing file"
CANNOT_CONNECT = "cannot connect to the database at {url}: {reason}"
NO_TABLE = "there is no table or view {table!r} in the database at {url}{hint}"


@dataclass
class Database:
    """An open SQLAlchemy engine, the URL to show (password masked) and the secret to hide.

    ``owned``: the engine was made here (from a URL) and is disposed of by :meth:`close`; an
    ``Engine`` the caller passed stays open.
    """

    engine: Engine
    masked: str
    secret: str = field(repr=False)
    owned: bool

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()


def url_from_command_line(url: str | None, url_file: str | None) -> str | None:
    """The URL of ``--url`` (refused with a password) or of ``--url-file``; None: neither.

    Raises
    ------
    InputError
        Both given, a password in ``--url``, or a URL file that is not one line in a regular
        file readable by its owner only.
    """
    if url and url_file:
        raise InputError(BOTH_URLS)
    if url:
        from sqlalchemy.engine import make_url

        try:
            has_password = bool(make_url(url).password)
        except Exception:
            has_password = ":" in url.partition("//")[2].rpartition("@")[0]
        if has_password:
            raise InputError(PASSWORD_ON_COMMAND_LINE)
        return url
    if url_file:
        return _read_url_file(Path(url_file))
    return None


def files_read(url: str | None, url_file: str | None) -> list[tuple[str, str]]:
    """``(role, path)`` of the files behind ``--url`` / ``--url-file``, which ``--output`` must
    never replace: the URL file, and a SQLite database file."""
    found = [("database URL file", url_file)] if url_file else []
    if url and url.strip().lower().startswith("sqlite"):
        from sqlalchemy.engine import make_url

        try:
            database = make_url(url.strip()).database
        except Exception:
            database = None
        if database and database != ":memory:":
            found.append(("SQLite database file", str(Path(database).expanduser())))
    return found


def _read_url_file(path: Path) -> str:
    try:
        # O_NONBLOCK: a FIFO with no writer must not hang the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(URL_FILE_BAD.format(path=path, problem=error.strerror)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(URL_FILE_BAD.format(path=path, problem="is not a regular file"))
        content = os.read(fd, MAX_URL_BYTES + 1)
    finally:
        os.close(fd)
    lines = [line.strip() for line in content.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    if len(content) > MAX_URL_BYTES or len(lines) != 1:
        raise InputError(URL_FILE_BAD.format(path=path, problem="is not one line of text"))
    text = lines[0]
    from sqlalchemy.engine import make_url

    try:
        secret = bool(make_url(text).password)
    except Exception:
        secret = True  # unparsable: judged by the file's mode as if it held a password
    if secret and os.name == "posix" and info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise InputError(URL_FILE_OPEN.format(path=path, mode=mode, quoted=shlex.quote(str(path))))
    return text


def open_database(url: Any) -> Database:
    """An engine for ``url`` (a string, a SQLAlchemy ``URL`` or ``Engine``; None: ``$RAI_SQL_URL``).

    A SQLite file is opened read-only and must exist; a PostgreSQL connection gives up after
    10 seconds. Nothing is connected yet.

    Raises
    ------
    InputError
        No URL, a URL SQLAlchemy cannot parse, a missing driver, a missing SQLite file.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import URL, Engine, make_url
    from sqlalchemy.pool import NullPool

    if isinstance(url, Engine):
        shown = url.url.render_as_string(hide_password=True)
        return Database(url, shown, str(url.url.password or ""), owned=False)
    if url is None:
        url = os.environ.get(URL_ENV) or None
        if url is None:
            raise InputError(NO_URL)
    try:
        parsed = url if isinstance(url, URL) else make_url(str(url).strip())
    except Exception as error:
        from responsible_ai.store.secrets import mask_url

        shown = mask_url(str(url))
        raise InputError(BAD_URL.format(url=shown, reason=type(error).__name__)) from None
    shown = parsed.render_as_string(hide_password=True)
    secret = str(parsed.password or "")
    options: dict[str, Any] = {"poolclass": NullPool}
    if parsed.get_backend_name() == "sqlite":
        options["creator"] = _read_only_sqlite(parsed.database)
    elif parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **options)
    except Exception as error:  # unknown dialect, driver not installed
        raise InputError(
            NO_DRIVER.format(url=shown, reason=reason_of(error, secret, shown))
        ) from None
    return Database(engine, shown, secret, owned=True)


def _read_only_sqlite(database: str | None) -> Any:
    import sqlite3
    from urllib.parse import quote

    if not database or database == ":memory:" or not Path(database).expanduser().is_file():
        raise InputError(NO_SQLITE_FILE.format(path=database or "(none given)"))
    uri = "file:" + quote(str(Path(database).expanduser().resolve())) + "?mode=ro"
    return lambda: sqlite3.connect(uri, uri=True)


def reason_of(error: BaseException, secret: str, shown: str) -> str:
    """A driver's error on one line, without the SQL, the password or the URL's secret."""
    from responsible_ai.store.secrets import scrub

    original = getattr(error, "orig", None) or error
    text = str(original).strip() or type(original).__name__
    text = scrub(text, shown)
    if secret:
        from urllib.parse import quote

        for form in (secret, quote(secret, safe="")):
            text = text.replace(form, "***")
    return text[:300]


def connect(database: Database) -> Connection:
    """A connection, in a read-only transaction where the database offers one (PostgreSQL)."""
    try:
        connection = database.engine.connect()
    except Exception as error:
        reason = reason_of(error, database.secret, database.masked)
        raise InputError(CANNOT_CONNECT.format(url=database.masked, reason=reason)) from None
    if database.dialect == "postgresql":
        connection = connection.execution_options(postgresql_readonly=True)
    return connection


def find_table(connection: Connection, name: str, shown: str) -> tuple[str | None, str]:
    """``(schema, table)`` of ``name``, as the database itself lists them.

    ``name`` is a table or view of the default schema, else ``schema.table``.

    Raises
    ------
    InputError
        No such table or view, with the closest name the database has.
    """
    from sqlalchemy import inspect

    inspector = inspect(connection)

    def listed(schema: str | None) -> list[str]:
        return [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]

    here = listed(None)
    if name in here:
        return None, name
    schema, dot, table = name.partition(".")
    if dot and schema in inspector.get_schema_names() and table in listed(schema):
        return schema, table
    close = difflib.get_close_matches(name, here, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(NO_TABLE.format(table=name, url=shown, hint=hint))
