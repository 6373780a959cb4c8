"""Schema versions of the review store and the budget ledger, and their upgrades (Alembic).

One migration environment, ``responsible_ai/store/migrations``, with one branch per database:
``store`` (runs, findings, reviews) and ``ledger`` (caps, operations). The two are separate
databases by default, but may share one; each records its revision in its own version table
(``rai_store_version``, ``dp_ledger_version``), so that neither mistakes the other's.

- A **new** database is created from the models and stamped with the newest revision of its
  branch, without Alembic (it is not a runtime dependency); the tests prove that the migrations
  build exactly the same schema (``alembic.autogenerate.compare_metadata``).
- Opening a database at an **older** revision refuses with ``run rai store upgrade`` (exit 2):
  a client never migrates a shared database by surprise, under a server still running the old
  schema. ``rai store upgrade`` / ``rai budget upgrade`` (Alembic, ``[service]`` extra) upgrade in
  place. A database written before migrations existed is at the first revision.
- A database at a revision this version does not know was upgraded by a newer responsible-ai.

A developer who changes a table writes the next revision with
``python -m responsible_ai.store.revision store -m "what changed"``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection

__all__ = [
    "LEDGER",
    "MIGRATIONS",
    "SCHEMAS",
    "STORE",
    "Schema",
    "alembic_config",
    "check_revision",
    "revision_of",
    "run_migrations",
    "stamp_new",
    "upgrade",
    "upgrade_url",
]

MIGRATIONS = Path(__file__).with_name("migrations")
OUT_OF_DATE = (
    "the {what} at {url} has an older schema (revision {current}; this version needs {head}): "
    "run {command} (with the same{flag} or {env})"
)
TOO_NEW = (
    "the {what} at {url} was upgraded by a newer responsible-ai (revision {current}, unknown "
    "to this version): upgrade responsible-ai"
)
NO_ALEMBIC = "{command} needs Alembic: pip install 'responsible-ai[service]'"
NOTHING_TO_UPGRADE = "no {what} at {url}: nothing to upgrade (check{flag} or {env})"
CANNOT_UPGRADE = (
    "cannot upgrade the {what} at {url}: {reason}; nothing was changed (the upgrade is one "
    "transaction)"
)
UPGRADED = "upgraded the {what} at {url} from revision {before} to {after}"
UP_TO_DATE = "the {what} at {url} is up to date (revision {after})"


@dataclass(frozen=True)
class Schema:
    """One database kind: its Alembic branch, its revisions (oldest first) and its tables."""

    what: str
    branch: str
    version_table: str
    revisions: tuple[str, ...]
    metadata: str  # "module:dotted.attribute" of a MetaData, or of a function returning one
    command: str
    flag: str
    env: str

    @property
    def head(self) -> str:
        return self.revisions[-1]

    def tables(self) -> MetaData:
        # Named, not imported: the ledger (privacy.dp) builds on the store, not the reverse.
        module, _, path = self.metadata.partition(":")
        found: Any = importlib.import_module(module)
        for name in path.split("."):
            found = getattr(found, name)
        return found() if callable(found) else found


#: Revisions must list every file of the branch in ``migrations/versions``, oldest first (a test
#: checks it), so that opening a database needs no Alembic.
STORE = Schema(
    what="review store",
    branch="store",
    version_table="rai_store_version",
    revisions=("store_0001", "store_0002", "store_0003", "store_0004"),
    metadata="responsible_ai.store.tables:Base.metadata",
    command="rai store upgrade",
    flag=" --store",
    env="RAI_STORE_URL",
)
LEDGER = Schema(
    what="budget ledger",
    branch="ledger",
    version_table="dp_ledger_version",
    revisions=("ledger_0001",),
    metadata="responsible_ai.privacy.dp.ledger_db:ledger_metadata",
    command="rai budget upgrade",
    flag=" --ledger",
    env="RAI_LEDGER_URL",
)
SCHEMAS = {schema.branch: schema for schema in (STORE, LEDGER)}


def _version_table(schema: Schema) -> Table:
    # The shape Alembic gives its version table, so that Alembic reads what is stamped here.
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

    return Table(
        schema.version_table,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{schema.version_table}_pkc"),
    )


def stamp_new(connection: Connection, schema: Schema) -> None:
    """Record that a database just created from the models is at the newest revision."""
    table = _version_table(schema)
    table.create(connection)
    connection.execute(table.insert().values(version_num=schema.head))


def revision_of(connection: Connection, schema: Schema) -> str:
    """The revision of an existing database; one without a version table is at the first."""
    from sqlalchemy import inspect, select

    if not inspect(connection).has_table(schema.version_table):
        return schema.revisions[0]
    table = _version_table(schema)
    found = connection.execute(select(table.c.version_num)).scalars().all()
    return found[0] if len(found) == 1 else ",".join(sorted(found)) or "none"


def check_revision(connection: Connection, schema: Schema, url: str) -> None:
    """Refuse a database whose schema is not the one this version writes (exit 2)."""
    current = revision_of(connection, schema)
    if current == schema.head:
        return
    fields = {"what": schema.what, "url": url, "current": current, "head": schema.head}
    if current in schema.revisions:
        raise InputError(
            OUT_OF_DATE.format(command=schema.command, flag=schema.flag, env=schema.env, **fields)
        )
    raise InputError(TOO_NEW.format(**fields))


def alembic_config(
    schema: Schema, connection: Connection | None = None, url: str | None = None
) -> Any:
    """Alembic's configuration in code: the migrations folder, the connection and the schema."""
    try:
        import alembic.command  # noqa: F401  (every caller runs a command next)
        from alembic.config import Config
    except ImportError:
        raise InputError(NO_ALEMBIC.format(command=schema.command)) from None
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")  # a folder name may hold a space
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def upgrade(connection: Connection, schema: Schema, url: str) -> tuple[str, str]:
    """Upgrade an existing database in place to the newest revision; returns (before, after).

    The caller commits. A database from before migrations is stamped at the first revision.
    """
    config = alembic_config(schema, connection)  # first: says how to install Alembic
    from alembic import command
    from sqlalchemy import inspect

    inspector = inspect(connection)
    tables = list(schema.tables().tables)
    if not any(inspector.has_table(name) for name in tables):
        raise InputError(
            NOTHING_TO_UPGRADE.format(what=schema.what, url=url, flag=schema.flag, env=schema.env)
        )
    if not any(inspector.has_table(name) for name in tables if name.endswith("_head")):
        from responsible_ai.store.head import LEGACY

        raise InputError(LEGACY.format(what=schema.what, url=url))  # from before the chain
    before = revision_of(connection, schema)
    if before not in schema.revisions:
        check_revision(connection, schema, url)  # raises TOO_NEW
    if not inspector.has_table(schema.version_table):
        command.stamp(config, before)
    command.upgrade(config, f"{schema.branch}@head")
    return before, revision_of(connection, schema)


