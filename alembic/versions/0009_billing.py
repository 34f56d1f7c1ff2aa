"""Billing: webhook events applied once, a downgrade that waits for the next period, Toss billing keys.

Revision ID: 0009_billing
Revises: 0008_export_deliveries
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009_billing"
down_revision: str | None = "0008_export_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "event_id"),
    )
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("pending_plan", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("pending_plan_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("billing_key_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("billing_key_sealed")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("pending_plan_at")
        batch.drop_column("pending_plan")
    op.drop_table("billing_events")
