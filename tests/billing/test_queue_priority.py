"""Queue priority on Redis: a pro organization's execution queued behind many free ones starts first."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select, update

from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.main import create_app
from scrapeflow.models import Execution, Organization
from tests.factories import make_user
from tests.pipeline.conftest import Processes, wait_for

FREE_ORGANIZATIONS = 8


@pytest.mark.parametrize("pipeline_settings", ["redis"], indirect=True)
async def test_a_pro_execution_starts_before_the_free_ones_queued_ahead_of_it(
    pipeline_settings: Settings, processes: Processes, shop: str
) -> None:
    settings = pipeline_settings.model_copy(update={"billing_enabled": True})
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    callers: list[dict[str, str]] = []
    async with sessions() as session, session.begin():
        for n in range(FREE_ORGANIZATIONS + 1):
            actor = await make_user(session, settings)
            if n == FREE_ORGANIZATIONS:
                await session.execute(
                    update(Organization).where(Organization.id == actor.user.default_org_id).values(plan="pro")
                )
            callers.append(actor.headers)
    workflow = {"nodes": [{"id": "start", "type": "start", "data": {"urls": [f"{shop}/products?page=1"]}}], "edges": []}
    app = create_app(settings)
    started: list[str] = []
    async with app.router.lifespan_context(app):
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        for headers in callers:  # free organizations first, the pro one last; no worker is running yet
            bot = await api.post("/api/v1/bots", json={"name": "b", "workflow_json": workflow}, headers=headers)
            answer = await api.post(f"/api/v1/bots/{bot.json()['id']}/execute", headers=headers)
            assert answer.status_code == 202, answer.text
            started.append(answer.json()["id"])
        processes.start("worker", "-c", "1")
        for execution_id, headers in zip(started, callers, strict=True):
            await wait_for(api, headers, execution_id, processes)
    async with sessions() as session:
        rows = (await session.execute(select(Execution.id, Execution.priority, Execution.started_at))).all()
    await engine.dispose()
    began: dict[uuid.UUID, datetime] = {row.id: row.started_at for row in rows}
    priorities = {row.id: row.priority for row in rows}
    pro = uuid.UUID(started[-1])
    assert priorities[pro] == 6 and {priorities[uuid.UUID(i)] for i in started[:-1]} == {0}
    assert began[pro] == min(began.values()), sorted(began.values())
