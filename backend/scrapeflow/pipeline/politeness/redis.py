"""The fleet's per-domain limits in Redis (scale-out): one Lua script per reservation, which also gives back
the leases that ended since the last one. While a domain needs no spacing, a reservation also grants the
process its share of the domain's slots, which it reuses without asking (shared.SharedLimiter), so a steady
crawl costs a few round trips per second, not one per request.

When a domain is full, requests queue in Redis, first come first served. Whenever slots are free for the
first in the queue, the script that freed them publishes their tokens, and the process waiting with each token
asks again at once: a slot never sits idle until a waiter's next poll (polling remains, less often, for the
leases of workers that died). A new waiter, or a push-back, is published too, so other processes that keep
leases for reuse give them back at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from scrapeflow.engine.politeness import PolitenessOptions, delay_floor
from scrapeflow.pipeline.politeness.shared import Finished, SharedLimiter, Start

log = structlog.get_logger(__name__)

# Both scripts take KEYS[1]: the domain's leases (sorted set: token → expiry, µs); KEYS[2]: its pacing (hash:
# next start, delay, robots.txt Crawl-delay, Retry-After pause); KEYS[3]: the requests waiting for a slot,
# first come first served (sorted set: token → when it first asked, µs); KEYS[4]: when each waiter last asked
# (a waiter that stopped asking is dropped after the stale time); KEYS[5]: the channel on which the tokens a
# slot is free for are published, and `!<process>!<processes sharing the domain, 0 after a push-back>!<KEYS[1]>`
# when a process starts waiting or is pushed back.
# Tokens are `<process>.<n>`: a domain's share is counted per process. ARGV[1..9] are the limiter's options:
# max_concurrency, lease µs, min_delay, max_delay, penalty_delay, adapt_to_latency (1/0), slow_latency,
# idle ms (keys expire after it), stale µs. Then each script's own ARGV.
_LIBRARY = """
local max_concurrency, lease_us = tonumber(ARGV[1]), tonumber(ARGV[2])
local min_delay, max_delay, penalty = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local adapt, slow_latency, idle_ms, stale_us = ARGV[6] == '1', tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function us(value) return string.format('%.0f', value) end

local function owner_of(token) return string.match(token, '^([^.]+)%.') or token end

-- The processes using the domain (holding or waiting for a slot, and `me`'s), in order.
local function owners_with(me)
  local owners, seen = {}, {}
  local function add(token)
    local owner = owner_of(token)
    if not seen[owner] then seen[owner] = true; owners[#owners + 1] = owner end
  end
  for _, token in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do add(token) end
  for _, token in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do add(token) end
  add(me)
  table.sort(owners)
  return owners
end

-- Processes keeping leases for reuse are told: `token`'s process started waiting for a slot (with how many
-- processes now share the domain), or was pushed back (0: no more reuse).
local function contention(token, pushed_back)
  local sharing = 0
  if not pushed_back then sharing = #owners_with(token) end
  redis.call('PUBLISH', KEYS[5], '!' .. owner_of(token) .. '!' .. sharing .. '!' .. KEYS[1])
end

-- A lease given back, and what its request's answer does to the delay (engine.politeness.adapted_delay).
local function finish(token, status, latency, retry_after)
  redis.call('ZREM', KEYS[1], token)
  redis.call('ZREM', KEYS[3], token)
  redis.call('ZREM', KEYS[4], token)
  local push_back = status == 429 or status == 503
  if push_back then contention(token, true) end
  if not push_back and (status < 0 or status >= 500) then return end
  local pacing = redis.call('HMGET', KEYS[2], 'delay', 'crawl_delay', 'next', 'pause_until')
  local floor = math.min(max_delay, math.max(min_delay, tonumber(pacing[2]) or 0))
  local delay = tonumber(pacing[1]) or floor
  if push_back then
    delay = math.min(max_delay, math.max(delay * 2, penalty, retry_after))
    if retry_after > 0 then
      local pause = now + retry_after * 1000000
      redis.call('HSET', KEYS[2], 'next', us(math.max(tonumber(pacing[3]) or 0, pause)),
        'pause_until', us(math.max(tonumber(pacing[4]) or 0, pause)))
    end
  else
    local target = floor
    if adapt and latency > slow_latency then
      target = math.max(target, math.min(max_delay, latency / max_concurrency))
    end
    local relaxed = delay / 2
    if target >= delay or relaxed - target < 0.001 then delay = target else delay = relaxed end
  end
  redis.call('HSET', KEYS[2], 'delay', string.format('%.6f', delay))
  redis.call('PEXPIRE', KEYS[2], idle_ms)
end

-- The first waiters in the queue that a slot is free for now: published, so each asks again at once.
local function wake()
  local free = max_concurrency - redis.call('ZCARD', KEYS[1])
  if free <= 0 then return end
  local first = redis.call('ZRANGE', KEYS[3], 0, free - 1)
  if #first > 0 then redis.call('PUBLISH', KEYS[5], table.concat(first, ' ')) end
end

-- `me`'s share of the cap among the processes using the domain: the cap divided evenly, the remainder to the
-- first processes in order, so the shares add up to it.
local function share_of(me)
  local owners, mine, extra = owners_with(me), owner_of(me), 0
  for i, owner in ipairs(owners) do
    if owner == mine and i <= max_concurrency % #owners then extra = 1 end
  end
  return math.floor(max_concurrency / #owners) + extra
end

-- ARGV[first..]: (token, status (-1: none), latency, retry_after) of each lease given back.
local function finish_all(first)
  for i = first, #ARGV, 4 do
    finish(ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]))
  end
