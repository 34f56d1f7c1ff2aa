"""Politeness as a fleet: per-domain limits held in Redis or the database and shared by every worker.

The first tests check the limiters' semantics against real Redis, SQLite and PostgreSQL, with two limiter
instances standing for two workers. The fleet tests then run two real worker processes against one site that
logs every arrival, and check what the site saw: the combined rate and concurrency stay under the limits, and a
429 answered to one worker slows the other.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Receive, Scope, Send

from scrapeflow.bots.fetch_settings import FetchSettings
from scrapeflow.bots.fetchers import fetch_options, fetcher_for
from scrapeflow.cli import REPO_ROOT
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.politeness import Outcome, PolitenessOptions
from scrapeflow.pipeline.politeness import DatabaseDomainLimiter, RedisDomainLimiter, domain_limiter
from scrapeflow.pipeline.politeness.shared import KEEP_IDLE_SECONDS, REUSE_SECONDS
from tests.conftest import PostgresDatabases, make_settings, migrate, new_database_url
from tests.site.server import serve_site

REDIS_URL = "redis://127.0.0.1:6379/0"
STORES = ["redis", "sqlite", "postgresql"]
SharedLimiter = RedisDomainLimiter | DatabaseDomainLimiter


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
async def redis(key_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


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


@pytest.fixture
def domain() -> str:
    """A fresh domain per test: the stores outlive tests."""
    return f"{uuid.uuid4().hex[:12]}.example"


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


class CountingRedis(Redis):
    """A real client that counts the scripts it runs."""

    scripts = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args and args[0] in ("EVALSHA", "EVAL"):
            self.scripts += 1
        return await super().execute_command(*args, **options)


async def test_a_steady_crawl_reuses_its_share_of_slots_without_asking_redis(key_prefix: str, domain: str) -> None:
    """Alone on a domain that needs no spacing, a process's share is the whole cap: each lease goes straight to
    the process's next request (or waits a moment for one), and goes back to Redis every `REUSE_SECONDS` and
    once no request wants it. 300 requests take a handful of scripts, not 300; the cap holds throughout and
    no lease is left behind."""
    client = CountingRedis.from_url(REDIS_URL)
    limiter = RedisDomainLimiter(client, PolitenessOptions(max_concurrency=4), key_prefix=key_prefix)
    in_flight = peak = 0

    async def request() -> None:
        nonlocal in_flight, peak
        await limiter.acquire(domain)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        await limiter.release(domain, OK)

    try:
        started = time.monotonic()
        await asyncio.gather(*(request() for _ in range(300)))
        renewals = 4 * (1 + int((time.monotonic() - started) / REUSE_SECONDS))
        assert peak == 4
        assert client.scripts <= 4 + renewals * 2, client.scripts
        await asyncio.sleep(KEEP_IDLE_SECONDS + 0.1)  # the leases no request took go back on their own
        assert await client.zcard(f"{key_prefix}{domain}:leases") == 0
    finally:
        keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_worker_that_joins_gets_its_share_at_once_and_the_cap_holds(key_prefix: str, domain: str) -> None:
    """One process keeps the whole cap for reuse; when a second starts asking, Redis tells the first, which
    gives back what is beyond its new share: from then on each runs about half the requests, with a few
    scripts per second between them rather than one per request."""
    client = CountingRedis.from_url(REDIS_URL)
    options = PolitenessOptions(max_concurrency=8)
    first, second = (RedisDomainLimiter(client, options, key_prefix=key_prefix) for _ in range(2))
    in_flight = peak = 0
    done: list[tuple[float, int]] = []

    async def crawl(index: int, limiter: SharedLimiter, until: float) -> None:
        async def request() -> None:
            nonlocal in_flight, peak
            while time.monotonic() < until:
                await limiter.acquire(domain)
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.003)
                in_flight -= 1
                await limiter.release(domain, OK)
                done.append((time.monotonic(), index))

        await asyncio.gather(*(request() for _ in range(16)))

    try:
        started = time.monotonic()
        alone = asyncio.create_task(crawl(0, first, started + 1.6))
        await asyncio.sleep(0.4)
        joined = time.monotonic()
        await crawl(1, second, started + 1.6)
        await alone
        assert peak <= 8
        settled = [index for at, index in done if at > joined + 0.2]
        assert 0.35 <= settled.count(1) / len(settled) <= 0.65, (settled.count(0), settled.count(1))
        assert client.scripts < len(done) / 5, (client.scripts, len(done))
    finally:
        keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


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


# --- The fleet: two worker processes, one site -------------------------------------------------------------


@dataclass
class ArrivalLog:
    """An ASGI site that logs when each request arrives and how many are in flight; `/slow-down` answers 429."""

    service_time: float
    retry_after: int = 1
    arrivals: list[tuple[float, str, str]] = field(default_factory=list)
    """(monotonic time, path, worker) per request."""
    in_flight: int = 0
    max_in_flight: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        worker = dict(scope["headers"]).get(b"x-worker", b"?").decode()
        self.arrivals.append((time.monotonic(), scope["path"], worker))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if scope["path"] == "/slow-down":
                status, headers = 429, [(b"retry-after", str(self.retry_after).encode())]
            else:
                await asyncio.sleep(self.service_time)
                status, headers = 200, [(b"content-type", b"text/html; charset=utf-8")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"<html><body>ok</body></html>"})
        finally:
            self.in_flight -= 1

    def times(self, worker: str | None = None, path: str = "/") -> list[float]:
        return [at for at, seen, by in self.arrivals if seen == path and (worker is None or by == worker)]


@dataclass
class Fleet:
    limiter: str
    redis_url: str
    key_prefix: str
    database_url: str
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, name: str, url: str, **spec: Any) -> None:
        spec = {
            "limiter": self.limiter,
            "redis_url": self.redis_url,
            "key_prefix": self.key_prefix,
            "database_url": self.database_url,
            "url": url,
            "headers": {"x-worker": name},
            "max_concurrency": 2,
            "min_delay": 0.05,
            "penalty_delay": 1.0,
            "tasks": 4,
            **spec,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.pipeline.fleet_worker", json.dumps(spec)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)

    def run(self) -> list[dict[str, Any]]:
        """Start every worker at once (after each is set up) and collect their reports."""
        for process in self.processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        for process in self.processes:
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 0
            reports.append(json.loads(out.splitlines()[-1]))
        return reports

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest, key_prefix: str, redis: Redis, database_urls: dict[str, str]
) -> Iterator[Fleet]:
    kind = request.param
    fleet = Fleet(
        limiter="database" if kind in ("sqlite", "postgresql") else kind,
        redis_url=REDIS_URL,
        key_prefix=key_prefix,
        database_url=database_urls.get(kind, ""),
    )
    yield fleet
    fleet.kill()


LIMIT_RPS = 20.0  # min_delay 0.05 s
CAP = 2


@pytest.mark.parametrize("fleet", STORES, indirect=True)
def test_two_workers_together_stay_under_the_sites_limits(fleet: Fleet) -> None:
    site = ArrivalLog(service_time=0.08)  # two in flight could do 25/s: the rate limit is what binds
    with serve_site(site) as base_url:
        fleet.start("a", base_url + "/", seconds=2.5)
        fleet.start("b", base_url + "/", seconds=2.5)
        reports = fleet.run()

    arrivals = site.times()
    # Both workers really competed: each got a fair part of what the limits let through (on a slow machine the
    # database limiter's transactions let through fewer than the limit, so no fixed count).
    assert min(len(site.times("a")), len(site.times("b"))) >= max(5, len(arrivals) // 4), len(arrivals)
    assert sum(sum(report["statuses"].values()) for report in reports) == len(arrivals)
    assert site.max_in_flight <= CAP
    # Any 11 consecutive arrivals span at least 10 spacings (less some jitter on a busy machine), and overall
    # the site never saw more than the limit.
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[10:], strict=False)]
    assert min(spans) >= 10 / LIMIT_RPS - 0.1, min(spans)
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= LIMIT_RPS * 1.05


@pytest.mark.parametrize("fleet", ["local"], indirect=True)
def test_without_a_shared_limiter_two_workers_exceed_the_limits(fleet: Fleet) -> None:
    """The control: the same two workers, each polite on its own, hit the site about twice as hard."""
    site = ArrivalLog(service_time=0.08)
    with serve_site(site) as base_url:
        fleet.start("a", base_url + "/", seconds=2.0)
        fleet.start("b", base_url + "/", seconds=2.0)
        fleet.run()

    arrivals = site.times()
    assert site.max_in_flight > CAP
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) > LIMIT_RPS * 1.3


@pytest.mark.parametrize("fleet", ["redis", "sqlite"], indirect=True)
def test_a_429_answered_to_one_worker_slows_the_other(fleet: Fleet) -> None:
    site = ArrivalLog(service_time=0.02, retry_after=1)
    with serve_site(site) as base_url:
        fleet.start("hammer", base_url + "/", seconds=3.5, tasks=2)
        fleet.start("pushed", base_url + "/slow-down", seconds=1.0, tasks=1, requests=1, after=0.8)
        reports = fleet.run()

    assert reports[1]["statuses"] == {"RATE_LIMITED": 1}
    (told,) = site.times("pushed", "/slow-down")
    hammer = site.times("hammer")
    before = [at for at in hammer if at < told]
    assert len(before) >= 10  # hammering at full pace until then
    # Requests already on their way when the 429 came back may land just after it; then nothing until the
    # Retry-After has passed, and the pace after it is the pushed-back delay, not the old 20/s.
    after = [at for at in hammer if at > told + 0.15]
    assert after, "the hammering worker stopped altogether"
    assert after[0] - told >= 0.9
    assert after[1] - after[0] >= 0.4


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
