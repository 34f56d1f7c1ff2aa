"""Caps and the monthly page quota stop a running execution cleanly, through real workers on both brokers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from scrapeflow.billing.plans import PLANS
from scrapeflow.billing.usage import add_usage
from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.kit.time import utcnow
from scrapeflow.main import create_app
from scrapeflow.models import Organization
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for


def mapped_workflow(shop: str) -> dict[str, Any]:
    """The shop's pages found by the map step (well over ten), a title from each."""
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": [f"{shop}/products?page=1"]}},
            {"id": "map", "type": "map", "data": {"limit": 40, "max_depth": 1, "sitemap": False}},
            {"id": "title", "type": "extract", "data": {"fields": [{"name": "title", "selector": "h1"}]}},
        ],
        "edges": [{"source": "start", "target": "map"}, {"source": "map", "target": "title"}],
    }


@pytest.fixture
async def billed_api(pipeline_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(pipeline_settings.model_copy(update={"billing_enabled": True}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            yield client


async def test_an_execution_stops_at_its_page_cap(api: httpx.AsyncClient, processes: Processes, shop: str) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, mapped_workflow(shop))
    estimate = await api.post(f"/api/v1/bots/{bot_id}/estimate", headers=headers)
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["pages"] > 10

    started = await api.post(f"/api/v1/bots/{bot_id}/execute", json={"max_pages": 6}, headers=headers)
    assert started.status_code == 202, started.text
    execution = await wait_for(api, headers, started.json()["id"], processes)

    assert execution["status"] == "partially_succeeded", execution
    assert execution["error_code"] == "CAP_REACHED"
    assert "cap of 6 page(s)" in execution["error_message"]
    assert execution["pages_done"] == execution["urls_found"] == 6
    assert any(line["event"] == "capped" for line in execution["logs"])


async def test_an_execution_stops_at_the_monthly_page_quota(
    billed_api: httpx.AsyncClient, processes: Processes, shop: str, pipeline_settings: Settings
) -> None:
    processes.worker()
    headers = await sign_up(billed_api)
    me = (await billed_api.get("/api/v1/users/me", headers=headers)).json()
    engine = create_engine(pipeline_settings)
    async with create_sessionmaker(engine)() as session, session.begin():
        org_id = uuid.UUID(me["default_org_id"])
        await session.execute(update(Organization).where(Organization.id == org_id).values(plan="free"))
        await add_usage(session, org_id, utcnow(), pages=PLANS["free"].pages_per_month - 4)  # type: ignore[operator]
    await engine.dispose()
    bot_id = await create_bot(billed_api, headers, mapped_workflow(shop))

    started = await billed_api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    assert started.status_code == 202, started.text
    execution = await wait_for(billed_api, headers, started.json()["id"], processes)

    assert execution["status"] == "partially_succeeded", execution
    assert execution["error_code"] == "QUOTA_EXCEEDED"
    assert "monthly page quota" in execution["error_message"]
    assert execution["pages_done"] == 4
    usage = (await billed_api.get("/api/v1/users/usage", headers=headers)).json()
    assert usage["usage"]["pages"] == {"used": PLANS["free"].pages_per_month, "limit": PLANS["free"].pages_per_month}
    again = await billed_api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    assert again.status_code == 402
    assert again.json()["error"]["code"] == "QUOTA_EXCEEDED"
