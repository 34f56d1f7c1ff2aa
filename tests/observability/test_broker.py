"""Queue lengths and worker heartbeats, read from real Redis lists and sorted sets and from the broker folder."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from scrapeflow.config import Settings
from scrapeflow.observability.heartbeats import Heartbeat, active_workers, last_heartbeat, write_heartbeat
from scrapeflow.observability.queues import broker_folder, queue_lengths
from tests.conftest import make_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def names() -> Iterator[tuple[str, str]]:
    """Two queue names of this test alone (the Redis server is shared), deleted afterwards."""
    queues = (f"scraping-{uuid.uuid4().hex[:8]}", f"llm-{uuid.uuid4().hex[:8]}")
    yield queues
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key for queue in queues for key in client.scan_iter(f"*{queue}*")]
    if keys:
        client.delete(*keys)
    client.close()


def redis_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, "", redis_url=REDIS_URL)


async def test_queue_lengths_count_every_priority_list_in_redis(tmp_path: Path, names: tuple[str, str]) -> None:
    scraping, llm = names
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.rpush(scraping, "m1", "m2", "m3")  # priority 0
        client.rpush(f"{scraping}\x06\x163", "m4", "m5")  # kombu's list for priority 3
        client.rpush(f"{scraping}\x06\x169", "m6")
        client.rpush(f"{scraping}-other", "not ours")  # a queue whose name merely starts the same
        client.rpush(f"{llm}\x06\x167", "m7")  # a step outside kombu's default 0, 3, 6, 9
    finally:
        client.close()
    assert await queue_lengths(redis_settings(tmp_path), (scraping, llm, "nothing-here")) == {
        scraping: 6,
        llm: 1,
        "nothing-here": 0,
    }


async def test_queue_lengths_count_message_files_in_the_broker_folder(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "")
    assert await queue_lengths(settings) == {"scraping": 0, "llm": 0, "export": 0, "default": 0}
    folder = broker_folder(settings)
    folder.mkdir(parents=True)
    for index in range(4):
        (folder / f"{1700 + index}_{uuid.uuid4()}.scraping.msg").write_bytes(b"{}")
    (folder / f"1800_{uuid.uuid4()}.default.msg").write_bytes(b"{}")
    (folder / f"1900_{uuid.uuid4()}.scraping.msg.tmp").write_bytes(b"{}")  # not a message
    (folder / f"2000_{uuid.uuid4()}.celery.pidbox.msg").write_bytes(b"{}")  # another queue
    assert await queue_lengths(settings) == {"scraping": 4, "llm": 0, "export": 0, "default": 1}


@pytest.mark.parametrize("backend", ["redis", "folder"])
async def test_active_workers_are_those_with_a_recent_heartbeat(
    tmp_path: Path, names: tuple[str, str], backend: str
) -> None:
    settings = redis_settings(tmp_path) if backend == "redis" else make_settings(tmp_path, "")
    scraping, llm = names
    now = time.time()
    write_heartbeat(settings, "celery@a", [scraping, llm], now=now)
    write_heartbeat(settings, "celery@b", [scraping], now=now - 5)
    write_heartbeat(settings, "celery@c", [scraping], now=now - 120)  # stopped two minutes ago
    assert await active_workers(settings, (scraping, llm, "idle"), now=now) == {scraping: 2, llm: 1, "idle": 0}
    assert last_heartbeat(settings, "celery@c", scraping) == pytest.approx(now - 120, abs=0.01)
    assert last_heartbeat(settings, "celery@a", "idle") is None


def test_heartbeat_thread_stamps_until_stopped(tmp_path: Path, names: tuple[str, str]) -> None:
    settings = redis_settings(tmp_path)
    scraping, _ = names
    heartbeat = Heartbeat(settings, "celery@thread", [scraping], interval=0.05)
    heartbeat.start()
    try:
        deadline = time.monotonic() + 5
        while last_heartbeat(settings, "celery@thread", scraping) is None:
            assert time.monotonic() < deadline, "no heartbeat within 5 s"
            time.sleep(0.02)
    finally:
        heartbeat.stop()
    stopped_at = last_heartbeat(settings, "celery@thread", scraping)
    time.sleep(0.2)
    assert last_heartbeat(settings, "celery@thread", scraping) == stopped_at
