"""What the politeness tests share: the stores (Redis, and a migrated SQLite and PostgreSQL database per
module), a fresh key prefix and domain per test, and a Redis client that counts the scripts it runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.conftest import PostgresDatabases, make_settings, migrate, new_database_url

REDIS_URL = "redis://127.0.0.1:6379/0"
STORES = ["redis", "sqlite", "postgresql"]


class CountingRedis(Redis):
    """A real client that counts the scripts it runs."""

    scripts = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args and args[0] in ("EVALSHA", "EVAL"):
            self.scripts += 1
        return await super().execute_command(*args, **options)


@pytest.fixture(scope="module")
def database_urls(tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases) -> dict[str, str]:
    """One migrated database per backend for this module (the limiters commit, so no rolled-back transaction)."""
    tmp = tmp_path_factory.mktemp("politeness")
    urls = {}
    for backend in ("sqlite", "postgresql"):
        settings = make_settings(tmp, new_database_url(backend, tmp, postgres_databases))
        with pytest.MonkeyPatch.context() as monkeypatch:
            migrate(settings, monkeypatch)
        urls[backend] = settings.database_url
    return urls


@pytest.fixture
def key_prefix() -> str:
    return f"sf:test:polite:{uuid.uuid4().hex}:"


@pytest.fixture
async def redis(key_prefix: str) -> AsyncIterator[CountingRedis]:
    client = CountingRedis.from_url(REDIS_URL)
    yield client
    keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def domain() -> str:
    """A fresh domain per test: the stores outlive tests."""
    return f"{uuid.uuid4().hex[:12]}.example"
