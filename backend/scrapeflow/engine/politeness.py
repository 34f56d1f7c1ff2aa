"""Per-domain politeness: how many requests may be in flight to one domain, and how far apart they
start. The delay adapts: it grows when the site pushes back (429/503, Retry-After) or slows down, and
relaxes again on success."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PolitenessOptions:
    max_concurrency: int = 8
    """Requests in flight to one domain at a time."""
    min_delay: float = 0.0
    """Seconds between the starts of two requests to one domain, at least."""
    max_delay: float = 60.0
    """The adaptive delay never grows past this (a longer Retry-After still pauses the domain)."""
    penalty_delay: float = 1.0
    """The delay a domain gets, at least, after it answers 429 or 503."""
    adapt_to_latency: bool = True
    """When a site answers slower than `slow_latency`, start its requests at least latency / max_concurrency
    apart, so a struggling site gets fewer requests (a fast site is left alone: no timers, no overhead)."""
    slow_latency: float = 0.5


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one request, as politeness needs to know it."""

    status: int | None
    """HTTP status, or None when no response came (network error, timeout)."""
    latency: float
    retry_after: float | None = None


class DomainLimiter(Protocol):
    """Admission control per domain. The in-process limiter is the default; an implementation shared by
    all workers (Redis, the database) plugs in here to be polite as a fleet."""

    async def acquire(self, domain: str) -> None:
        """Wait until a request to `domain` may start. Every acquire is followed by one release."""
        ...

    async def release(self, domain: str, outcome: Outcome) -> None:
        """The request has finished; `outcome` feeds the adaptive delay."""
        ...

    def set_crawl_delay(self, domain: str, seconds: float) -> None:
        """The domain's robots.txt asks for at least this delay between requests."""
        ...


@dataclass(slots=True)
class _DomainState:
    slots: asyncio.Semaphore
    floor: float
    delay: float
    next_start: float = 0.0


class InProcessDomainLimiter:
    """DomainLimiter for one process, for one event loop. Bookkeeping is a dict lookup and a few float
    operations per request, and no timer at all while the delay is zero."""

    def __init__(
        self,
        options: PolitenessOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.options = options or PolitenessOptions()
        self._clock = clock
        self._sleep = sleep
        self._domains: dict[str, _DomainState] = {}

    def _state(self, domain: str) -> _DomainState:
        state = self._domains.get(domain)
        if state is None:
            floor = self.options.min_delay
            state = _DomainState(asyncio.Semaphore(self.options.max_concurrency), floor, floor)
            self._domains[domain] = state
        return state

    def delay(self, domain: str) -> float:
        """The current spacing between request starts for `domain`, in seconds."""
        return self._state(domain).delay

    async def acquire(self, domain: str) -> None:
        state = self._state(domain)
        await state.slots.acquire()
        try:
            # Re-check after each sleep: a 429 seen meanwhile may have pushed next_start further out.
            while (wait := state.next_start - self._clock()) > 0.0005:
                await self._sleep(wait)
        except BaseException:
            state.slots.release()
            raise
        now = self._clock()
        state.next_start = max(state.next_start, now) + state.delay

    async def release(self, domain: str, outcome: Outcome) -> None:
        state = self._state(domain)
        state.slots.release()
        state.delay = adapted_delay(state.delay, state.floor, outcome, self.options)
        if is_push_back(outcome.status) and outcome.retry_after:
            state.next_start = max(state.next_start, self._clock() + outcome.retry_after)

    def set_crawl_delay(self, domain: str, seconds: float) -> None:
        state = self._state(domain)
        state.floor = delay_floor(seconds, self.options)
        state.delay = max(state.delay, state.floor)


def is_push_back(status: int | None) -> bool:
    """The site asks us to slow down."""
    return status in (429, 503)


def delay_floor(crawl_delay: float, options: PolitenessOptions) -> float:
    """The least delay a domain gets: the configured minimum, raised by its robots.txt Crawl-delay."""
    return min(options.max_delay, max(options.min_delay, crawl_delay))


def adapted_delay(delay: float, floor: float, outcome: Outcome, options: PolitenessOptions) -> float:
    """A domain's delay after one more request's `outcome`. Every DomainLimiter adapts by this rule (the Redis
    one runs the same arithmetic in Lua), so a site sees the same pace whichever limiter the workers share."""
    if is_push_back(outcome.status):
        return min(options.max_delay, max(delay * 2.0, options.penalty_delay, outcome.retry_after or 0.0))
    if outcome.status is None or outcome.status >= 500:
        # Server errors and network failures leave the delay as is; the circuit breaker handles outages.
        return delay
    target = floor
    if options.adapt_to_latency and outcome.latency > options.slow_latency:
        target = max(target, min(options.max_delay, outcome.latency / options.max_concurrency))
    # Grow to a slower site's pace at once; shrink back by halves, so that one fast answer after a burst of
    # 429s does not bring the full rate back, and snap to the target once within a millisecond.
    relaxed = delay / 2.0
    return target if target >= delay or relaxed - target < 0.001 else relaxed
