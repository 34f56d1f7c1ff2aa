"""Bot secrets: named values a bot's `fill` steps type (`fill {selector, secret: "site_password"}`).

Values are sealed with the server's SecretBox on the way in and unsealed only for a run's browser session;
no response, log line or audit entry carries one. People see the names and when each was last set.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.bots import service as bots_service
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import NotFound, Unprocessable
from scrapeflow.kit.time import utcnow
from scrapeflow.models import BotSecret
from scrapeflow.orgs import audit

MAX_SECRETS = 50


async def _stored(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID) -> list[BotSecret]:
    statement = scoped(select(BotSecret), subject, BotSecret).where(BotSecret.bot_id == bot_id)
    return list(await session.scalars(statement.order_by(BotSecret.name)))


async def list_secrets(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID) -> list[BotSecret]:
    await bots_service.get(session, subject, bot_id)
    return await _stored(session, subject, bot_id)


async def put_secrets(
    session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, values: Mapping[str, str], box: SecretBox
) -> list[BotSecret]:
    """Set or replace the named secrets; the bot's other secrets stay as they are."""
    bot = await bots_service.get(session, subject, bot_id)
    stored = {secret.name: secret for secret in await _stored(session, subject, bot_id)}
    if len(stored.keys() | values.keys()) > MAX_SECRETS:
        raise Unprocessable(f"A bot can keep at most {MAX_SECRETS} secrets.", code="too_many_secrets")
    for name, value in values.items():
        secret = stored.get(name)
        if secret is None:
            session.add(BotSecret(org_id=bot.org_id, bot_id=bot.id, name=name, sealed_value=box.encrypt(value)))
        else:
            secret.sealed_value = box.encrypt(value)
            secret.updated_at = utcnow()  # a new value may be the same length and ciphertext is never compared
    audit.record_by(
        session, subject, "bot.secrets_set", target_type="bot", target_id=bot.id, data={"names": sorted(values)}
    )
    await session.flush()
    return await _stored(session, subject, bot_id)


async def delete_secret(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, name: str) -> None:
    await bots_service.get(session, subject, bot_id)
    secret = await session.scalar(
        scoped(select(BotSecret), subject, BotSecret).where(BotSecret.bot_id == bot_id, BotSecret.name == name)
    )
    if secret is None:
        raise NotFound(f"This bot has no secret named {name!r}.")
    audit.record_by(session, subject, "bot.secret_deleted", target_type="bot", target_id=bot_id, data={"name": name})
    await session.delete(secret)
    await session.flush()


async def unsealed(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, box: SecretBox) -> dict[str, str]:
    """The bot's secrets in clear, for a run's browser session only (never to be returned or logged)."""
    return {secret.name: box.decrypt(secret.sealed_value) for secret in await _stored(session, subject, bot_id)}
