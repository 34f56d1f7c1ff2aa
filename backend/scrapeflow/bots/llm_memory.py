"""The engine's LLM memory kept in the database: the organization's answer cache and each bot's learned selectors.

`DatabaseLlmCache` and `DatabaseSelectorStore` implement the engine's `LlmCache` and `SelectorStore` protocols
on the session they are given, inside its unit of work (a test run writes in its request's transaction; a
worker passes its own session). Both are bound to one organization and read and write its rows only.
Writes are upserts, so two runs learning the same page at once both succeed (the later answer stays).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.bots import service as bots_service
from scrapeflow.engine.llm import CachedAnswer, LearnedSelectors, SelectorKey
from scrapeflow.kit.ids import uuid7
from scrapeflow.kit.time import utcnow
from scrapeflow.models import LearnedSelectorSet, LlmAnswer


async def _upsert(session: AsyncSession, model: Any, keys: tuple[str, ...], values: dict[str, Any]) -> None:
    """Insert a row, or update the one with the same `keys` (INSERT … ON CONFLICT on both databases)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(model).values(id=uuid7(), created_at=now, updated_at=now, **values)
    changed = {name: value for name, value in values.items() if name not in keys} | {"updated_at": now}
    await session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changed))


class DatabaseLlmCache:
    """The organization's LLM answers (`llm_answers`), shared by all its bots: same page, same question, no tokens."""

    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def get(self, key: str) -> CachedAnswer | None:
        answer = await self.session.scalar(
            select(LlmAnswer.answer).where(LlmAnswer.org_id == self.org_id, LlmAnswer.cache_key == key)
        )
        return None if answer is None else CachedAnswer.from_dict(answer)

    async def set(self, key: str, answer: CachedAnswer) -> None:
        values = {"org_id": self.org_id, "cache_key": key, "model": answer.model[:200], "answer": answer.to_dict()}
        await _upsert(self.session, LlmAnswer, ("org_id", "cache_key"), values)


class DatabaseSelectorStore:
    """Learned selectors (`learned_selectors`) under the engine's key (bot id, node id), in one organization.

    The caller passes keys of bots it has already found in the organization (a scoped read).
    """

    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def load(self, key: SelectorKey) -> LearnedSelectors | None:
        bot_id, node_id = uuid.UUID(key[0]), key[1]
        stored = await self.session.scalar(
            select(LearnedSelectorSet.selectors).where(
                LearnedSelectorSet.org_id == self.org_id,
                LearnedSelectorSet.bot_id == bot_id,
                LearnedSelectorSet.node_id == node_id,
            )
        )
        return None if stored is None else LearnedSelectors.from_dict(stored)

    async def save(self, key: SelectorKey, selectors: LearnedSelectors) -> None:
        values = {
            "org_id": self.org_id,
            "bot_id": uuid.UUID(key[0]),
            "node_id": key[1],
            "selectors": selectors.to_dict(),
        }
        await _upsert(self.session, LearnedSelectorSet, ("org_id", "bot_id", "node_id"), values)


async def list_learned(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID) -> list[LearnedSelectorSet]:
    """A bot's learned selectors, one document per `llm_extract` node."""
    await bots_service.get(session, subject, bot_id)
    statement = scoped(select(LearnedSelectorSet), subject, LearnedSelectorSet).where(
        LearnedSelectorSet.bot_id == bot_id
    )
    return list(await session.scalars(statement.order_by(LearnedSelectorSet.node_id)))


async def clear_learned(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, node_id: str | None) -> int:
    """Forget what a bot (or one of its nodes) learned, so the next pages ask the LLM again; returns how many."""
    await bots_service.get(session, subject, bot_id)
    statement = delete(LearnedSelectorSet).where(
        LearnedSelectorSet.org_id == subject.org_id, LearnedSelectorSet.bot_id == bot_id
    )
    if node_id is not None:
        statement = statement.where(LearnedSelectorSet.node_id == node_id)
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
