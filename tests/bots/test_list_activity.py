"""The bot list shows each bot's last execution and next scheduled run, read in one query whatever the page size."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStatus, ExecutionTrigger, Schedule
from tests.factories import START_URL, Actor, make_user

NO_CACHE = {"Cache-Control": "no-cache"}


async def new_bot(client: httpx.AsyncClient, actor: Actor, name: str) -> uuid.UUID:
    created = await client.post("/api/v1/bots", json={"name": name, "start_url": START_URL}, headers=actor.headers)
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


def add_execution(
    session: AsyncSession, actor: Actor, bot_id: uuid.UUID, status: ExecutionStatus, at: datetime
) -> Execution:
    assert actor.user.default_org_id is not None
    execution = Execution(
        org_id=actor.user.default_org_id,
        bot_id=bot_id,
        bot_version=1,
        trigger=ExecutionTrigger.manual,
        status=status,
        caps={},
        stage_timings={},
        task_ids=[],
        created_at=at,
        finished_at=at + timedelta(seconds=5) if status is not ExecutionStatus.running else None,
    )
    session.add(execution)
    return execution


def add_schedule(session: AsyncSession, actor: Actor, bot_id: uuid.UUID, next_run: datetime, *, active: bool) -> None:
    assert actor.user.default_org_id is not None
    session.add(
        Schedule(
            org_id=actor.user.default_org_id,
            bot_id=bot_id,
            cron_expression="0 * * * *",
            timezone="UTC",
            is_active=active,
            next_run_at=next_run if active else None,
        )
    )


async def listed(client: httpx.AsyncClient, actor: Actor, **params: Any) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v1/bots", params=params, headers={**actor.headers, **NO_CACHE})
    assert answer.status_code == 200, answer.text
    return {item["name"]: item for item in answer.json()["items"]}


async def test_each_bot_shows_its_latest_execution_and_soonest_active_schedule(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, stranger = await make_user(session, settings), await make_user(session, settings)
    busy, idle = await new_bot(client, owner, "busy"), await new_bot(client, owner, "idle")
    now = utcnow()
    add_execution(session, owner, busy, ExecutionStatus.succeeded, now - timedelta(hours=2))
    latest = add_execution(session, owner, busy, ExecutionStatus.failed, now - timedelta(minutes=5))
    add_execution(session, owner, busy, ExecutionStatus.succeeded, now - timedelta(days=1))
    add_schedule(session, owner, busy, now + timedelta(hours=3), active=True)
    add_schedule(session, owner, busy, now + timedelta(minutes=30), active=True)
    add_schedule(session, owner, busy, now + timedelta(minutes=1), active=False)  # paused: not next
    add_schedule(session, owner, idle, now + timedelta(minutes=1), active=False)
    await session.flush()

    bots = await listed(client, owner)
    assert bots["busy"]["last_execution"]["id"] == str(latest.id)
    assert bots["busy"]["last_execution"]["status"] == "failed"
    assert datetime.fromisoformat(bots["busy"]["last_execution"]["finished_at"]) == latest.finished_at
    assert datetime.fromisoformat(bots["busy"]["next_run_at"]) == now + timedelta(minutes=30)
    assert bots["idle"]["last_execution"] is None and bots["idle"]["next_run_at"] is None
    assert "workflow_json" not in bots["busy"]

    # Another organization's list is its own.
    assert await listed(client, stranger) == {}


async def test_pages_search_and_query_count_do_not_grow_with_the_bots(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    now = utcnow()
    for index in range(12):
        bot_id = await new_bot(client, owner, f"Bot {index:02d}")
        add_execution(session, owner, bot_id, ExecutionStatus.running, now - timedelta(minutes=index))
        add_schedule(session, owner, bot_id, now + timedelta(hours=index + 1), active=True)
    await session.flush()

    engine = session.bind.engine.sync_engine  # type: ignore[union-attr]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    counts = []
    event.listen(engine, "before_cursor_execute", record)
    try:
        for limit in (2, 12):
            statements.clear()
            assert len(await listed(client, owner, limit=limit)) == limit
            counts.append(len(statements))
            assert sum("FROM bots" in statement for statement in statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert counts[0] == counts[1]  # 12 bots cost what 2 do: no query per bot

    seen: list[str] = []
    cursor = None
    while True:
        page = await client.get(
            "/api/v1/bots",
            params={"limit": 5, "sort": "name", "order": "asc", **({"cursor": cursor} if cursor else {})},
            headers={**owner.headers, **NO_CACHE},
        )
        body = page.json()
        assert all(item["last_execution"]["status"] == "running" for item in body["items"])
        seen += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Bot {index:02d}" for index in range(12)]

    found = await listed(client, owner, q="bot 03")
    assert list(found) == ["Bot 03"]
    assert datetime.fromisoformat(found["Bot 03"]["next_run_at"]) == now + timedelta(hours=4)
