"""Developers' tool: write the next schema migration of the review store or the budget ledger.

``python -m responsible_ai.store.revision store -m "users and tokens"`` compares the models with a
database at the branch's newest revision and writes ``migrations/versions/store_000N_*.py``.
Needs Alembic (the ``dev`` or ``service`` extra).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from responsible_ai.store.migrate import SCHEMAS, alembic_config

__all__ = ["main", "write_revision"]


def write_revision(branch: str, message: str) -> None:
    """Autogenerate the next revision of ``branch`` against a database at its current head."""
    import tempfile

    from alembic import command
    from sqlalchemy import create_engine

    schema = SCHEMAS[branch]
    migrate_file = Path(__file__).with_name("migrate.py")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'head.sqlite'}"
        engine = create_engine(url)
        with engine.begin() as connection:
            command.upgrade(alembic_config(schema, connection), f"{branch}@head")
            # Autogenerate wants the database at every head; the other branch's is only
            # recorded (its tables are not this branch's to compare).
            command.stamp(alembic_config(schema, connection), "heads")
        number = len(schema.revisions) + 1
        with engine.begin() as connection:
            command.revision(
                alembic_config(schema, connection),
                message=message,
                autogenerate=True,
                head=f"{branch}@head",
                rev_id=f"{branch}_{number:04d}",
            )
        engine.dispose()
    print(f"add '{branch}_{number:04d}' to the revisions of {branch.upper()} in {migrate_file}")


def main(argv: list[str] | None = None) -> None:
    """``python -m responsible_ai.store.revision {store,ledger} -m MESSAGE``."""
    parser = argparse.ArgumentParser(
        prog="python -m responsible_ai.store.revision",
        description="Write the next migration of a branch from the difference between its "
        "models and its newest revision; then add the printed id to the revisions of the "
        "branch in responsible_ai/store/migrate.py, and run ruff format.",
    )
    parser.add_argument("branch", choices=sorted(SCHEMAS))
    parser.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    write_revision(args.branch, args.message)


if __name__ == "__main__":
    main()
