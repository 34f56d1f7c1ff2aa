"""One worker process of the fleet test: fetches one site as hard as its domain limiter lets it.

Run as `python -m tests.pipeline.fleet_worker '<json>'`. It prints `ready` once set up, waits for a line on
stdin (so every worker starts together), fetches for the given time, and prints what it got as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

from redis.asyncio import Redis

from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.politeness import DomainLimiter, InProcessDomainLimiter, PolitenessOptions
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.pipeline.politeness import DatabaseDomainLimiter, RedisDomainLimiter


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    options = PolitenessOptions(
        max_concurrency=spec["max_concurrency"], min_delay=spec["min_delay"], penalty_delay=spec["penalty_delay"]
    )
    redis: Redis | None = None
    engine = None
    limiter: DomainLimiter
    if spec["limiter"] == "redis":
        redis = Redis.from_url(spec["redis_url"])
        limiter = RedisDomainLimiter(redis, options, key_prefix=spec["key_prefix"])
    elif spec["limiter"] == "database":
        engine = create_engine(Settings(database_url=spec["database_url"]))
        limiter = DatabaseDomainLimiter(create_sessionmaker(engine), options)
    else:
        limiter = InProcessDomainLimiter(options)
    fetch_options = FetchOptions(
        allowlist=FetchAllowlist.parse("127.0.0.1"),
        retries=0,
        respect_robots=False,
        politeness=options,
        headers=spec.get("headers", {}),
    )
    statuses: Counter[str] = Counter()
    try:
        async with HttpFetcher(fetch_options, limiter=limiter) as fetcher:
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            await asyncio.sleep(spec.get("after", 0.0))
            deadline = time.monotonic() + spec["seconds"]

            async def hammer() -> None:
                for _ in range(spec.get("requests", 1_000_000)):
                    if time.monotonic() >= deadline:
                        return
                    try:
                        page = await fetcher.fetch(spec["url"])
                        statuses[str(page.status)] += 1
                    except EngineError as error:
                        statuses[error.code.value] += 1

            await asyncio.gather(*(hammer() for _ in range(spec["tasks"])))
    finally:
        if redis is not None:
            await redis.aclose()
        if engine is not None:
            await engine.dispose()
    return {"statuses": dict(statuses)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))), flush=True)
