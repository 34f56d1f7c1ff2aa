"""Change stamps: what lets every API process keep hot reads in memory and still see every write at once.

A stamp is a short random value kept in Redis per thing that can change (an organization, a user).
A write that changes it marks the session (`mark_changed`); when the session commits, the stamp is
replaced. A reader reads the stamps *before* it reads the database and files what it built under
them; a later reader uses that only while the stamps are unchanged. So a write is visible to the
very next request in every process, whatever it had in memory.

Without Redis (single-machine mode) there are no stamps and nothing is kept: every read goes to
the database. If Redis fails, reads go to the database too; an entry also lives at most
`MAX_AGE_SECONDS`, so a stamp lost with a failed write delays a change by that long at most.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

MAX_AGE_SECONDS = 60.0
_PENDING = "scrapeflow.changed_stamps"
_PREFIX = "sf:stamp:"
_MISSING = "-"

log = structlog.get_logger(__name__)

V = TypeVar("V")


def org_stamp(org_id: uuid.UUID) -> str:
    """Changes with the organization's members, roles, API keys and bots."""
    return f"org:{org_id}"


def user_stamp(user_id: uuid.UUID) -> str:
    """Changes with the account itself (deleted, disabled, default organization) and its memberships."""
    return f"user:{user_id}"


def mark_changed(session: AsyncSession, *keys: str) -> None:
    """Replace these stamps once `session` commits (a rollback drops the mark with the changes)."""
    session.info.setdefault(_PENDING, set()).update(keys)


def take_changed(session: AsyncSession) -> set[str]:
    """The stamps marked on `session` since the last call."""
    pending: set[str] = session.info.pop(_PENDING, set())
    return pending


class Stamps:
    """Stamps in Redis, shared by every API process and worker."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(self, keys: Sequence[str]) -> tuple[str, ...] | None:
        """The current stamps (a never-written stamp reads as `-`), or None when Redis cannot answer."""
        try:
            values = await self.redis.mget([_PREFIX + key for key in keys])
        except (RedisError, OSError) as exc:
            log.warning("stamps_unavailable", error=str(exc))
            return None
        return tuple(_text(value) for value in values)

    async def renew(self, keys: Iterable[str]) -> None:
        names = [_PREFIX + key for key in keys]
        if not names:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.set(name, uuid.uuid4().hex[:16])
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("stamps_not_renewed", keys=keys, error=str(exc))


def _text(value: bytes | str | None) -> str:
    if value is None:
        return _MISSING
    return value if isinstance(value, str) else value.decode()


@dataclass(frozen=True, slots=True)
class Freshness:
    """What a request read was valid under: the stamps (read before the database) and an end of validity."""

    keys: tuple[str, ...]
    stamps: tuple[str, ...]
    expires_at: datetime | None


def max_age_until(expires_at: datetime | None, now: datetime) -> float:
    """How long something valid until `expires_at` (None: no end) may be kept, in seconds."""
    if expires_at is None:
        return MAX_AGE_SECONDS
    return max(0.0, min(MAX_AGE_SECONDS, (expires_at - now).total_seconds()))


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    stamps: tuple[str, ...]
    expires: float
    weight: int


class StampedCache(Generic[V]):
    """A bounded in-process map whose entries hold only while their stamps are unchanged.

    Bounded by the sum of the entries' weights (1 each unless `put` says otherwise, e.g. a size in bytes);
    the least recently used go first.
    """

    def __init__(self, max_weight: int = 4096) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: Hashable) -> tuple[V, tuple[str, ...]] | None:
        """The entry (value, stamps it was built under) if not too old; the caller checks the stamps."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.value, entry.stamps

    def put(
        self, key: Hashable, value: V, stamps: tuple[str, ...], max_age: float = MAX_AGE_SECONDS, weight: int = 1
    ) -> None:
        if weight > self.max_weight or max_age <= 0:
            return
        self._drop(key)
        self._entries[key] = _Entry(value, stamps, time.monotonic() + max_age, weight)
        self.weight += weight
        while self.weight > self.max_weight:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.weight -= entry.weight
