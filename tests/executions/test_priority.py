"""Paid plans' executions go first: the organization's plan names the queue priority."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Organization
from tests.factories import START_URL, make_user


def test_plan_priorities_and_origins_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAN_PRIORITIES", "free=1, pro=7")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().plan_priorities == {"free": 1, "pro": 7}
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("PLAN_PRIORITIES", '{"team": 4}')
    monkeypatch.setenv("CORS_ORIGINS", '["https://c.example"]')
    assert Settings().plan_priorities == {"team": 4}
    assert Settings().cors_origins == ["https://c.example"]


async def test_an_execution_takes_its_organizations_plan_priority(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    bot = (await client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)).json()
    free = (await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)).json()
    await session.execute(
        update(Organization).where(Organization.id == ada.user.default_org_id).values(plan="business")
    )
    business = (await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)).json()
    assert free["priority"] == settings.plan_priorities["free"] == 0
    assert business["priority"] == settings.plan_priorities["business"] == 9
