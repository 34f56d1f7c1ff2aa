"""What LLM extraction remembers between runs: the model's answers per page content, and the selectors learned
from them per bot and node."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class LlmAnswer(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """The model's rows for one page content, field list, instructions and model (`cache_key` hashes them all).

    Kept per organization, never shared across tenants: an answer can carry what a login revealed.
    """

    __tablename__ = "llm_answers"
    __table_args__ = (UniqueConstraint("org_id", "cache_key"),)

    cache_key: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    answer: Mapped[dict[str, Any]] = mapped_column(JSONVariant)


class LearnedSelectorSet(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """The page templates an `llm_extract` node of a bot has learned (the engine's `LearnedSelectors` as JSON)."""

    __tablename__ = "learned_selectors"
    __table_args__ = (UniqueConstraint("org_id", "bot_id", "node_id"),)

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(Text)  # React Flow ids have no length limit
    selectors: Mapped[dict[str, Any]] = mapped_column(JSONVariant)
