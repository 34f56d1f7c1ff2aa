"""The execution pipeline: ordered log lines, the tasks to revoke on cancel, and each page's rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("log_seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("task_ids", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("step_index", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rows", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("rows")
        batch.drop_column("step_index")
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("task_ids")
        batch.drop_column("log_seq")
