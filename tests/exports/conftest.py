"""Exports through real worker processes (the pipeline tests' fixtures), and deliveries run in this process
against committed data on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.schemas import BotCreate
from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker, session_scope
from scrapeflow.exports import delivery as export_delivery
from scrapeflow.exports import destinations, planning
from scrapeflow.exports.schemas import EmailCreate, GoogleSheetsCreate, SlackCreate, WebhookCreate
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.time import utcnow
from scrapeflow.models import (
    ChangeStatus,
    DeliveryStatus,
    DestinationType,
    Execution,
    ExecutionStatus,
    ExecutionTrigger,
    ResultRow,
    Role,
)
from tests.factories import make_user
from tests.pipeline.conftest import api, pipeline_settings, processes

__all__ = ["api", "pipeline_settings", "processes"]  # the pipeline tests' fixtures, shared

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="exports-tests")
KINDS = {
    WebhookCreate: DestinationType.webhook,
    SlackCreate: DestinationType.slack,
    EmailCreate: DestinationType.email,
    GoogleSheetsCreate: DestinationType.google_sheets,
}
Body = WebhookCreate | SlackCreate | EmailCreate | GoogleSheetsCreate


@dataclass
class World:
    """An organization with a finished execution of `rows` rows, committed, and ways to deliver it here."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    box: SecretBox
    subject: AuthSubject
    execution_id: uuid.UUID

    async def destination(self, body: Body) -> tuple[uuid.UUID, str | None]:
        async with session_scope(self.sessions) as session:
            made, secret = await destinations.create(
                session, self.subject, KINDS[type(body)], body, self.box, self.settings
            )
            return made.id, secret

    async def delivery(self, destination_id: uuid.UUID, rows: str = "all") -> uuid.UUID:
        async with session_scope(self.sessions) as session:
            execution = await session.get_one(Execution, self.execution_id)
            destination = await destinations.get(session, self.subject, destination_id)
            made = await planning.queue(session, execution, destination, "execution.succeeded", rows, utcnow())
            return made.id

    async def deliver(self, delivery_id: uuid.UUID, **settings: Any) -> DeliveryStatus | None:
        changed = self.settings.model_copy(update=settings)
        return await export_delivery.deliver(self.sessions, changed, self.box, delivery_id)

    async def get(self, model: Any, object_id: uuid.UUID) -> Any:
        async with self.sessions() as session:
            return await session.get_one(model, object_id)


async def build_world(settings: Settings, rows: int = 5) -> AsyncIterator[World]:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    box = SecretBox(settings.jwt_secret)
    async with session_scope(sessions) as session:
        actor = await make_user(session, settings)
        assert actor.user.default_org_id is not None
        subject = AuthSubject(actor.user.default_org_id, Role.owner, actor.user.id, None, CLIENT)
        bot = await bots_service.create(
            session, subject, BotCreate(name="Lamps", start_url="https://shop.example.com/"), box
        )
        execution = Execution(
            org_id=subject.org_id,
            bot_id=bot.id,
            bot_version=1,
            trigger=ExecutionTrigger.manual,
            status=ExecutionStatus.succeeded,
            pages_done=1,
            rows_count=rows,
            finished_at=utcnow(),
        )
        session.add(execution)
        await session.flush()
        for n in range(rows):
            session.add(
                ResultRow(
                    org_id=subject.org_id,
                    bot_id=bot.id,
                    execution_id=execution.id,
                    row_key=f"lamp-{n}",
                    data={"title": f"Lamp {n}", "price": 10 + n},
                    change_status=ChangeStatus.new if n % 2 else ChangeStatus.unchanged,
                    diff={},
                )
            )
    try:
        yield World(settings, sessions, box, subject, execution.id)
    finally:
        await engine.dispose()


@pytest.fixture
async def world(pipeline_settings: Settings) -> AsyncIterator[World]:
    async for made in build_world(pipeline_settings):
        yield made
