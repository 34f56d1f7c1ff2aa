"""Counters over a moving window, in memory or in Redis (the same storage slowapi uses)."""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from scrapeflow.config import Settings


def create_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        storage = storage_from_string(f"async+{settings.redis_url}", implementation="redispy")
        assert isinstance(storage, Storage)
        return storage
    return MemoryStorage()


class FailureLimiter:
    """Counts failures per key (an email, an IP) and says when a key has had too many."""

    def __init__(self, storage: Storage, *, window_seconds: int) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._window = window_seconds

    def _item(self, limit: int) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(limit, self._window)

    async def blocked(self, key: str, limit: int) -> int | None:
        """Seconds until `key` may try again, or None when it is not blocked."""
        item = self._item(limit)
        if await self._limiter.test(item, "failures", key):
            return None
        stats = await self._limiter.get_window_stats(item, "failures", key)
        return max(1, int(stats.reset_time - time.time()))

    async def record(self, key: str, limit: int) -> None:
        await self._limiter.hit(self._item(limit), "failures", key)

    async def clear(self, key: str, limit: int) -> None:
        await self._limiter.clear(self._item(limit), "failures", key)
