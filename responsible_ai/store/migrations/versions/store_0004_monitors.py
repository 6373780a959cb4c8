"""monitors: runs, windows, alerts, acknowledgements

Revision ID: store_0004
Revises: store_0003
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "store_0004"
down_revision: str | None = "store_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _chain() -> list[sa.Column]:
    return [
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "rai_monitor_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=True),
        sa.Column("data_sha256", sa.String(length=64), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.Column("counts_sha256", sa.String(length=64), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("profile_sha256", sa.String(length=64), nullable=False),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_role", sa.String(length=20), nullable=False),
        sa.Column("submitted_via", sa.String(length=40), nullable=False),
        *_chain(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("rai_monitor_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rai_monitor_runs_name"), ["name"], unique=False)
    op.create_table(
        "rai_monitor_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("monitor_run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("window", sa.String(length=40), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        *_chain(),
        sa.ForeignKeyConstraint(["monitor_run_id"], ["rai_monitor_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("rai_monitor_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rai_monitor_windows_monitor_run_id"), ["monitor_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rai_monitor_windows_name"), ["name"], unique=False)
    op.create_table(
        "rai_monitor_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("monitor_run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("alert_window", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        *_chain(),
        sa.ForeignKeyConstraint(["monitor_run_id"], ["rai_monitor_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("rai_monitor_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rai_monitor_alerts_monitor_run_id"), ["monitor_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rai_monitor_alerts_name"), ["name"], unique=False)
    op.create_table(
        "rai_monitor_acks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("reviewer_role", sa.String(length=20), nullable=False),
        sa.Column("reviewer_via", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        *_chain(),
        sa.ForeignKeyConstraint(["alert_id"], ["rai_monitor_alerts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("rai_monitor_acks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rai_monitor_acks_alert_id"), ["alert_id"], unique=False
        )


def downgrade() -> None:
    for table in (
        "rai_monitor_acks",
        "rai_monitor_alerts",
        "rai_monitor_windows",
        "rai_monitor_runs",
    ):
        op.drop_table(table)