end
"""

# ARGV[10]: token, ARGV[11]: robots.txt Crawl-delay ('' = unchanged), then the leases given back first.
# Returns nil when the domain is full (or earlier waiters take the free slots), else the reserved start (µs),
# the seconds to wait until it and the process's share (0 while starts are spaced or paused). Without the
# queue, a worker that just released a slot would take it straight back, and workers polling from elsewhere
# would starve.
_RESERVE = (
    _LIBRARY
    + """
finish_all(12)
local token = ARGV[10]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', us(now))
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', us(now - stale_us))
for _, waiter in ipairs(gone) do
  redis.call('ZREM', KEYS[3], waiter)
  redis.call('ZREM', KEYS[4], waiter)
end
local free = max_concurrency - redis.call('ZCARD', KEYS[1])
local ahead = redis.call('ZRANK', KEYS[3], token)
if not ahead then ahead = redis.call('ZCARD', KEYS[3]) end
if ahead >= free then
  if redis.call('ZADD', KEYS[3], 'NX', us(now), token) == 1 then contention(token, false) end
  redis.call('ZADD', KEYS[4], us(now), token)
  redis.call('PEXPIRE', KEYS[3], idle_ms)
  redis.call('PEXPIRE', KEYS[4], idle_ms)
  wake()
  return false
end
redis.call('ZREM', KEYS[3], token)
redis.call('ZREM', KEYS[4], token)
local pacing = redis.call('HMGET', KEYS[2], 'next', 'delay', 'crawl_delay', 'pause_until')
local crawl_delay = tonumber(pacing[3]) or 0
if ARGV[11] ~= '' then crawl_delay = tonumber(ARGV[11]) end
local floor = math.min(max_delay, math.max(min_delay, crawl_delay))
local delay = math.max(tonumber(pacing[2]) or floor, floor)
local start = math.max(now, tonumber(pacing[1]) or 0)
redis.call('HSET', KEYS[2], 'next', us(start + delay * 1000000),
  'delay', string.format('%.6f', delay), 'crawl_delay', string.format('%.6f', crawl_delay))
redis.call('PEXPIRE', KEYS[2], idle_ms)
local expires = start + lease_us
redis.call('ZADD', KEYS[1], us(expires), token)
redis.call('PEXPIRE', KEYS[1], us((expires - now) / 1000 + 1000))
wake()
local share = 0
if delay == 0 and (tonumber(pacing[4]) or 0) <= now then share = share_of(token) end
return {us(start), string.format('%.6f', (start - now) / 1000000), share}
"""
)

# ARGV[10..]: the leases given back.
_FINISH = _LIBRARY + "\nfinish_all(10)\nwake()\nreturn false\n"

# KEYS[1]: pacing. ARGV: a reserved start (µs), its holder having slept until then. Returns the start to keep
# (µs) and the seconds until it: the same start unless a Retry-After pause covers it; once that pause is over, a
# fresh start taken like any reservation.
_RESUME = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local start = tonumber(ARGV[1])
local pacing = redis.call('HMGET', KEYS[1], 'pause_until', 'next', 'delay')
local pause = tonumber(pacing[1]) or 0
if pause > start then
  if pause > now then
    return {ARGV[1], string.format('%.6f', (pause - now) / 1000000)}
  end
  start = math.max(now, tonumber(pacing[2]) or 0)
  redis.call('HSET', KEYS[1], 'next', string.format('%.0f', start + (tonumber(pacing[3]) or 0) * 1000000))
end
return {string.format('%.0f', start), string.format('%.6f', (start - now) / 1000000)}
"""


def _given_back(finished: Finished) -> list[str | int]:
    args: list[str | int] = []
    for token, outcome in finished:
        status = -1 if outcome.status is None else outcome.status
        args += [token, status, repr(outcome.latency), repr(outcome.retry_after or 0.0)]
    return args


