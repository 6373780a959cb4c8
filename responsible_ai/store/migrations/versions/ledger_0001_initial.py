"""The budget ledger's first schema: cap registrations, operations (chained) and their head.

What responsible-ai wrote before migrations existed: such a ledger has no version table
and is stamped at this revision by ``rai budget upgrade``.

Revision ID: ledger_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dp_budget_caps",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("cap", sa.Float(), nullable=False),
        sa.Column("previous_cap", sa.Float(), nullable=True),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index(op.f("ix_dp_budget_caps_dataset"), "dp_budget_caps", ["dataset"], unique=False)
    op.create_table(
        "dp_budget_ledger",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=500), nullable=False),
        sa.Column("mechanism", sa.String(length=100), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("sensitivity", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index(
        op.f("ix_dp_budget_ledger_dataset"), "dp_budget_ledger", ["dataset"], unique=False
    )
    op.create_table(
        "dp_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("key_check", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("dp_ledger_head")
    op.drop_index(op.f("ix_dp_budget_ledger_dataset"), table_name="dp_budget_ledger")
    op.drop_table("dp_budget_ledger")
    op.drop_index(op.f("ix_dp_budget_caps_dataset"), table_name="dp_budget_caps")
    op.drop_table("dp_budget_caps")
