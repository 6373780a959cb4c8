"""Alembic environment of the review store and the budget ledger (see responsible_ai.store.migrate).

Configured in code: the caller passes the open connection and the schema (branch, version table)
in ``config.attributes``; no alembic.ini.
"""

from alembic import context

from responsible_ai.store.migrate import STORE, run_migrations

run_migrations(context, context.config.attributes.get("schema") or STORE)
