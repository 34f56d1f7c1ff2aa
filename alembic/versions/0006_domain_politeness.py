"""Domain politeness shared by worker processes: requests in flight per domain (`domain_slots`, leases that
expire so a dead worker's slots come back) and the pace of request starts per domain (`domain_pacing`).

Used in single-machine mode; scale-out keeps the same state in Redis. Not tenant-owned: a site's limits
hold for every organization together.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_slots",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
    )
    op.create_index("ix_domain_slots_domain_expires_at", "domain_slots", ["domain", "expires_at"])
    op.create_table(
        "domain_pacing",
        sa.Column("domain", sa.String(255), primary_key=True),
        sa.Column("next_start", sa.Double(), nullable=False),
        sa.Column("delay", sa.Double(), nullable=False),
        sa.Column("crawl_delay", sa.Double(), nullable=False),
        sa.Column("pause_until", sa.Double(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("domain_pacing")
    op.drop_index("ix_domain_slots_domain_expires_at", table_name="domain_slots")
    op.drop_table("domain_slots")
