"""The per-domain limits of single-machine mode, in the database: the worker processes of one machine share
them through SQLite (PostgreSQL works too)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.engine.politeness import PolitenessOptions, adapted_delay, delay_floor, is_push_back
from scrapeflow.models import DomainPacing, DomainSlot
from scrapeflow.pipeline.politeness.shared import Finished, SharedLimiter, Start


class _DatabaseReservations:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], options: PolitenessOptions, lease_seconds: float
    ) -> None:
        self._sessions = sessions
        self._options = options
        self._lease_seconds = lease_seconds

    async def _now(self, session: AsyncSession) -> float:
        # PostgreSQL may serve workers on several machines: its clock is the one they share. A SQLite file
        # is only shared by processes on one machine, whose clock is shared already.
        if session.get_bind().dialect.name == "postgresql":
            return float(await session.scalar(text("SELECT extract(epoch FROM clock_timestamp())")) or 0.0)
        return time.time()

    async def _lock_pacing(self, session: AsyncSession, domain: str) -> DomainPacing:
        """The domain's pacing row, locked for this transaction (created on first use).

        The first statement writes, so SQLite takes its write lock at once, as BEGIN IMMEDIATE would: a read
        first would let two processes read the same pacing and then fail to upgrade. PostgreSQL locks the row.
        """
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        floor = delay_floor(0.0, self._options)
        await session.execute(
            dialect.insert(DomainPacing)
            .values(domain=domain, next_start=0.0, delay=floor, crawl_delay=0.0, pause_until=0.0)
            .on_conflict_do_nothing(index_elements=["domain"])
        )
        pacing = await session.scalar(
            select(DomainPacing)
            .where(DomainPacing.domain == domain)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert pacing is not None
        return pacing

    async def reserve(self, domain: str, token: str, crawl_delay: float | None, finished: Finished) -> Start | None:
        if finished:
            await self.finish(domain, finished)
        async with self._sessions() as session, session.begin():
            pacing = await self._lock_pacing(session, domain)
            now = await self._now(session)
            await session.execute(delete(DomainSlot).where(DomainSlot.domain == domain, DomainSlot.expires_at <= now))
            held = await session.scalar(select(func.count()).where(DomainSlot.domain == domain)) or 0
            if held >= self._options.max_concurrency:
                return None
            if crawl_delay is not None:
                pacing.crawl_delay = crawl_delay
            floor = delay_floor(pacing.crawl_delay, self._options)
            delay = max(pacing.delay, floor)
            start = max(now, pacing.next_start)
            pacing.delay, pacing.next_start = delay, start + delay
            await session.execute(
                insert(DomainSlot).values(token=token, domain=domain, expires_at=start + self._lease_seconds)
            )
            return Start(start, start - now)

    async def resume(self, domain: str, start: Start) -> Start:
        async with self._sessions() as session, session.begin():
            # Pauses only ever move forward, so an unlocked look is enough to tell that none covers our start.
            pause = await session.scalar(select(DomainPacing.pause_until).where(DomainPacing.domain == domain))
            now = await self._now(session)
            if pause is None or pause <= start.at:
                return Start(start.at, start.at - now)
            if pause > now:
                return Start(start.at, pause - now)  # still covered: look again once the pause is over
            pacing = await self._lock_pacing(session, domain)
            now = await self._now(session)
            fresh = max(now, pacing.next_start)
            pacing.next_start = fresh + pacing.delay
            return Start(fresh, fresh - now)

    async def finish(self, domain: str, finished: Finished) -> None:
        async with self._sessions() as session, session.begin():
            tokens = [token for token, _ in finished]
            await session.execute(delete(DomainSlot).where(DomainSlot.token.in_(tokens)))
            outcomes = [
                outcome
                for _, outcome in finished
                if is_push_back(outcome.status) or (outcome.status is not None and outcome.status < 500)
            ]
            if not outcomes:
                return  # leaves the delay as is (see adapted_delay): no need to lock the pacing
            pacing = await self._lock_pacing(session, domain)
            floor = delay_floor(pacing.crawl_delay, self._options)
            delay, next_start, pause_until = pacing.delay, pacing.next_start, pacing.pause_until
            for outcome in outcomes:
                delay = adapted_delay(delay, floor, outcome, self._options)
                if is_push_back(outcome.status) and outcome.retry_after:
                    pause = await self._now(session) + outcome.retry_after
                    next_start, pause_until = max(next_start, pause), max(pause_until, pause)
            await session.execute(
                update(DomainPacing)
                .where(DomainPacing.domain == domain)
                .values(delay=delay, next_start=next_start, pause_until=pause_until)
            )

    async def wait_turn(self, token: str, at_most: float) -> None:
        await asyncio.sleep(at_most)  # polled: the database tells no one when a slot frees

    def forget(self, token: str) -> None:
        pass

    def on_contention(self, owner: str, tell: Callable[[str, int], None]) -> None:
        pass  # no one is told here, so no share is granted: every request reserves its own slot

    async def current_delay(self, domain: str) -> float:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(DomainPacing.delay, DomainPacing.crawl_delay).where(DomainPacing.domain == domain)
                )
            ).one_or_none()
        floor = delay_floor(0.0 if row is None else row.crawl_delay, self._options)
        return floor if row is None else max(row.delay, floor)


class DatabaseDomainLimiter(SharedLimiter):
    """Per-domain limits shared by the worker processes of one machine, through the database (single-machine
    mode; PostgreSQL works too). Coarser than Redis: a process waiting for a free slot looks again every
    `poll_interval`, and every acquire and release is a short write transaction."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        options: PolitenessOptions | None = None,
        *,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.05,
    ) -> None:
        options = options or PolitenessOptions()
        super().__init__(_DatabaseReservations(session_factory, options, lease_seconds), options, poll_interval)
