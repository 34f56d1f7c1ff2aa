"""A Redis database (10–15) that this test session holds alone, so two test runs on one machine (one Redis
server) never take each other's tasks or flush each other's queues. The claim is a key in database 0, taken
with SET NX and given back when the session ends (it expires on its own if the session is killed)."""

from __future__ import annotations

import atexit
import functools
import os
import time
import uuid

import redis

SERVER = "redis://127.0.0.1:6379"
DATABASES = range(10, 16)
CLAIM_SECONDS = 3 * 3600


@functools.cache
def claim_database(wait_seconds: float = 120.0) -> str:
    """The URL of a database no other test session holds (one per session; waits while all are held)."""
    control = redis.Redis.from_url(f"{SERVER}/0")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait_seconds
    while True:
        for number in DATABASES:
            key = f"scrapeflow-tests:redis-db:{number}"
            if control.set(key, token, nx=True, ex=CLAIM_SECONDS):
                atexit.register(_give_back, key, token)
                return f"{SERVER}/{number}"
        if time.monotonic() > deadline:
            raise RuntimeError(f"every test Redis database ({DATABASES.start}-{DATABASES.stop - 1}) is held")
        time.sleep(1.0)


def _give_back(key: str, token: str) -> None:
    control = redis.Redis.from_url(f"{SERVER}/0")
    if control.get(key) == token.encode():
        control.delete(key)