class _RedisReservations:
    def __init__(
        self,
        redis: Redis,
        options: PolitenessOptions,
        key_prefix: str,
        *,
        lease_seconds: float,
        idle_seconds: float,
        poll_interval: float,
    ) -> None:
        self._redis = redis
        self._options = options
        self._prefix = key_prefix
        self._settings: list[str | int] = [
            options.max_concurrency,
            str(round(lease_seconds * 1_000_000)),
            repr(options.min_delay),
            repr(options.max_delay),
            repr(options.penalty_delay),
            "1" if options.adapt_to_latency else "0",
            repr(options.slow_latency),
            str(round(idle_seconds * 1000)),
            str(round(max(1.0, 20 * poll_interval) * 1_000_000)),
        ]
        self._reserve = redis.register_script(_RESERVE)
        self._finish = redis.register_script(_FINISH)
        self._resume = redis.register_script(_RESUME)
        self._channel = f"{key_prefix}turns"
        self._turns: dict[str, asyncio.Event] = {}
        """This process's waiting tokens, each set when the store publishes that a slot is free for it."""
        self._listener: asyncio.Task[None] | None = None
        self._contention: Callable[[str, int], None] | None = None
        self._owner = ""

    def on_contention(self, owner: str, tell: Callable[[str, int], None]) -> None:
        self._owner, self._contention = owner, tell

    def _listening(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    def _keys(self, domain: str) -> list[str]:
        names = ("leases", "pacing", "waiting", "asked")
        return [*(f"{self._prefix}{domain}:{name}" for name in names), self._channel]

    async def wait_turn(self, token: str, at_most: float) -> None:
        turn = self._turns.setdefault(token, asyncio.Event())  # before subscribing: a turn published meanwhile
        self._listening()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(turn.wait(), at_most)
        turn.clear()

    def forget(self, token: str) -> None:
        self._turns.pop(token, None)

    async def _listen(self) -> None:
        """One subscription per process; if it fails, waiters fall back to polling until the next wait
        subscribes again."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
            async for message in pubsub.listen():
                for word in message["data"].decode().split():
                    if word.startswith("!"):
                        self._told(word)
                    elif (turn := self._turns.get(word)) is not None:
                        turn.set()
        except (RedisError, OSError) as exc:
            log.warning("domain_limiter_turns_unavailable", error=str(exc))
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _told(self, word: str) -> None:
        """`!<process>!<sharing>!<prefix><domain>:leases`: another process started waiting for the domain
        (`sharing` processes use it now), or was pushed back by it (0). This process's own requests wait for
        slots it gives back anyway."""
        owner, _, rest = word[1:].partition("!")
        sharing, _, key = rest.partition("!")
        if self._contention is None or owner == self._owner or not key.startswith(self._prefix):
            return
        if key.endswith(":leases") and sharing.isdigit():
            self._contention(key[len(self._prefix) : -len(":leases")], int(sharing))

    async def reserve(self, domain: str, token: str, crawl_delay: float | None, finished: Finished) -> Start | None:
        own = [token, "" if crawl_delay is None else repr(crawl_delay)]
        reply = await self._reserve(keys=self._keys(domain), args=[*self._settings, *own, *_given_back(finished)])
        if reply is None:
            return None
        share = int(reply[2])
        if share:
            self._listening()  # to hear when the leases kept for reuse must go back
        return Start(float(reply[0]), float(reply[1]), share)

    async def resume(self, domain: str, start: Start) -> Start:
        reply = await self._resume(keys=self._keys(domain)[1:2], args=[f"{start.at:.0f}"])
        return Start(float(reply[0]), float(reply[1]))

    async def finish(self, domain: str, finished: Finished) -> None:
        await self._finish(keys=self._keys(domain), args=[*self._settings, *_given_back(finished)])

    async def current_delay(self, domain: str) -> float:
        stored = await cast(Any, self._redis.hmget(self._keys(domain)[1], ["delay", "crawl_delay"]))
        floor = delay_floor(float(stored[1] or 0.0), self._options)
        return floor if stored[0] is None else max(float(stored[0]), floor)


class RedisDomainLimiter(SharedLimiter):
    """Per-domain limits for the whole fleet, in Redis (scale-out).

    Per domain, `<prefix><domain>:leases` is a sorted set of the requests in flight (scored by when their lease
    expires) and `<prefix><domain>:pacing` a hash of the next free start, the current delay, the robots.txt
    Crawl-delay and any Retry-After pause. Times are Redis server time, so workers' clocks need not agree;
    both keys expire after `idle_seconds` without traffic.
    """

    def __init__(
        self,
        redis: Redis,
        options: PolitenessOptions | None = None,
        key_prefix: str = "sf:polite:",
        *,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.1,
        idle_seconds: float = 86_400.0,
    ) -> None:
        options = options or PolitenessOptions()
        store = _RedisReservations(
            redis,
            options,
            key_prefix,
            lease_seconds=lease_seconds,
            idle_seconds=idle_seconds,
            poll_interval=poll_interval,
        )
        super().__init__(store, options, poll_interval)
