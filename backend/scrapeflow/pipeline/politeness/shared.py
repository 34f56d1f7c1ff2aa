"""What both shared stores have in common: the limiter that takes slots from a store and waits out its
answers, and the store's interface."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
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
REUSE_SECONDS = 0.5
"""A lease this process reuses for its next requests goes back to the store at least this often, so the fleet's
shares are settled again within this time even when nobody is told of a change."""
KEEP_IDLE_SECONDS = 0.05
"""A reusable lease no request of this process took for this long goes back to the store."""
STORE_ERRORS = (RedisError, OSError, DBAPIError)

_UNUSED = Outcome(status=None, latency=0.0)
"""What a lease given back without a request (a spare, a place in the queue) did: nothing, so the delay stays."""

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
    share: int = 0
    """How many of the domain's slots this process may keep for its next requests without asking again: its
    fair part of the cap among the processes using the domain, or 0 while requests must be spaced (a delay, a
    Retry-After pause), when every start is reserved on its own."""


@dataclass(slots=True)
class _Lease:
    token: str
    granted: float
    """When the store granted it (this process's monotonic clock)."""
    reusable: bool
    """Granted with a share: while this process keeps no more than its share, the next request may take it over
    without a round trip."""
    idle_since: float = 0.0
    """When its request ended with no other waiting to take it over (it is kept a moment for the next one)."""


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

    def on_contention(self, owner: str, tell: Callable[[str, int], None]) -> None:
        """Call `tell(domain, sharing)` when a process other than `owner` (this one: its tokens start with
        `owner.`) starts waiting for the domain, with the number of processes now using it, or is pushed back
        by it (0), so leases kept beyond this process's new share go back at once (a store that cannot tell
        grants no share)."""
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
    - while the domain needs no spacing between starts, the store grants each process a share of its slots
      (the cap divided among the processes using it), and a lease within that share is handed straight to this
      process's next request (or kept `KEEP_IDLE_SECONDS` for one): a steady crawl asks the store about twice
      a second per slot, not once per request. A process at its share waits for one of its own leases rather
      than queueing in the store; a worker that starts waiting, or a push-back anywhere, shrinks the others'
      shares, and what they keep beyond it goes back at once or at its next release; every lease goes back
      after `REUSE_SECONDS` in any case;
    - otherwise an ordinary answer's lease is given back with the next reservation for the domain, which
      usually follows at once (the request that waited at the gate takes the slot), or, when none comes, on its
      own a moment later. Push-back (429/503) and slow answers change the domain's pace, so they are sent at
      once.
    """

    def __init__(self, store: Reservations, options: PolitenessOptions, poll_interval: float) -> None:
        self.options = options
        self._store = store
        self._poll_interval = poll_interval
        self._local = InProcessDomainLimiter(options)
        self._owner = uuid.uuid4().hex[:16]
        self._numbers = itertools.count()
        self._held: defaultdict[str, list[_Lease | None]] = defaultdict(list)
        """Per domain, the leases this process holds (None: admitted by the local fallback)."""
        self._shares: dict[str, int] = {}
        """Per domain, this process's share as the store last said."""
        self._spare: defaultdict[str, list[_Lease]] = defaultdict(list)
        """Per domain, reusable leases whose requests ended, kept for the next request (the one waiting at the
        gate, or one that comes within `KEEP_IDLE_SECONDS`)."""
        self._share_waiters: defaultdict[str, deque[asyncio.Future[_Lease | None]]] = defaultdict(deque)
        """Per domain, requests waiting for one of this process's leases (it holds its whole share)."""
        store.on_contention(self._owner, self._contended)
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
        lease = await self._reused(domain)
        if lease is not None:
            self._held[domain].append(lease)
            return
        token = f"{self._owner}.{next(self._numbers)}"
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
        self._shares[domain] = start.share
        self._held[domain].append(_Lease(token, time.monotonic(), start.share > 0))

    async def _reused(self, domain: str) -> _Lease | None:
        """A lease of this process's own to take over: a spare one, or, when the process holds its whole share,
        the next one a request of its own gives back (None: ask the store)."""
        spare = self._spare.get(domain)
        while spare:
            kept = spare.pop()
            if self._fresh(domain, kept):
                return kept
            self._give_back(domain, kept)
        while self._at_share(domain):  # looked at again whenever the share may have changed
            waiter: asyncio.Future[_Lease | None] = asyncio.get_running_loop().create_future()
            self._share_waiters[domain].append(waiter)
            try:
                lease = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and (handed := waiter.result()) is not None:
                    self._give_back(domain, handed)
                raise
            if lease is not None:
                return lease
        return None

    def _fresh(self, domain: str, lease: _Lease | None) -> bool:
        return (
            lease is not None
            and lease.reusable
            and time.monotonic() - lease.granted < REUSE_SECONDS
            and domain not in self._crawl_delays  # a Crawl-delay read meanwhile goes with the next reservation
        )

    def _kept(self, domain: str) -> int:
        """The reusable leases this process holds on the domain, in use or spare."""
        leases = (*self._held.get(domain, ()), *self._spare.get(domain, ()))
        return sum(1 for lease in leases if self._fresh(domain, lease))

    def _at_share(self, domain: str) -> bool:
        share = self._shares.get(domain, 0)
        return share > 0 and self._kept(domain) >= share

    def _contended(self, domain: str, sharing: int) -> None:
        """Another worker waits for the domain, which `sharing` processes use now (0: it was pushed back): leases
        kept beyond this process's new share go back at their next release, and requests waiting for one of
        them look again. (The next reservation's answer gives the exact share.)"""
        share = max(1, self.options.max_concurrency // sharing) if sharing else 0
        self._shares[domain] = min(self._shares.get(domain, 0), share)
        self._wake_share_waiters(domain, every=True)
        self._send_later(domain)  # spares beyond the new share go back now

    def _wake_share_waiters(self, domain: str, *, every: bool = False) -> None:
        waiters = self._share_waiters.get(domain)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                if not every:
                    break
        if waiters is not None and not waiters:
            del self._share_waiters[domain]

    def _hand_over(self, domain: str, lease: _Lease) -> None:
        """Pass a reusable lease to this process's next request on the domain: one waiting for a lease of its
        own, else the one the gate lets in next, or one that comes within `KEEP_IDLE_SECONDS`."""
        waiters = self._share_waiters.get(domain)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(lease)
                return
        lease.idle_since = time.monotonic()
        self._spare[domain].append(lease)
        asyncio.get_running_loop().call_later(KEEP_IDLE_SECONDS + 0.005, self._send_later, domain)

    def _give_back(self, domain: str, lease: _Lease) -> None:
        self._finished[domain].append((lease.token, _UNUSED))
        asyncio.get_running_loop().call_soon(self._send_later, domain)

    async def _drop(self, domain: str, token: str) -> None:
        """Give up a place in the queue or a slot not used (if the store fails, the lease expires on its own)."""
        with contextlib.suppress(*STORE_ERRORS):
            await self._store.finish(domain, [(token, _UNUSED)])

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
        lease = held.pop() if held else None
        if held is not None and not held:
            del self._held[domain]
        gate = self._gates.get(domain)
        try:
            if lease is None:
                await self._local.release(domain, outcome)
                return
            reused = (
                not self._changes_pace(outcome)
                and self._fresh(domain, lease)
                and self._kept(domain) < self._shares.get(domain, 0)
            )
            if reused:
                self._hand_over(domain, lease)
            else:
                self._finished[domain].append((lease.token, outcome))
                self._wake_share_waiters(domain)  # one fewer lease kept: a request waiting for one asks the store
                if gate is None or not gate.waiting or self._changes_pace(outcome):
                    await self._send_finished(domain)  # nobody here reserves next, or the pace changes: send now
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
        """Send the leases given back and not sent yet, with the spares kept too long, gone stale or beyond the
        share."""
        spare = self._spare.pop(domain, [])
        now, share, kept = time.monotonic(), self._shares.get(domain, 0), self._kept(domain)  # in use
        for lease in spare:
            if self._fresh(domain, lease) and now - lease.idle_since < KEEP_IDLE_SECONDS and kept < share:
                self._spare[domain].append(lease)
                kept += 1
            else:
                self._finished[domain].append((lease.token, _UNUSED))
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
        self._wake_share_waiters(domain, every=True)  # the next reservation carries it

    async def current_delay(self, domain: str) -> float:
        """The domain's spacing between request starts as the whole fleet sees it, in seconds."""
        await self._send_finished(domain)
        return await self._store.current_delay(domain)
