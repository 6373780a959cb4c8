"""Schema migrations (Alembic) of the review store and the budget ledger, on SQLite and
PostgreSQL: the migrations build exactly the models' schema, so a table changed without a new
migration fails here; an older store is refused with the fix and upgraded in place."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from responsible_ai.cli import main
from responsible_ai.errors import InputError
from responsible_ai.privacy.dp import BudgetLedger
from responsible_ai.review import Review
from responsible_ai.store import ReviewStore, migrate
from responsible_ai.store.migrate import LEDGER, STORE, TOO_NEW, Schema

SCHEMAS = [pytest.param(STORE, id="store"), pytest.param(LEDGER, id="ledger")]
#: A second store revision, as a developer would write it: one new column.
NEXT = f"store_{len(STORE.revisions) + 1:04d}"
NEXT_REVISION = f"""
import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = "{STORE.head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rai_runs") as batch:
        batch.add_column(sa.Column("note", sa.String(200), nullable=True))


def downgrade():
    with op.batch_alter_table("rai_runs") as batch:
        batch.drop_column("note")
"""


def differences(connection, schema: Schema) -> list:
    own = set(schema.tables().tables)
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parents: kind != "table" or name in own,
        },
    )
    return compare_metadata(context, schema.tables())


@pytest.mark.parametrize("schema", SCHEMAS)
def test_migrations_build_exactly_the_models_schema(store_url: str, schema: Schema) -> None:
    engine = create_engine(store_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(schema, connection), f"{schema.branch}@head")
    with engine.connect() as connection:
        assert differences(connection, schema) == []  # a table changed without a migration
        assert migrate.revision_of(connection, schema) == schema.head
        # Only this branch's tables: the store and the ledger may share one database.
        other = LEDGER if schema is STORE else STORE
        assert not set(inspect(connection).get_table_names()) & set(other.tables().tables)
    engine.dispose()


@pytest.mark.parametrize("schema", SCHEMAS)
def test_revisions_known_to_the_code_are_the_branch_history(schema: Schema) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(schema))
    history = [r.revision for r in script.iterate_revisions(f"{schema.branch}@head", "base")]
    assert tuple(reversed(history)) == schema.revisions


def test_a_new_store_and_ledger_are_at_the_newest_revision(store_url: str) -> None:
    ReviewStore(store_url).close()
    BudgetLedger(store_url).register("adult", 1.0, who="steward")  # one database for both
    engine = create_engine(store_url)
    with engine.connect() as connection:
        for schema in (STORE, LEDGER):
            assert migrate.revision_of(connection, schema) == schema.head
            assert differences(connection, schema) == []
    engine.dispose()


def _next_version(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Schema:
    """The code of a 'next version' of responsible-ai: one more store revision."""
    migrations = folder / "migrations"
    shutil.copytree(migrate.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    (migrations / "versions" / f"{NEXT}_note.py").write_text(NEXT_REVISION)
    newer = dataclasses.replace(STORE, revisions=(*STORE.revisions, NEXT))
    monkeypatch.setattr(migrate, "MIGRATIONS", migrations)
    monkeypatch.setattr(migrate, "STORE", newer)
    monkeypatch.setattr("responsible_ai.store.store.STORE", newer)
    return newer


def test_an_older_store_is_refused_with_the_fix_then_upgraded_in_place(
    store_url: str, failing_report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    store = ReviewStore(store_url)
    run = store.save_run(failing_report)
    store.add_review(Review(run, "reject", "Ada", "no"))
    head_before = store.verify().head
    store.close()
    newer = _next_version(monkeypatch, tmp_path)
    shown = ReviewStore.__new__(ReviewStore)
    shown.url = store_url
    expected = (
        f"rai: error: the review store at {shown.display_url} has an older schema (revision "
        f"{STORE.head}; this version needs {NEXT}): run rai store upgrade (with the same "
        "--store or RAI_STORE_URL)\n"
    )
    for args in (
        ["store", "runs", "--store", store_url],
        ["store", "verify", "--store", store_url],
    ):
        assert main(args) == 2
        assert capsys.readouterr().err == expected

    assert main(["store", "upgrade", "--store", store_url]) == 0
    assert capsys.readouterr().out == (
        f"upgraded the review store at {shown.display_url} from revision {STORE.head} to {NEXT}\n"
    )
    engine = create_engine(store_url)
    with engine.connect() as connection:
        assert migrate.revision_of(connection, newer) == NEXT
        assert "note" in {c["name"] for c in inspect(connection).get_columns("rai_runs")}
    engine.dispose()
    store = ReviewStore(store_url)  # the records survived, and their chain with them
    assert store.verify(expect_head=head_before).ok
    assert [r.decision for r in store.reviews()] == ["reject"]
    store.close()
    assert main(["store", "upgrade", "--store", store_url]) == 0
    assert f"is up to date (revision {NEXT})" in capsys.readouterr().out


def test_a_store_from_a_newer_version_is_refused(store_url: str) -> None:
    ReviewStore(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE rai_store_version SET version_num = 'store_0999'"))
    engine.dispose()
    shown = ReviewStore.__new__(ReviewStore)
    shown.url = store_url
    message = TOO_NEW.format(what="review store", url=shown.display_url, current="store_0999")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        ReviewStore(store_url)


#: A store written by the version before migrations (and before users and tokens): one run of
#: the German sample with 11 findings and one review; the head its `rai store verify` printed.
ISSUE10_STORE = Path(__file__).parents[1] / "fixtures" / "stores" / "issue10-store.sqlite"
ISSUE10_HEAD = "f8db0b498df466c4c585368bcfe90892308e796c60bd29b25194ba1c49165f7a"


def test_a_store_from_before_migrations_is_upgraded_in_place(tmp_path: Path, capsys) -> None:
    copy = tmp_path / "store.sqlite"
    shutil.copyfile(ISSUE10_STORE, copy)
    url = f"sqlite:///{copy}"
    assert main(["store", "runs", "--store", url]) == 2
    assert "run rai store upgrade" in capsys.readouterr().err
    assert main(["store", "upgrade", "--store", url]) == 0
    assert f"from revision store_0001 to {STORE.head}" in capsys.readouterr().out
    # The records, their chain and the head kept elsewhere all survive the upgrade.
    assert main(["store", "verify", "--store", url, "--expect-head", ISSUE10_HEAD]) == 0
    store = ReviewStore(url)
    assert [r.reviewer for r in store.reviews()] == ["Ada"]
    assert len(store.runs()) == 1
    store.close()


def test_ledger_upgrade_command(store_url: str, capsys) -> None:
    BudgetLedger(store_url).register("adult", 1.0, who="steward")
    assert main(["budget", "upgrade", "--ledger", store_url]) == 0
    assert "budget ledger" in capsys.readouterr().out


def test_upgrade_of_nothing_exits_2_and_creates_nothing(tmp_path: Path, capsys) -> None:
    target = tmp_path / "none.sqlite"
    assert main(["store", "upgrade", "--store", f"sqlite:///{target}"]) == 2
    assert capsys.readouterr().err == (
        f"rai: error: no review store at sqlite:///{target}: nothing to upgrade (check --store "
        "or RAI_STORE_URL)\n"
    )
    assert not target.exists()


def runs_with_a_note():
    """The store's models as a developer changed them: a new column on runs."""
    from sqlalchemy import Column, MetaData, String

    metadata = MetaData()
    for table in STORE.tables().sorted_tables:
        copy = table.to_metadata(metadata)
        if table.name == "rai_runs":
            copy.append_column(Column("note", String(200), nullable=True))
    return metadata


def test_the_next_migration_is_written_by_one_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from responsible_ai.store import revision

    migrations = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", migrations)
    changed = dataclasses.replace(STORE, metadata=f"{__name__}:runs_with_a_note")
    monkeypatch.setitem(revision.SCHEMAS, "store", changed)
    revision.main(["store", "-m", "runs get a note"])
    assert f"add '{NEXT}' to the revisions of STORE" in capsys.readouterr().out
    written = (migrations / "versions" / f"{NEXT}_runs_get_a_note.py").read_text()
    assert f"down_revision: str | None = '{STORE.head}'" in written
    assert "batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))" in written
    assert "ledger" not in written  # the other branch's tables are not compared


def test_upgrade_without_alembic_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    ReviewStore(url).close()  # opening and creating a store need no Alembic
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    ReviewStore(url).close()
    assert main(["store", "upgrade", "--store", url]) == 2
    assert capsys.readouterr().err == (
        "rai: error: rai store upgrade needs Alembic: pip install 'responsible-ai[service]'\n"
    )


def test_a_store_from_before_the_chain_is_not_upgraded(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE rai_reviews (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    assert main(["store", "upgrade", "--store", url]) == 2
    assert "written by an older responsible-ai without the record chain" in capsys.readouterr().err
