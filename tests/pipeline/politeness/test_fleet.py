"""The fleet: two real worker processes (tests/pipeline/fleet_worker.py) against one site that logs every
arrival. What the site saw is checked: the combined rate and concurrency stay under the limits, and a 429
answered to one worker slows the other."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.types import Receive, Scope, Send

from scrapeflow.cli import REPO_ROOT
from tests.pipeline.politeness.conftest import REDIS_URL, STORES
from tests.site.server import serve_site


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
