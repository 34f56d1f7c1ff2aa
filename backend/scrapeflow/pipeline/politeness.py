"""Politeness as a fleet: per-domain limits shared by every worker process and every organization, so a hundred
bots on one site never hit it harder than one well-behaved crawler would.

Both limiters here keep the engine's semantics (engine/politeness.py) but hold the state outside the process:

- a concurrency cap per domain made of *leases*: each request in flight holds one until it is released or, if
  its worker died, until the lease expires (`lease_seconds` after the request's reserved start);
- a minimum spacing between request starts per domain: taking a slot atomically reserves the next start time
  (`start = max(now, next); next = start + delay`), and the caller sleeps until its start;
- the adaptive delay itself (doubled on 429/503 and Retry-After, relaxed by halves on success, raised for slow
  answers and by robots.txt's Crawl-delay), so one worker's push-back slows all the others at once.

`RedisDomainLimiter` serves scale-out (Redis server time, one Lua script per acquire and per release);
`DatabaseDomainLimiter` serves single-machine mode (a write lock on SQLite, `SELECT … FOR UPDATE` on
PostgreSQL, polling for a free slot). `domain_limiter()` picks one from the settings.

Each limiter belongs to one event loop (its Redis connections or database engine do).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.bots.fetchers import politeness_options
from scrapeflow.config import Settings
from scrapeflow.engine.politeness import (
    DomainLimiter,
    InProcessDomainLimiter,
    Outcome,
    PolitenessOptions,
    adapted_delay,
    delay_floor,
    is_push_back,
)
from scrapeflow.models import DomainPacing, DomainSlot

log = structlog.get_logger(__name__)

_LEASE_MARGIN_SECONDS = 10.0
"""A lease outlives the longest request (fetch or browser page time limit) by this much."""
_WAIT_EPSILON = 0.0005


def lease_seconds_for(settings: Settings) -> float:
    """How long a slot is held at most: a worker that dies mid-request gives its slots back after this."""
    return max(settings.fetch_timeout_seconds, settings.browser_page_timeout_seconds) + _LEASE_MARGIN_SECONDS


@dataclass(frozen=True, slots=True)
class _Start:
    """A reserved request start, in the store's clock and unit, and the seconds until it."""

    at: float
    wait: float


class _Reservations(Protocol):
    """What differs between the shared stores; `_SharedLimiter` does the waiting and bookkeeping around it."""

    async def reserve(self, domain: str, token: str, crawl_delay: float | None) -> _Start | None:
        """Take a slot and the next start, or None when the domain is full."""
        ...

    async def resume(self, domain: str, start: _Start) -> _Start:
        """After sleeping until `start`: the same start, or, when a Retry-After paused the domain over it, a
        new start after the pause, spaced like any other (so held-back requests do not burst out together)."""
        ...

    async def finish(self, domain: str, token: str, outcome: Outcome) -> None: ...

    async def current_delay(self, domain: str) -> float: ...