def upgrade_url(url: str, schema: Schema, engine_for: Any) -> tuple[str, str]:
    """Upgrade the database at ``url`` in one transaction; returns (before, after) revisions.

    ``engine_for(url, create)`` makes the engine with the locking its writers use.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from responsible_ai.store.head import missing_sqlite_file
    from responsible_ai.store.secrets import mask_url, scrub

    shown = mask_url(url)
    if missing_sqlite_file(url):
        raise InputError(
            NOTHING_TO_UPGRADE.format(what=schema.what, url=shown, flag=schema.flag, env=schema.env)
        )
    try:
        engine = engine_for(url, True)
        try:
            with engine.connect() as connection, connection.begin():
                return upgrade(connection, schema, shown)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        reason = scrub(str(getattr(exc, "orig", None) or exc).splitlines()[0], url)
        raise InputError(
            CANNOT_UPGRADE.format(what=schema.what, url=shown, reason=reason)
        ) from None


def run_migrations(context: Any, schema: Schema) -> None:
    """The body of ``env.py``: run the branch of ``schema`` on the caller's connection (or, for
    a developer's ``alembic`` command, on ``sqlalchemy.url``)."""
    metadata = schema.tables()
    own = set(metadata.tables)

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in own  # the other branch's tables are not ours

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=schema.version_table,
            include_name=include_name,
            render_as_batch=True,  # SQLite alters a table by copying it
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        run(own_connection)
    engine.dispose()
