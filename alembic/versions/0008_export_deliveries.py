"""Export deliveries: one per (execution, destination), resumable batches, and the execution's export error.

Revision ID: 0008_export_deliveries
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008_export_deliveries"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("export_error", sa.Text(), nullable=True))
    with op.batch_alter_table("export_destinations") as batch:
        batch.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("rows", sa.String(16), nullable=False, server_default="all"))
        batch.add_column(sa.Column("batches_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rows_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_index("ix_deliveries_org_id_execution_id")
        batch.create_unique_constraint(
            "uq_deliveries_org_id_execution_id_destination_id", ["org_id", "execution_id", "destination_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_org_id_execution_id_destination_id", type_="unique")
        batch.create_index("ix_deliveries_org_id_execution_id", ["org_id", "execution_id"])
        batch.drop_column("rows_sent")
        batch.drop_column("batches_sent")
        batch.drop_column("rows")
    with op.batch_alter_table("export_destinations") as batch:
        batch.drop_column("disabled_reason")
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("export_error")
