"""Paid plans' executions go first: the organization's plan names the queue priority."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.plans import PLANS
from scrapeflow.config import Settings
from scrapeflow.models import Organization
from tests.conftest import build_app
from tests.factories import START_URL, make_user


def test_stripe_prices_and_origins_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_PRICES", "starter=price_s, pro=price_p")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().stripe_prices == {"starter": "price_s", "pro": "price_p"}
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("STRIPE_PRICES", '{"enterprise": "price_e"}')
    monkeypatch.setenv("CORS_ORIGINS", '["https://c.example"]')
    assert Settings().stripe_prices == {"enterprise": "price_e"}
    assert Settings().cors_origins == ["https://c.example"]


async def test_an_execution_takes_its_organizations_plan_priority(session: AsyncSession, settings: Settings) -> None:
    billed = settings.model_copy(update={"billing_enabled": True})
    async with build_app(billed, session) as app:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        ada = await make_user(session, billed)
        bot = (
            await client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)
        ).json()
        free = await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)
        await session.execute(update(Organization).where(Organization.id == ada.user.default_org_id).values(plan="pro"))
        pro = await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)
    assert free.json()["priority"] == PLANS["free"].priority == 0
    assert pro.json()["priority"] == PLANS["pro"].priority == 6


async def test_without_billing_every_organization_has_the_self_hosted_plan(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    bot = (await client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)).json()
    started = (await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)).json()
    assert settings.self_hosted_plan == "enterprise"
    assert started["priority"] == PLANS["enterprise"].priority
