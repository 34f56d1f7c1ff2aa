"""Organization settings: a JSON document for organization-wide options (its own LLM key, sealed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("settings", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("settings")
