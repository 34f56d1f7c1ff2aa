"""What each organization used, per monthly period (`usage_counters`), incremented atomically in SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.kit.ids import uuid7
from scrapeflow.models import UsageCounter

COUNTERS = ("executions", "pages", "rows", "llm_tokens", "api_requests")


def period_start(now: datetime) -> date:
    """The usage period `now` falls in: the calendar month, in UTC."""
    return now.astimezone(UTC).date().replace(day=1)


async def add_usage(session: AsyncSession, org_id: uuid.UUID, now: datetime, **amounts: int) -> None:
    """Add to the organization's counters of the period `now` falls in (the row is made on first use).

    LLM tokens are counted here only when the server's key paid for them: an organization's own key is
    billed by its provider, not against its plan."""
    unknown = amounts.keys() - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown usage counters: {sorted(unknown)}")
    amounts = {name: amount for name, amount in amounts.items() if amount}
    if not amounts:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(UsageCounter).values(
        id=uuid7(), org_id=org_id, period_start=period_start(now), created_at=now, updated_at=now, **amounts
    )
    increments = {name: getattr(UsageCounter, name) + amount for name, amount in amounts.items()}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "period_start"], set_={**increments, "updated_at": now}
        )
    )


async def current_usage(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """The counters of the period `now` falls in (zeros before the first use)."""
    counter = await session.scalar(
        select(UsageCounter).where(UsageCounter.org_id == org_id, UsageCounter.period_start == period_start(now))
    )
    return {name: getattr(counter, name) if counter is not None else 0 for name in COUNTERS}


async def counter_for_update(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> UsageCounter:
    """The period's counter row, made if missing and locked until the transaction ends (PostgreSQL; SQLite
    writers hold the database's write lock anyway)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    start = period_start(now)
    await session.execute(
        insert(UsageCounter)
        .values(id=uuid7(), org_id=org_id, period_start=start, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["org_id", "period_start"])
    )
    counter = await session.scalar(
        select(UsageCounter)
        .where(UsageCounter.org_id == org_id, UsageCounter.period_start == start)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    return counter