class _SharedLimiter:
    """A DomainLimiter over shared reservations: take a slot (polling while the domain is full), sleep until the
    reserved start, and wait out a Retry-After another worker saw in the meantime. A store that fails (Redis
    unreachable, database locked for too long) degrades to this process's own limits rather than failing pages.
    """

    def __init__(self, store: _Reservations, options: PolitenessOptions, poll_interval: float) -> None:
        self.options = options
        self._store = store
        self._poll_interval = poll_interval
        self._local = InProcessDomainLimiter(options)
        self._held: defaultdict[str, list[str | None]] = defaultdict(list)
        """Per domain, the leases this process holds (None: admitted by the local fallback)."""
        self._crawl_delays: dict[str, float] = {}
        """Crawl-delays read from robots.txt, sent with the domain's next reservation."""

    async def acquire(self, domain: str) -> None:
        token = uuid.uuid4().hex
        try:
            start = await self._reserve(domain, token)
            while start.wait > _WAIT_EPSILON:
                await asyncio.sleep(start.wait)
                # A Retry-After seen by any worker while we slept holds back starts reserved before it.
                start = await self._store.resume(domain, start)
        except (RedisError, OSError, DBAPIError) as exc:
            log.warning("domain_limiter_unavailable", domain=domain, error=str(exc))
            await self._drop(domain, token)
            await self._local.acquire(domain)
            self._held[domain].append(None)
            return
        except BaseException:
            await self._drop(domain, token)
            raise
        self._held[domain].append(token)

    async def _drop(self, domain: str, token: str) -> None:
        """Give up a place in the queue or a slot not used (if the store fails, the lease expires on its own)."""
        with contextlib.suppress(RedisError, OSError, DBAPIError):
            await self._store.finish(domain, token, Outcome(status=None, latency=0.0))

    async def _reserve(self, domain: str, token: str) -> _Start:
        while True:
            crawl_delay = self._crawl_delays.pop(domain, None)
            try:
                start = await self._store.reserve(domain, token, crawl_delay)
            except BaseException:
                if crawl_delay is not None:
                    self._crawl_delays.setdefault(domain, crawl_delay)
                raise
            if start is not None:
                return start
            await asyncio.sleep(self._poll_interval)

    async def release(self, domain: str, outcome: Outcome) -> None:
        held = self._held.get(domain)
        token = held.pop() if held else None
        if held is not None and not held:
            del self._held[domain]
        if token is None:
            await self._local.release(domain, outcome)
            return
        try:
            await self._store.finish(domain, token, outcome)
        except (RedisError, OSError, DBAPIError) as exc:
            # The lease expires on its own; only this outcome's effect on the delay is lost.
            log.warning("domain_limiter_unavailable", domain=domain, error=str(exc))

    def set_crawl_delay(self, domain: str, seconds: float) -> None:
        self._crawl_delays[domain] = seconds
        self._local.set_crawl_delay(domain, seconds)

    async def current_delay(self, domain: str) -> float:
        """The domain's spacing between request starts as the whole fleet sees it, in seconds."""
        return await self._store.current_delay(domain)


# KEYS[1]: the domain's leases (sorted set: token → expiry, µs); KEYS[2]: its pacing (hash); KEYS[3]: the
# requests waiting for a slot, first come first served (sorted set: token → when it first asked, µs); KEYS[4]:
# when each waiter last asked (a waiter that stopped asking is dropped after ARGV[8] µs).
# ARGV: token, max_concurrency, lease µs, min_delay, max_delay, crawl delay ('' = unchanged), idle ms, stale µs.
# Returns nil when the domain is full (or earlier waiters take the free slots), else the reserved start (µs)
# and the seconds to wait until it. Without the queue, a worker that just released a slot would take it
# straight back, and workers polling from elsewhere would starve.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_us = string.format('%.0f', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us)
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('%.0f', now - tonumber(ARGV[8])))
for _, waiter in ipairs(gone) do
  redis.call('ZREM', KEYS[3], waiter)
  redis.call('ZREM', KEYS[4], waiter)
end
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
local ahead = redis.call('ZRANK', KEYS[3], ARGV[1])
if not ahead then ahead = redis.call('ZCARD', KEYS[3]) end
if ahead >= free then
  redis.call('ZADD', KEYS[3], 'NX', now_us, ARGV[1])
  redis.call('ZADD', KEYS[4], now_us, ARGV[1])
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
  redis.call('PEXPIRE', KEYS[4], ARGV[7])
  return false
