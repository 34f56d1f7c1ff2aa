"""The fleet limiters' semantics against real Redis, SQLite and PostgreSQL, with limiter instances standing for
worker processes sharing one store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from scrapeflow.bots.fetch_settings import FetchSettings
from scrapeflow.bots.fetchers import fetch_options, fetcher_for
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.politeness import Outcome, PolitenessOptions
from scrapeflow.pipeline.politeness import DatabaseDomainLimiter, RedisDomainLimiter, domain_limiter
from scrapeflow.pipeline.politeness.shared import KEEP_IDLE_SECONDS, REUSE_SECONDS
from tests.conftest import make_settings
from tests.pipeline.politeness.conftest import REDIS_URL, STORES, CountingRedis

SharedLimiter = RedisDomainLimiter | DatabaseDomainLimiter


Workers = Callable[..., SharedLimiter]


@pytest.fixture(params=STORES)
async def workers(
    request: pytest.FixtureRequest, redis: Redis, key_prefix: str, database_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[Workers]:
    """`workers(options, **kw)` makes a limiter that stands for one more worker sharing the same store."""
    engines: list[AsyncEngine] = []

    def make(options: PolitenessOptions, **kwargs: Any) -> SharedLimiter:
        if request.param == "redis":
            return RedisDomainLimiter(redis, options, key_prefix=key_prefix, **kwargs)
        engine = create_engine(make_settings(tmp_path, database_urls[request.param]))
        engines.append(engine)
        return DatabaseDomainLimiter(create_sessionmaker(engine), options, **kwargs)

    yield make
    for engine in engines:
        await engine.dispose()


OK = Outcome(status=200, latency=0.01)


async def assert_handed_over(holder: SharedLimiter, waiter: SharedLimiter, domain: str) -> None:
    """`waiter` gets no slot while `holder` has the domain's last one, and gets it once `holder` gives it back."""
    waiting = asyncio.create_task(waiter.acquire(domain))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await holder.release(domain, OK)
    await asyncio.wait_for(waiting, timeout=2)


