"""Worker heartbeats: each worker (and beat) stamps the time every few seconds; the live ones are counted.

Cheaper than asking Celery: `inspect().ping()` broadcasts to every worker and, not knowing how many
will answer, always waits out its whole timeout (a second on each scrape of `/metrics`), and the
single-machine broker without remote control cannot answer it at all. Reading heartbeats is one Redis
round trip (or one folder listing) and works with any broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import redis
from redis.asyncio import Redis

from scrapeflow.config import Settings

HEARTBEAT_SECONDS = 10.0
STALE_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS  # two missed beats are forgiven
FORGET_AFTER_SECONDS = 24 * 3600.0
REDIS_TIMEOUT_SECONDS = 2.0


def _redis_key(queue: str) -> str:
    return f"scrapeflow:heartbeats:{queue}"


def _folder(settings: Settings, queue: str) -> Path:
    return settings.data_dir / "heartbeats" / queue


def _file_name(name: str) -> str:
    return name.replace("/", "_")


def write_heartbeat(settings: Settings, name: str, queues: Sequence[str], now: float | None = None) -> None:
    """Stamp `name` (e.g. `celery@host`, `beat@host`) as alive on each of its queues."""
    now = time.time() if now is None else now
    if settings.redis_url:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                for queue in queues:
                    pipe.zadd(_redis_key(queue), {name: now})
                    pipe.zremrangebyscore(_redis_key(queue), "-inf", now - FORGET_AFTER_SECONDS)
                pipe.execute()
        finally:
            client.close()
        return
    for queue in queues:
        folder = _folder(settings, queue)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _file_name(name)
        path.touch()
        os.utime(path, (now, now))


def last_heartbeat(settings: Settings, name: str, queue: str) -> float | None:
    """When `name` last stamped itself on `queue` (seconds since the epoch), or None if never."""
    if settings.redis_url:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            score = client.zscore(_redis_key(queue), name)
        finally:
            client.close()
        return None if score is None else float(score)
    try:
        return (_folder(settings, queue) / _file_name(name)).stat().st_mtime
    except FileNotFoundError:
        return None


async def active_workers(settings: Settings, queues: Sequence[str], now: float | None = None) -> dict[str, int]:
    """How many workers stamped themselves on each queue within the last `STALE_AFTER_SECONDS`."""
    since = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    if not settings.redis_url:
        return await asyncio.to_thread(_folder_counts, settings, queues, since)
    client = Redis.from_url(
        settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        async with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.zcount(_redis_key(queue), since, "+inf")
            counts: list[int] = await pipe.execute()
    finally:
        await client.aclose()
    return dict(zip(queues, counts, strict=True))


def _folder_counts(settings: Settings, queues: Sequence[str], since: float) -> dict[str, int]:
    counts = {}
    for queue in queues:
        try:
            entries = list(os.scandir(_folder(settings, queue)))
        except FileNotFoundError:
            entries = []
        counts[queue] = sum(1 for entry in entries if entry.stat().st_mtime >= since)
    return counts


class Heartbeat:
    """Stamps a worker alive every `HEARTBEAT_SECONDS` from a daemon thread, until stopped.

    Start it once the worker consumes (Celery's `worker_ready`) and stop it on `worker_shutdown`;
    a failed stamp (Redis briefly away) is retried on the next beat rather than stopping the worker.
    """

    def __init__(
        self, settings: Settings, name: str, queues: Sequence[str], interval: float = HEARTBEAT_SECONDS
    ) -> None:
        self.settings, self.name, self.queues, self.interval = settings, name, tuple(queues), interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval)

    def _run(self) -> None:
        while not self._stopped.is_set():
            # A failed stamp is tried again on the next beat; a worker that stays silent shows up as inactive.
            with contextlib.suppress(OSError, redis.RedisError):
                write_heartbeat(self.settings, self.name, self.queues)
            self._stopped.wait(self.interval)