end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
local min_delay, max_delay = tonumber(ARGV[4]), tonumber(ARGV[5])
local pacing = redis.call('HMGET', KEYS[2], 'next', 'delay', 'crawl_delay')
local crawl_delay = tonumber(pacing[3]) or 0
if ARGV[6] ~= '' then crawl_delay = tonumber(ARGV[6]) end
local floor = math.min(max_delay, math.max(min_delay, crawl_delay))
local delay = math.max(tonumber(pacing[2]) or floor, floor)
local start = math.max(now, tonumber(pacing[1]) or 0)
redis.call('HSET', KEYS[2], 'next', string.format('%.0f', start + delay * 1000000),
  'delay', string.format('%.6f', delay), 'crawl_delay', string.format('%.6f', crawl_delay))
redis.call('PEXPIRE', KEYS[2], ARGV[7])
local expires = start + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], string.format('%.0f', expires), ARGV[1])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', (expires - now) / 1000 + 1000))
return {string.format('%.0f', start), string.format('%.6f', (start - now) / 1000000)}
"""

# KEYS: as for _RESERVE. ARGV: token, status (-1: none), latency, retry_after, min_delay, max_delay,
# penalty_delay, adapt_to_latency (1/0), slow_latency, max_concurrency, idle ms.
# The same rule as engine.politeness.adapted_delay.
_FINISH = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
local status = tonumber(ARGV[2])
local push_back = status == 429 or status == 503
if not push_back and (status < 0 or status >= 500) then
  return false
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local latency, retry_after = tonumber(ARGV[3]), tonumber(ARGV[4])
local min_delay, max_delay = tonumber(ARGV[5]), tonumber(ARGV[6])
local pacing = redis.call('HMGET', KEYS[2], 'delay', 'crawl_delay', 'next', 'pause_until')
local floor = math.min(max_delay, math.max(min_delay, tonumber(pacing[2]) or 0))
local delay = tonumber(pacing[1]) or floor
if push_back then
  delay = math.min(max_delay, math.max(delay * 2, tonumber(ARGV[7]), retry_after))
  if retry_after > 0 then
    local pause = now + retry_after * 1000000
    redis.call('HSET', KEYS[2], 'next', string.format('%.0f', math.max(tonumber(pacing[3]) or 0, pause)),
      'pause_until', string.format('%.0f', math.max(tonumber(pacing[4]) or 0, pause)))
  end
else
  local target = floor
  if ARGV[8] == '1' and latency > tonumber(ARGV[9]) then
    target = math.max(target, math.min(max_delay, latency / tonumber(ARGV[10])))
  end
  local relaxed = delay / 2
  if target >= delay or relaxed - target < 0.001 then delay = target else delay = relaxed end
end
redis.call('HSET', KEYS[2], 'delay', string.format('%.6f', delay))
redis.call('PEXPIRE', KEYS[2], ARGV[11])
return false
"""

# KEYS[1]: pacing. ARGV: a reserved start (µs), its holder having slept until then. Returns the start to keep
# (µs) and the seconds until it: the same start unless a Retry-After pause covers it; once that pause is over, a
# fresh start taken like any reservation.
_RESUME = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local start = tonumber(ARGV[1])
local pacing = redis.call('HMGET', KEYS[1], 'pause_until', 'next', 'delay')
local pause = tonumber(pacing[1]) or 0
if pause > start then
  if pause > now then
    return {ARGV[1], string.format('%.6f', (pause - now) / 1000000)}
  end
  start = math.max(now, tonumber(pacing[2]) or 0)
  redis.call('HSET', KEYS[1], 'next', string.format('%.0f', start + (tonumber(pacing[3]) or 0) * 1000000))
