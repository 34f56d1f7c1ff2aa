"""Request rate limits: the plan's requests per minute for API keys and run endpoints, a per-person limit for
the web app, per IP for sign-in; 429 with Retry-After and X-RateLimit-* headers, in memory and on Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.permissions import ApiKeyScope
from scrapeflow.auth.subject import AuthSubject
from scrapeflow.billing.ratelimits import RateLimits
from scrapeflow.config import Settings
from scrapeflow.kit.errors import TooManyRequests
from scrapeflow.kit.http import ClientInfo
from scrapeflow.models import Role
from scrapeflow.orgs import service as orgs_service
from tests.billing.conftest import new_bot
from tests.conftest import build_app
from tests.factories import Actor, make_user
from tests.redis_databases import claim_database

REDIS_URL = claim_database()


@pytest.fixture(params=["memory", "redis"])
async def limited(
    request: pytest.FixtureRequest, settings: Settings, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """Billing on, small limits; the limiter's storage in memory, or Redis (where answers are also cached)."""
    redis_url = REDIS_URL if request.param == "redis" else ""
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    configured = settings.model_copy(
        update={"billing_enabled": True, "redis_url": redis_url, "rate_limit_user_per_minute": 15}
    )
    async with build_app(configured, session) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            yield client
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()


async def api_key(session: AsyncSession, actor: Actor) -> dict[str, str]:
    assert actor.user.default_org_id is not None
    owner = AuthSubject(actor.user.default_org_id, Role.owner, actor.user.id, None, ClientInfo("127.0.0.1", "t"))
    _, key = await orgs_service.create_api_key(session, owner, "ci", [ApiKeyScope.read])
    return {"Authorization": f"Bearer {key}"}


async def fresh_window() -> None:
    """Windows are calendar minutes: start a counting test where the minute has time left."""
    if time.time() % 60 > 50:
        await asyncio.sleep(61 - time.time() % 60)


def assert_refused(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert answer.headers["X-RateLimit-Limit"] == str(limit)
    assert answer.headers["X-RateLimit-Remaining"] == "0"


async def test_an_api_key_gets_its_plans_requests_per_minute(
    limited: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    key = await api_key(session, ada)
    await fresh_window()
    remaining = []
    for _ in range(10):  # the free plan: 10 a minute (answers from the cache count too, on Redis)
        answer = await limited.get("/api/v1/bots", headers=key)
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-RateLimit-Limit"] == "10"
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(9, -1, -1))
    assert_refused(await limited.get("/api/v1/bots", headers=key), 10)
    # The person signed in to the web app has their own, higher limit.
    assert (await limited.get("/api/v1/bots", headers=ada.headers)).headers["X-RateLimit-Limit"] == "15"
    # Another organization is not affected.
    grace = await make_user(session, settings)
    assert (await limited.get("/api/v1/bots", headers=await api_key(session, grace))).status_code == 200


async def test_the_web_apps_requests_get_a_per_person_limit(
    limited: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    await fresh_window()
    for _ in range(15):
        assert (await limited.get("/api/v1/bots", headers=ada.headers)).status_code == 200
    assert_refused(await limited.get("/api/v1/bots", headers=ada.headers), 15)


async def test_run_endpoints_count_against_the_plan_whatever_the_credential(
    limited: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    bot = (await new_bot(limited, ada.headers)).json()
    await fresh_window()
    for _ in range(10):  # the fetch guard refuses the loopback address: nothing is fetched
        answer = await limited.post(
            f"/api/v1/bots/{bot['id']}/test", json={"url": "http://127.0.0.1:9/"}, headers=ada.headers
        )
        assert answer.status_code == 200, answer.text
    assert_refused(
        await limited.post(f"/api/v1/bots/{bot['id']}/test", json={"url": "http://127.0.0.1:9/"}, headers=ada.headers),
        10,
    )


async def test_sign_in_is_limited_by_ip(session: AsyncSession, settings: Settings) -> None:
    configured = settings.model_copy(update={"rate_limit_auth_per_minute": 3})
    async with build_app(configured, session) as app:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        attempt = {"email": "nobody@example.com", "password": "wrong password here"}
        for _ in range(3):
            assert (await client.post("/api/v1/auth/login", json=attempt)).status_code == 401
        assert_refused(await client.post("/api/v1/auth/login", json=attempt), 3)
        assert_refused(await client.post("/api/v1/auth/register", json=attempt), 3)


async def test_processes_sharing_redis_never_admit_more_than_the_limit(settings: Settings) -> None:
    """Two processes' limiters on one Redis take leases of the shared counter (2 at a time for 100 a minute)."""
    configured = settings.model_copy(update={"redis_url": REDIS_URL})
    first, second = RateLimits(configured), RateLimits(configured)
    key = f"org:{uuid.uuid4()}"
    await fresh_window()
    admitted, refusals = 0, []
    for n in range(130):
        try:
            await (first if n % 3 else second).hit(key, 100)
            admitted += 1
        except TooManyRequests as exc:
            refusals.append((exc.limit, 1 <= exc.retry_after <= 60))
    assert admitted == 100
    assert refusals == [(100, True)] * 30
    assert await first.storage.get(f"requests/{key}/{int(time.time() // 60)}") >= 100
