"""Politeness as a fleet: per-domain limits shared by every worker process and every organization, so a hundred
bots on one site never hit it harder than one well-behaved crawler would.

Both limiters here keep the engine's semantics (engine/politeness.py) but hold the state outside the process:

- a concurrency cap per domain made of *leases*: each request in flight holds one until it is released or, if
  its worker died, until the lease expires (`lease_seconds` after the request's reserved start);
- a minimum spacing between request starts per domain: taking a slot atomically reserves the next start time
  (`start = max(now, next); next = start + delay`), and the caller sleeps until its start;
- the adaptive delay itself (doubled on 429/503 and Retry-After, relaxed by halves on success, raised for slow
  answers and by robots.txt's Crawl-delay), so one worker's push-back slows all the others at once.

`RedisDomainLimiter` (redis.py) serves scale-out (Redis server time, about one Lua script per request);
`DatabaseDomainLimiter` (database.py) serves single-machine mode (a write lock on SQLite, `SELECT … FOR UPDATE` on
PostgreSQL, polling for a free slot). `domain_limiter()` picks one from the settings.

Each limiter belongs to one event loop (its Redis connections or database engine do).
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.bots.fetchers import politeness_options
from scrapeflow.config import Settings
from scrapeflow.engine.politeness import DomainLimiter
from scrapeflow.pipeline.politeness.database import DatabaseDomainLimiter
from scrapeflow.pipeline.politeness.redis import RedisDomainLimiter
from scrapeflow.pipeline.politeness.shared import lease_seconds_for

__all__ = ["DatabaseDomainLimiter", "RedisDomainLimiter", "domain_limiter", "lease_seconds_for"]


def domain_limiter(
    settings: Settings,
    redis: Redis | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> DomainLimiter:
    """The worker's limiter, shared by the fleet: in Redis when `REDIS_URL` is set (with `redis`, or a client
    made from the URL), else in the database behind `session_factory`."""
    options = politeness_options(settings)
    lease_seconds = lease_seconds_for(settings)
    if settings.redis_url:
        client = redis if redis is not None else Redis.from_url(settings.redis_url)
        return RedisDomainLimiter(client, options, lease_seconds=lease_seconds)
    if session_factory is None:
        raise ValueError("without REDIS_URL the domain limiter lives in the database: pass session_factory")
    return DatabaseDomainLimiter(session_factory, options, lease_seconds=lease_seconds)
