"""What both shared stores have in common: the limiter that takes slots from a store and waits out its
answers, and the store's interface."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from scrapeflow.config import Settings
from scrapeflow.engine.politeness import InProcessDomainLimiter, Outcome, PolitenessOptions, is_push_back

log = structlog.get_logger(__name__)

_LEASE_MARGIN_SECONDS = 10.0
"""A lease outlives the longest request (fetch or browser page time limit) by this much."""
_WAIT_EPSILON = 0.0005
STORE_ERRORS = (RedisError, OSError, DBAPIError)

Finished = Sequence[tuple[str, Outcome]]
"""Leases given back (token, what happened to its request), in the order their requests ended."""


def lease_seconds_for(settings: Settings) -> float:
    """How long a slot is held at most: a worker that dies mid-request gives its slots back after this."""
    return max(settings.fetch_timeout_seconds, settings.browser_page_timeout_seconds) + _LEASE_MARGIN_SECONDS


@dataclass(frozen=True, slots=True)
class Start:
    """A reserved request start, in the store's clock and unit, and the seconds until it."""

    at: float
    wait: float


class Reservations(Protocol):
    """What differs between the shared stores; `SharedLimiter` does the waiting and bookkeeping around it."""

    async def reserve(self, domain: str, token: str, crawl_delay: float | None, finished: Finished) -> Start | None:
        """Give back the `finished` leases, then take a slot and the next start, or None when the domain is
        full."""
        ...

    async def resume(self, domain: str, start: Start) -> Start:
        """After sleeping until `start`: the same start, or, when a Retry-After paused the domain over it, a
        new start after the pause, spaced like any other (so held-back requests do not burst out together)."""
        ...

    async def finish(self, domain: str, finished: Finished) -> None: ...

    async def wait_turn(self, token: str, at_most: float) -> None:
        """After `reserve` found the domain full: wait until the store says a slot is free for `token`, or at
        most `at_most` seconds (a store that cannot tell just sleeps, and the caller asks again)."""
        ...

    def forget(self, token: str) -> None:
        """`token` is done waiting (it got a slot, or gave up)."""
        ...

    async def current_delay(self, domain: str) -> float: ...


class _Gate:
    def __init__(self, size: int) -> None:
        self.semaphore = asyncio.Semaphore(max(1, size))
        self.users = 0
        """Requests of this process holding or waiting for a slot on the domain."""
        self.waiting = 0
        """Of those, the ones waiting at the gate."""


class SharedLimiter:
    """A DomainLimiter over shared reservations: take a slot (polling while the domain is full), sleep until the
    reserved start, and wait out a Retry-After another worker saw in the meantime. A store that fails (Redis
    unreachable, database locked for too long) degrades to this process's own limits rather than failing pages.

    Round trips are what a crawl pays here, so the limiter saves them where the outcome is the same:

    - this process's own requests beyond the cap wait on a local gate, not polling the store (the store can
      never give one process more than the cap);
    - an ordinary answer's lease is given back with the next reservation for the domain, which usually follows
      at once (the request that waited at the gate takes the slot), or, when none comes, on its own a moment
      later. Push-back (429/503) and slow answers change the domain's pace, so they are sent at once.
    """

    def __init__(self, store: Reservations, options: PolitenessOptions, poll_interval: float) -> None:
        self.options = options
        self._store = store
        self._poll_interval = poll_interval
        self._local = InProcessDomainLimiter(options)
        self._held: defaultdict[str, list[str | None]] = defaultdict(list)
        """Per domain, the leases this process holds (None: admitted by the local fallback)."""
        self._crawl_delays: dict[str, float] = {}
        """Crawl-delays read from robots.txt, sent with the domain's next reservation."""
        self._gates: dict[str, _Gate] = {}
        self._finished: defaultdict[str, list[tuple[str, Outcome]]] = defaultdict(list)
        """Per domain, leases given back and not yet sent to the store."""
        self._sending: set[asyncio.Task[None]] = set()

    async def acquire(self, domain: str) -> None:
        gate = self._gates.get(domain)
        if gate is None:
            gate = self._gates[domain] = _Gate(self.options.max_concurrency)
        gate.users += 1
        gate.waiting += 1
        try:
            await gate.semaphore.acquire()
        except BaseException:
            self._leave(domain, gate)
            raise
        finally:
            gate.waiting -= 1
        try:
            await self._acquire(domain)
        except BaseException:
            gate.semaphore.release()
            self._leave(domain, gate)
            raise

    def _leave(self, domain: str, gate: _Gate) -> None:
        gate.users -= 1
        if gate.users == 0:
            del self._gates[domain]

    async def _acquire(self, domain: str) -> None:
        token = uuid.uuid4().hex
        try:
            start = await self._reserve(domain, token)
            while start.wait > _WAIT_EPSILON:
                await asyncio.sleep(start.wait)
                # A Retry-After seen by any worker while we slept holds back starts reserved before it.
                start = await self._store.resume(domain, start)
        except STORE_ERRORS as exc:
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
        with contextlib.suppress(*STORE_ERRORS):
            await self._store.finish(domain, [(token, Outcome(status=None, latency=0.0))])

    async def _reserve(self, domain: str, token: str) -> Start:
        try:
            while True:
                crawl_delay = self._crawl_delays.pop(domain, None)
                finished = self._finished.pop(domain, [])
                try:
                    start = await self._store.reserve(domain, token, crawl_delay, finished)
                except BaseException:
                    if crawl_delay is not None:
                        self._crawl_delays.setdefault(domain, crawl_delay)
                    raise  # the leases given back with it expire on their own
                if start is not None:
                    return start
                await self._store.wait_turn(token, self._poll_interval)
        finally:
            self._store.forget(token)

    async def release(self, domain: str, outcome: Outcome) -> None:
        held = self._held.get(domain)
        token = held.pop() if held else None
        if held is not None and not held:
            del self._held[domain]
        gate = self._gates.get(domain)
        try:
            if token is None:
                await self._local.release(domain, outcome)
                return
            self._finished[domain].append((token, outcome))
            if gate is None or not gate.waiting or self._changes_pace(outcome):
                await self._send_finished(domain)  # nobody here reserves next, or the pace changes: send it now
                return
        finally:
            if gate is not None:
                gate.semaphore.release()  # the request waiting at the gate runs next and takes the lease along
                self._leave(domain, gate)
        asyncio.get_running_loop().call_soon(self._send_later, domain)  # in case it was cancelled meanwhile

    def _changes_pace(self, outcome: Outcome) -> bool:
        slow = self.options.adapt_to_latency and outcome.latency > self.options.slow_latency
        return is_push_back(outcome.status) or slow

    def _send_later(self, domain: str) -> None:
        if self._finished.get(domain):
            task = asyncio.get_running_loop().create_task(self._send_finished(domain))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send_finished(self, domain: str) -> None:
        finished = self._finished.pop(domain, [])
        if not finished:
            return
        try:
            await self._store.finish(domain, finished)
        except STORE_ERRORS as exc:
            # The leases expire on their own; only these outcomes' effect on the delay is lost.
            log.warning("domain_limiter_unavailable", domain=domain, error=str(exc))

    def set_crawl_delay(self, domain: str, seconds: float) -> None:
        self._crawl_delays[domain] = seconds
        self._local.set_crawl_delay(domain, seconds)

    async def current_delay(self, domain: str) -> float:
        """The domain's spacing between request starts as the whole fleet sees it, in seconds."""
        await self._send_finished(domain)
        return await self._store.current_delay(domain)
