"""LLM memory: the organization's cache of model answers, and the selectors each bot learned from them.

`llm_answers` holds the model's rows per (organization, cache key), the key hashing the page's content,
the fields, the instructions and the model, so an unchanged page costs no tokens on any later run.
`learned_selectors` holds one document per (organization, bot, `llm_extract` node): the page templates
the engine verified against the model's answers and reads later pages with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from scrapeflow.kit.db_types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _common() -> list[sa.Column[object]]:
    """The key and the owning organization, first in every table."""
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("org_id", sa.Uuid(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    ]


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "llm_answers",
        *_common(),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("answer", JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "cache_key"),
    )
    op.create_table(
        "learned_selectors",
        *_common(),
        sa.Column("bot_id", sa.Uuid(), sa.ForeignKey("bots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("selectors", JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "bot_id", "node_id"),
    )


def downgrade() -> None:
    op.drop_table("learned_selectors")
    op.drop_table("llm_answers")
