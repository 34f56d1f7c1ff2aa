"""Bad input to executions: a clear 4xx with the error body, never a 500 and never a partial write."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Bot, Execution
from tests.factories import START_URL, make_user


async def test_executing_a_bot_whose_workflow_no_longer_compiles_is_a_422(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    bot = (await client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)).json()
    broken = {"nodes": [{"id": "x", "type": "extract", "data": {"fields": []}}], "edges": []}
    await session.execute(update(Bot).where(Bot.id == uuid.UUID(bot["id"])).values(workflow_json=broken))

    answer = await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_workflow"
    assert answer.json()["error"]["details"]["issues"]
    assert await session.scalar(select(func.count()).select_from(Execution)) == 0


async def test_execute_and_download_refuse_what_they_do_not_know(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    bot = (await client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)).json()
    started = await client.post(f"/api/v1/bots/{bot['id']}/execute", headers=ada.headers)
    assert started.status_code == 202
    assert started.json()["status"] == "queued" and started.json()["trigger"] == "manual"

    unknown = await client.get(f"/api/v1/executions/{started.json()['id']}/download?format=pdf", headers=ada.headers)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "validation_error"
    missing = await client.post("/api/v1/bots/00000000-0000-0000-0000-000000000000/execute", headers=ada.headers)
    assert missing.status_code == 404
    retry_running = await client.post(f"/api/v1/executions/{started.json()['id']}/retry", headers=ada.headers)
    assert retry_running.status_code == 409
    assert retry_running.json()["error"]["code"] == "execution_running"
    bad_filter = await client.get("/api/v1/executions?status=sleeping", headers=ada.headers)
    assert bad_filter.status_code == 422
