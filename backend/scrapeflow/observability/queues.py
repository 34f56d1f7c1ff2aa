"""How many messages wait in each Celery queue, read straight from the broker's storage."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from redis.asyncio import Redis

from scrapeflow.config import Settings

QUEUES = ("scraping", "llm", "export", "default")
REDIS_TIMEOUT_SECONDS = 2.0

# kombu's Redis transport keeps a queue's messages with priority n (n > 0, after rounding to its
# `priority_steps`, by default 0, 3, 6, 9) in the list `<queue>\x06\x16<n>`; priority 0 stays in `<queue>`.
# Counting every possible step keeps the total right whatever steps the Celery app configures.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITIES = range(1, 10)


def redis_queue_keys(queue: str) -> list[str]:
    return [queue, *(f"{queue}{PRIORITY_SEPARATOR}{priority}" for priority in PRIORITIES)]


def broker_folder(settings: Settings) -> Path:
    """The single-machine broker's folder (kombu's filesystem transport): one file per waiting message."""
    return settings.data_dir / "broker" / "queue"


async def queue_lengths(settings: Settings, queues: tuple[str, ...] = QUEUES) -> dict[str, int]:
    """Messages waiting per queue: from Redis when `REDIS_URL` is set, else from the broker folder."""
    if settings.redis_url:
        return await _redis_lengths(settings.redis_url, queues)
    return await asyncio.to_thread(_folder_lengths, broker_folder(settings), queues)


async def _redis_lengths(url: str, queues: tuple[str, ...]) -> dict[str, int]:
    client = Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                for key in redis_queue_keys(queue):
                    pipe.llen(key)
            lengths: list[int] = await pipe.execute()
    finally:
        await client.aclose()
    per_queue = len(PRIORITIES) + 1
    return {queue: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(queues)}


def _folder_lengths(folder: Path, queues: tuple[str, ...]) -> dict[str, int]:
    counts = dict.fromkeys(queues, 0)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:  # no message was ever sent
        return counts
    for name in names:
        # kombu names a message `<ms>_<uuid>.<queue>.msg`, and matches it the same way
        queue, dot, suffix = name.partition(".")[2].rpartition(".")
        if dot and suffix == "msg" and queue in counts:
            counts[queue] += 1
    return counts
