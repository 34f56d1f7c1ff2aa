"""Fetchers kept open across an execution's scrape batches in one worker process.

A fetcher holds the connections to the site, its robots.txt, resolved addresses and circuit breakers. Opening
one per batch of 25 pages re-did all of that 80 times in a 2,000-page crawl (new TCP connections, a robots.txt
request and DNS lookups each time); kept per execution, a worker process crawls a site as one engine run does.

Fetchers are never shared between executions (a site's cookies stay with the execution that got them). Each
belongs to the worker process's event loop; a pool process runs one task at a time, so a fetcher is never
closed while a batch uses it.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IDLE_SECONDS = 30.0
"""A fetcher no batch used for this long is closed (its execution is over or has moved on)."""
MAX_OPEN = 4
"""Executions whose fetchers a process keeps open at once; the least recently used is closed first."""

Opener = Callable[[], contextlib.AbstractAsyncContextManager[Any]]


@dataclass
class _Open:
    fetcher: Any
    stack: contextlib.AsyncExitStack
    used_at: float


class FetcherCache:
    def __init__(self, *, idle_seconds: float = IDLE_SECONDS, max_open: int = MAX_OPEN) -> None:
        self.idle_seconds = idle_seconds
        self.max_open = max_open
        self._open: OrderedDict[uuid.UUID, _Open] = OrderedDict()

    async def get(self, execution_id: uuid.UUID, make: Opener) -> Any:
        """The execution's open fetcher, or a new one from `make()`; fetchers idle too long are closed first."""
        now = time.monotonic()
        for key, entry in list(self._open.items()):
            if key != execution_id and now - entry.used_at > self.idle_seconds:
                await self._close(key)
        found = self._open.get(execution_id)
        if found is None:
            stack = contextlib.AsyncExitStack()
            found = self._open[execution_id] = _Open(await stack.enter_async_context(make()), stack, now)
            while len(self._open) > self.max_open:
                await self._close(next(iter(self._open)))
        found.used_at = now
        self._open.move_to_end(execution_id)
        return found.fetcher

    async def discard(self, execution_id: uuid.UUID) -> None:
        """Close the execution's fetcher, if this process has one open."""
        if execution_id in self._open:
            await self._close(execution_id)

    async def aclose(self) -> None:
        for key in list(self._open):
            await self._close(key)

    async def _close(self, key: uuid.UUID) -> None:
        entry = self._open.pop(key)
        with contextlib.suppress(Exception):  # a connection that fails to close must not fail the next task
            await entry.stack.aclose()
