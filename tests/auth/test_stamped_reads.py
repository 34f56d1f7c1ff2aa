"""In-memory reads behind change stamps: two API processes share Redis; a write in one is seen by the other at once.

Each `process` below is a whole application (its own grants and list caches) over the same database and Redis,
as two uvicorn workers are in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Bot, Role
from tests.conftest import build_app
from tests.factories import START_URL, Actor, add_member, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
Process = httpx.AsyncClient


@pytest.fixture
async def processes(settings: Settings, session: AsyncSession) -> AsyncIterator[Callable[..., Process]]:
    """Start API processes on demand: `processes()` with Redis, `processes(redis_url=...)` otherwise."""
    async with AsyncExitStack() as stack:

        async def start(redis_url: str = REDIS_URL) -> Process:
            app = await stack.enter_async_context(
                build_app(settings.model_copy(update={"redis_url": redis_url}), session)
            )
            transport = httpx.ASGITransport(app=app)
            return await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://localhost"))

        yield start  # type: ignore[misc]


class StatementCounter:
    """Counts the SQL statements the test's connection runs."""

    def __init__(self, session: AsyncSession) -> None:
        self.count = 0
        self.engine = session.bind.engine.sync_engine  # type: ignore[union-attr]
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [bot["name"] for bot in response.json()["items"]]


async def warm(process: Process, actor: Actor, path: str = "/api/v1/bots", **headers: str) -> httpx.Response:
    """Two reads: the first resolves the caller, the second files what it read under the stamps read first."""
    await process.get(path, headers={**actor.headers, **headers})
    return await process.get(path, headers={**actor.headers, **headers})


async def test_a_warm_list_is_served_without_the_database(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    api = await processes()
    await api.post("/api/v1/bots", json={"name": "alpha", "start_url": START_URL}, headers=ada.headers)
    await warm(api, ada)
    await api.get("/api/v1/bots", headers=ada.headers)

    counter = StatementCounter(session)
    try:
        for _ in range(3):
            assert names(await api.get("/api/v1/bots", headers=ada.headers)) == ["alpha"]
    finally:
        counter.close()
    assert counter.count == 0  # answered from memory after one Redis read: no route, no session, no query


async def test_kept_answers_are_per_credential_and_organization_and_bypassed_on_request(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    ada, bob = await make_user(session, settings), await make_user(session, settings)
    api = await processes()
    await api.post("/api/v1/bots", json={"name": "ada's", "start_url": START_URL}, headers=ada.headers)
    await api.post("/api/v1/bots", json={"name": "bob's", "start_url": START_URL}, headers=bob.headers)
    assert names(await warm(api, ada)) == ["ada's"]
    assert names(await warm(api, bob)) == ["bob's"]
    assert names(await api.get("/api/v1/bots", headers=ada.headers)) == ["ada's"]

    # A change behind the services' back (no stamp renewed) shows who answers: memory, unless asked not to.
    await session.execute(update(Bot).where(Bot.name == "ada's").values(name="renamed"))
    kept = await api.get("/api/v1/bots", headers={**ada.headers, "X-Request-ID": "poll-1"})
    assert names(kept) == ["ada's"]
    assert kept.headers["x-request-id"] == "poll-1"
    fresh = await api.get("/api/v1/bots", headers={**ada.headers, "Cache-Control": "no-cache"})
    assert names(fresh) == ["renamed"]
    other_query = await api.get("/api/v1/bots", params={"limit": 10}, headers=ada.headers)
    assert names(other_query) == ["renamed"]


async def test_bot_writes_in_one_process_show_in_the_other_at_once(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    first, second = await processes(), await processes()
    assert names(await warm(second, ada)) == []

    created = await first.post("/api/v1/bots", json={"name": "alpha", "start_url": START_URL}, headers=ada.headers)
    assert names(await second.get("/api/v1/bots", headers=ada.headers)) == ["alpha"]

    bot_id = created.json()["id"]
    await first.put(f"/api/v1/bots/{bot_id}", json={"name": "beta"}, headers=ada.headers)
    assert names(await second.get("/api/v1/bots", headers=ada.headers)) == ["beta"]

    await first.delete(f"/api/v1/bots/{bot_id}", headers=ada.headers)
    assert names(await second.get("/api/v1/bots", headers=ada.headers)) == []


async def test_a_role_change_takes_effect_on_the_next_request_everywhere(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    owner, member = await make_user(session, settings), await make_user(session, settings)
    org_id = owner.user.default_org_id
    await add_member(session, org_id, member.user, Role.editor)
    first, second = await processes(), await processes()
    in_org = {"X-Org-Id": str(org_id)}
    await warm(second, member, **in_org)
    made = await second.post(
        "/api/v1/bots", json={"name": "ok", "start_url": START_URL}, headers={**member.headers, **in_org}
    )
    assert made.status_code == 201

    changed = await first.put(
        f"/api/v1/orgs/{org_id}/members/{member.user.id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert changed.status_code == 200
    refused = await second.post(
        "/api/v1/bots", json={"name": "no", "start_url": START_URL}, headers={**member.headers, **in_org}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["role"] == "viewer"

    removed = await first.delete(f"/api/v1/orgs/{org_id}/members/{member.user.id}", headers=owner.headers)
    assert removed.status_code == 204
    gone = await second.get("/api/v1/bots", headers={**member.headers, **in_org})
    assert gone.status_code == 404


async def test_a_revoked_key_and_a_deleted_account_stop_at_once(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    first, second = await processes(), await processes()
    created = await first.post(
        f"/api/v1/orgs/{org_id}/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=owner.headers
    )
    key = Actor(owner.user, created.json()["key"])
    assert (await warm(second, key)).status_code == 200

    await first.delete(f"/api/v1/orgs/{org_id}/api-keys/{created.json()['id']}", headers=owner.headers)
    refused = await second.get("/api/v1/bots", headers=key.headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"

    assert (await warm(second, owner)).status_code == 200
    assert (await first.delete("/api/v1/users/me", headers=owner.headers)).status_code == 204
    assert (await second.get("/api/v1/bots", headers=owner.headers)).status_code == 401


async def test_without_a_reachable_redis_every_read_goes_to_the_database(
    processes: Callable[..., Process], session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    api = await processes(redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    other = await processes()
    assert names(await warm(api, ada)) == []
    await other.post("/api/v1/bots", json={"name": "alpha", "start_url": START_URL}, headers=ada.headers)
    assert names(await api.get("/api/v1/bots", headers=ada.headers)) == ["alpha"]