end
return {string.format('%.0f', start), string.format('%.6f', (start - now) / 1000000)}
"""


class _RedisReservations:
    def __init__(
        self,
        redis: Redis,
        options: PolitenessOptions,
        key_prefix: str,
        *,
        lease_seconds: float,
        idle_seconds: float,
        poll_interval: float,
    ) -> None:
        self._redis = redis
        self._options = options
        self._prefix = key_prefix
        self._lease_us = str(round(lease_seconds * 1_000_000))
        self._idle_ms = str(round(idle_seconds * 1000))
        self._stale_us = str(round(max(1.0, 20 * poll_interval) * 1_000_000))
        self._reserve = redis.register_script(_RESERVE)
        self._finish = redis.register_script(_FINISH)
        self._resume = redis.register_script(_RESUME)

    def _keys(self, domain: str) -> list[str]:
        return [f"{self._prefix}{domain}:{name}" for name in ("leases", "pacing", "waiting", "asked")]

    async def reserve(self, domain: str, token: str, crawl_delay: float | None) -> _Start | None:
        options = self._options
        args: list[str | int] = [
            token,
            options.max_concurrency,
            self._lease_us,
            repr(options.min_delay),
            repr(options.max_delay),
            "" if crawl_delay is None else repr(crawl_delay),
            self._idle_ms,
            self._stale_us,
        ]
        reply = await self._reserve(keys=self._keys(domain), args=args)
        return None if reply is None else _Start(float(reply[0]), float(reply[1]))

    async def resume(self, domain: str, start: _Start) -> _Start:
        reply = await self._resume(keys=self._keys(domain)[1:2], args=[f"{start.at:.0f}"])
        return _Start(float(reply[0]), float(reply[1]))

    async def finish(self, domain: str, token: str, outcome: Outcome) -> None:
        options = self._options
        args: list[str | int] = [
            token,
            -1 if outcome.status is None else outcome.status,
            repr(outcome.latency),
            repr(outcome.retry_after or 0.0),
            repr(options.min_delay),
            repr(options.max_delay),
            repr(options.penalty_delay),
            "1" if options.adapt_to_latency else "0",
            repr(options.slow_latency),
            options.max_concurrency,
            self._idle_ms,
        ]
        await self._finish(keys=self._keys(domain), args=args)

    async def current_delay(self, domain: str) -> float:
        stored = await cast(Any, self._redis.hmget(self._keys(domain)[1], ["delay", "crawl_delay"]))
        floor = delay_floor(float(stored[1] or 0.0), self._options)
        return floor if stored[0] is None else max(float(stored[0]), floor)


class RedisDomainLimiter(_SharedLimiter):
    """Per-domain limits for the whole fleet, in Redis (scale-out).

    Per domain, `<prefix><domain>:leases` is a sorted set of the requests in flight (scored by when their lease
    expires) and `<prefix><domain>:pacing` a hash of the next free start, the current delay, the robots.txt
    Crawl-delay and any Retry-After pause. Times are Redis server time, so workers' clocks need not agree;
    both keys expire after `idle_seconds` without traffic.
    """

    def __init__(
        self,
        redis: Redis,
        options: PolitenessOptions | None = None,
        key_prefix: str = "sf:polite:",
        *,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.02,
        idle_seconds: float = 86_400.0,
    ) -> None:
        options = options or PolitenessOptions()
        store = _RedisReservations(
            redis,
            options,
            key_prefix,
            lease_seconds=lease_seconds,
            idle_seconds=idle_seconds,
            poll_interval=poll_interval,
        )
        super().__init__(store, options, poll_interval)


class _DatabaseReservations:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], options: PolitenessOptions, lease_seconds: float
    ) -> None:
        self._sessions = sessions
        self._options = options
        self._lease_seconds = lease_seconds

    async def _now(self, session: AsyncSession) -> float:
        # PostgreSQL may serve workers on several machines: its clock is the one they share. A SQLite file
        # is only shared by processes on one machine, whose clock is shared already.
        if session.get_bind().dialect.name == "postgresql":
            return float(await session.scalar(text("SELECT extract(epoch FROM clock_timestamp())")) or 0.0)
        return time.time()

    async def _lock_pacing(self, session: AsyncSession, domain: str) -> DomainPacing:
        """The domain's pacing row, locked for this transaction (created on first use).

        The first statement writes, so SQLite takes its write lock at once, as BEGIN IMMEDIATE would: a read
        first would let two processes read the same pacing and then fail to upgrade. PostgreSQL locks the row.
        """
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        floor = delay_floor(0.0, self._options)
        await session.execute(
            dialect.insert(DomainPacing)
            .values(domain=domain, next_start=0.0, delay=floor, crawl_delay=0.0, pause_until=0.0)
            .on_conflict_do_nothing(index_elements=["domain"])
        )
        pacing = await session.scalar(
            select(DomainPacing)
            .where(DomainPacing.domain == domain)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert pacing is not None
        return pacing

    async def reserve(self, domain: str, token: str, crawl_delay: float | None) -> _Start | None:
        async with self._sessions() as session, session.begin():
            pacing = await self._lock_pacing(session, domain)
            now = await self._now(session)
            await session.execute(delete(DomainSlot).where(DomainSlot.domain == domain, DomainSlot.expires_at <= now))
            held = await session.scalar(select(func.count()).where(DomainSlot.domain == domain)) or 0
            if held >= self._options.max_concurrency:
                return None
            if crawl_delay is not None:
                pacing.crawl_delay = crawl_delay
            floor = delay_floor(pacing.crawl_delay, self._options)
            delay = max(pacing.delay, floor)
            start = max(now, pacing.next_start)
            pacing.delay, pacing.next_start = delay, start + delay
            await session.execute(
                insert(DomainSlot).values(token=token, domain=domain, expires_at=start + self._lease_seconds)
            )
            return _Start(start, start - now)

    async def resume(self, domain: str, start: _Start) -> _Start:
        async with self._sessions() as session, session.begin():
            # Pauses only ever move forward, so an unlocked look is enough to tell that none covers our start.
            pause = await session.scalar(select(DomainPacing.pause_until).where(DomainPacing.domain == domain))
            now = await self._now(session)
            if pause is None or pause <= start.at:
                return _Start(start.at, start.at - now)
            if pause > now:
                return _Start(start.at, pause - now)  # still covered: look again once the pause is over
            pacing = await self._lock_pacing(session, domain)
            now = await self._now(session)
            fresh = max(now, pacing.next_start)
            pacing.next_start = fresh + pacing.delay
            return _Start(fresh, fresh - now)

    async def finish(self, domain: str, token: str, outcome: Outcome) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(delete(DomainSlot).where(DomainSlot.token == token))
            push_back = is_push_back(outcome.status)
            if not push_back and (outcome.status is None or outcome.status >= 500):
                return  # leaves the delay as is (see adapted_delay): no need to lock the pacing
            pacing = await self._lock_pacing(session, domain)
            floor = delay_floor(pacing.crawl_delay, self._options)
            values: dict[str, float] = {"delay": adapted_delay(pacing.delay, floor, outcome, self._options)}
            if push_back and outcome.retry_after:
                pause = await self._now(session) + outcome.retry_after
                values["next_start"] = max(pacing.next_start, pause)
                values["pause_until"] = max(pacing.pause_until, pause)
            await session.execute(update(DomainPacing).where(DomainPacing.domain == domain).values(**values))

    async def current_delay(self, domain: str) -> float:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(DomainPacing.delay, DomainPacing.crawl_delay).where(DomainPacing.domain == domain)
                )
            ).one_or_none()
        floor = delay_floor(0.0 if row is None else row.crawl_delay, self._options)
        return floor if row is None else max(row.delay, floor)


class DatabaseDomainLimiter(_SharedLimiter):
    """Per-domain limits shared by the worker processes of one machine, through the database (single-machine
    mode; PostgreSQL works too). Coarser than Redis: a process waiting for a free slot looks again every
    `poll_interval`, and every acquire and release is a short write transaction."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        options: PolitenessOptions | None = None,
        *,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.05,
    ) -> None:
        options = options or PolitenessOptions()
        super().__init__(_DatabaseReservations(session_factory, options, lease_seconds), options, poll_interval)


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