async def test_the_concurrency_cap_holds_across_workers(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(max_concurrency=2)
    first, second = workers(options), workers(options)
    await first.acquire(domain)
    await second.acquire(domain)

    # Two requests in flight, one per worker: the domain is full for both until one gives its slot back.
    await assert_handed_over(second, first, domain)
    await first.release(domain, OK)
    await first.release(domain, OK)


@dataclass
class InFlight:
    """Requests through limiters, counting how many are in flight at once across all of them."""

    now: int = 0
    peak: int = 0

    async def request(self, limiter: SharedLimiter, domain: str, seconds: float) -> None:
        await limiter.acquire(domain)
        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(seconds)
        self.now -= 1
        await limiter.release(domain, OK)


async def test_a_steady_crawl_reuses_its_share_of_slots_without_asking_redis(
    redis: CountingRedis, key_prefix: str, domain: str
) -> None:
    """Alone on a domain that needs no spacing, a process's share is the whole cap: each lease goes straight to
    the process's next request (or waits a moment for one), and goes back to Redis every `REUSE_SECONDS` and
    once no request wants it. 300 requests take a handful of scripts, not 300; the cap holds throughout and
    no lease is left behind."""
    limiter = RedisDomainLimiter(redis, PolitenessOptions(max_concurrency=4), key_prefix=key_prefix)
    requests = InFlight()
    started = time.monotonic()
    await asyncio.gather(*(requests.request(limiter, domain, 0.002) for _ in range(300)))
    renewals = 4 * (1 + int((time.monotonic() - started) / REUSE_SECONDS))
    assert requests.peak == 4
    assert redis.scripts <= 4 + renewals * 2, redis.scripts
    await asyncio.sleep(KEEP_IDLE_SECONDS + 0.1)  # the leases no request took go back on their own
    assert await redis.zcard(f"{key_prefix}{domain}:leases") == 0


async def test_a_worker_that_joins_gets_its_share_at_once_and_the_cap_holds(
    redis: CountingRedis, key_prefix: str, domain: str
) -> None:
    """One process keeps the whole cap for reuse; when a second starts asking, Redis tells the first, which
    gives back what is beyond its new share: from then on each runs about half the requests, with a few
    scripts per second between them rather than one per request."""
    options = PolitenessOptions(max_concurrency=8)
    first, second = (RedisDomainLimiter(redis, options, key_prefix=key_prefix) for _ in range(2))
    requests = InFlight()
    done: list[tuple[float, int]] = []

    async def crawl(index: int, limiter: SharedLimiter, until: float) -> None:
        async def worker() -> None:
            while time.monotonic() < until:
                await requests.request(limiter, domain, 0.003)
                done.append((time.monotonic(), index))

        await asyncio.gather(*(worker() for _ in range(16)))

    started = time.monotonic()
    alone = asyncio.create_task(crawl(0, first, started + 1.6))
    await asyncio.sleep(0.4)
    joined = time.monotonic()
    await crawl(1, second, started + 1.6)
    await alone
    assert requests.peak <= 8
    settled = [index for at, index in done if at > joined + 0.2]
    assert 0.35 <= settled.count(1) / len(settled) <= 0.65, (settled.count(0), settled.count(1))
    assert redis.scripts < len(done) / 5, (redis.scripts, len(done))


async def test_a_dead_workers_slots_come_back_when_their_leases_expire(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(max_concurrency=1)
    dead = workers(options, lease_seconds=0.6)
    await dead.acquire(domain)  # and never releases

    started = time.monotonic()
    alive = workers(options, lease_seconds=0.6)
    await asyncio.wait_for(alive.acquire(domain), timeout=3)
    assert time.monotonic() - started >= 0.4
    await alive.release(domain, OK)


async def test_request_starts_are_spaced_across_workers(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(max_concurrency=8, min_delay=0.1)
    limiters = [workers(options), workers(options)]
    starts: list[float] = []

    async def request(index: int) -> None:
        limiter = limiters[index % 2]
        await limiter.acquire(domain)
        starts.append(time.monotonic())
        await limiter.release(domain, OK)

    # Measured from before the first request: a busy machine can only make a start later than reserved.
    origin = time.monotonic()
    await asyncio.gather(*(request(index) for index in range(6)))
    starts.sort()
    early = [0.1 * index - (start - origin) for index, start in enumerate(starts)]
    assert max(early) <= 0.02, early


async def test_a_push_back_slows_every_worker_and_success_relaxes_it(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(min_delay=0.0, penalty_delay=0.4)
    pushed, other = workers(options), workers(options)
    await pushed.acquire(domain)
    await pushed.release(domain, Outcome(status=429, latency=0.01))
    assert await other.current_delay(domain) == pytest.approx(0.4)

    started = time.monotonic()
    await other.acquire(domain)
    await other.acquire(domain)  # the other worker's next start waits the pushed-back delay
    assert time.monotonic() - started >= 0.38
    await other.release(domain, OK)
    assert await pushed.current_delay(domain) == pytest.approx(0.2)  # relaxed by half on success
    await other.release(domain, OK)
    assert await pushed.current_delay(domain) == pytest.approx(0.1)
    for _ in range(8):  # 0.05, 0.025, … then within a millisecond of the floor: snapped to it
        await other.acquire(domain)
        await other.release(domain, OK)
    assert await pushed.current_delay(domain) == 0.0


async def test_retry_after_holds_back_starts_reserved_before_it(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(min_delay=0.3)
    pushed, other = workers(options), workers(options)
    await pushed.acquire(domain)
    reserved = asyncio.create_task(other.acquire(domain))  # reserves a start 0.3 s on
    await asyncio.sleep(0.05)
    told = time.monotonic()
    await pushed.release(domain, Outcome(status=429, latency=0.01, retry_after=0.7))
    await asyncio.wait_for(reserved, timeout=3)
    assert time.monotonic() - told >= 0.6
    await other.release(domain, OK)


async def test_a_crawl_delay_raises_the_floor_for_the_fleet(workers: Workers, domain: str) -> None:
    options = PolitenessOptions(min_delay=0.0)
    reader, other = workers(options), workers(options)
    reader.set_crawl_delay(domain, 0.3)  # this worker read robots.txt; the next reservation carries it
    await reader.acquire(domain)
    await reader.release(domain, OK)
    assert await other.current_delay(domain) == pytest.approx(0.3)

    started = time.monotonic()
    await other.acquire(domain)
    await other.acquire(domain)
    assert time.monotonic() - started >= 0.28
    await other.release(domain, OK)
    await other.release(domain, OK)
    assert await other.current_delay(domain) == pytest.approx(0.3)  # success relaxes down to the floor only


async def test_without_redis_a_worker_keeps_its_own_limits(domain: str) -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    limiter = RedisDomainLimiter(unreachable, PolitenessOptions(max_concurrency=1))
    await limiter.acquire(domain)
    await assert_handed_over(limiter, limiter, domain)
    await limiter.release(domain, OK)
    await unreachable.aclose()


async def test_domain_limiter_picks_redis_when_configured_else_the_database(
    tmp_path: Path, redis: Redis, database_urls: dict[str, str]
) -> None:
    settings = make_settings(tmp_path, database_urls["sqlite"], domain_max_concurrency=3, domain_min_delay_seconds=0.25)
    engine = create_engine(settings)
    try:
        local = domain_limiter(settings, session_factory=create_sessionmaker(engine))
        assert isinstance(local, DatabaseDomainLimiter)
        assert local.options == PolitenessOptions(max_concurrency=3, min_delay=0.25)
        with pytest.raises(ValueError, match="session_factory"):
            domain_limiter(settings)
        shared = domain_limiter(settings.model_copy(update={"redis_url": REDIS_URL}), redis=redis)
        assert isinstance(shared, RedisDomainLimiter)
        assert shared.options == local.options
    finally:
        await engine.dispose()


def test_runs_take_the_shared_limiter_when_given_one(tmp_path: Path, redis: Redis) -> None:
    settings = make_settings(tmp_path, "", domain_max_concurrency=3, domain_min_delay_seconds=0.5)
    assert fetch_options(settings).politeness == PolitenessOptions(max_concurrency=3, min_delay=0.5)
    shared = RedisDomainLimiter(redis)
    fetcher = fetcher_for(settings, FetchSettings(), limiter=shared)
    assert isinstance(fetcher, HttpFetcher)
    assert fetcher.limiter is shared
    assert fetcher.robots._limiter is shared  # robots.txt's Crawl-delay reaches the fleet too
    alone = fetcher_for(settings, FetchSettings())
    assert isinstance(alone, HttpFetcher)
    assert alone.limiter is not shared


async def test_a_freed_slot_goes_to_the_waiting_worker_at_once_not_at_its_next_poll(
    redis: Redis, key_prefix: str, domain: str
) -> None:
    """Slots freed in Redis are announced to the first waiters, so a worker waiting for one asks again at
    once; with polls 10 s apart, the waiting worker still gets the slot well before its next poll."""
    options = PolitenessOptions(max_concurrency=1)
    first = RedisDomainLimiter(redis, options, key_prefix=key_prefix, poll_interval=10.0)
    second = RedisDomainLimiter(redis, options, key_prefix=key_prefix, poll_interval=10.0)
    await first.acquire(domain)
    await assert_handed_over(first, second, domain)  # within 2 s: its next poll was ~10 s away
    # The first worker now waits behind it in turn, and is told as soon as the second gives the slot back.
    await assert_handed_over(second, first, domain)
    await first.release(domain, OK)
