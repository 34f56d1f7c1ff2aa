"""Which deliveries an execution makes: one per destination its bot's export steps name, for the event the
destination listens to (`execution.succeeded`, `execution.failed`, or only `rows.changed`); before that, the
rows of a bot that reviews them are held."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.executions import logs
from scrapeflow.models import (
    Bot,
    ChangeStatus,
    Delivery,
    DeliveryStatus,
    Execution,
    ExecutionStatus,
    ExportDestination,
    ResultRow,
    ReviewStatus,
)

EVENTS = ("execution.succeeded", "execution.failed", "rows.changed")
DEFAULT_EVENTS = ["execution.succeeded", "execution.failed"]
REVIEW_SETTING = "review_before_export"
PICKUP_GRACE = timedelta(seconds=60)
"""A new delivery's task is sent at once; if it is lost (the broker restarted), the sweep sends it after this."""


async def review_counts(session: AsyncSession, execution: Execution) -> dict[ReviewStatus | None, int]:
    found = await session.execute(
        select(ResultRow.review_status, func.count())
        .where(ResultRow.org_id == execution.org_id, ResultRow.execution_id == execution.id)
        .group_by(ResultRow.review_status)
    )
    return {status: int(number) for status, number in found.all()}


async def hold(session: AsyncSession, execution: Execution, bot: Bot) -> bool:
    """At the export stage: True while the execution's rows wait for review (the stage stops there)."""
    if not (bot.settings or {}).get(REVIEW_SETTING):
        return False
    counts = await review_counts(session, execution)
    if counts.get(None):
        await session.execute(
            update(ResultRow)
            .where(
                ResultRow.org_id == execution.org_id,
                ResultRow.execution_id == execution.id,
                ResultRow.review_status.is_(None),
            )
            .values(review_status=ReviewStatus.pending)
        )
        execution.status = ExecutionStatus.awaiting_review
        await logs.append(
            session,
            execution,
            f"{counts[None]} row(s) wait for review: approve or reject them to export the approved ones",
            event="status",
            status=ExecutionStatus.awaiting_review.value,
        )
        return True
    return bool(counts.get(ReviewStatus.pending))


def event_for(status: ExecutionStatus, events: Iterable[str], changes: int) -> tuple[str, str | None] | None:
    """The event to send (and the rows it narrows to), or None when the destination listens to nothing here."""
    listens = set(events)
    if status is ExecutionStatus.failed:
        return ("execution.failed", None) if "execution.failed" in listens else None
    if "execution.succeeded" in listens:
        return "execution.succeeded", None
    if "rows.changed" in listens and changes:
        return "rows.changed", "changed"
    return None


async def change_counts(session: AsyncSession, execution: Execution) -> dict[str, int]:
    found = await session.execute(
        select(ResultRow.change_status, func.count())
        .where(ResultRow.org_id == execution.org_id, ResultRow.execution_id == execution.id)
        .group_by(ResultRow.change_status)
    )
    counts = {status.value: 0 for status in ChangeStatus}
    counts.update({status.value: int(number) for status, number in found.all()})
    return counts


async def summary(session: AsyncSession, execution: Execution, settings: Settings) -> dict[str, Any]:
    """What every message says about the execution."""
    counts = await change_counts(session, execution)
    bot_name = await session.scalar(select(Bot.name).where(Bot.org_id == execution.org_id, Bot.id == execution.bot_id))
    return {
        "id": str(execution.id),
        "bot_id": str(execution.bot_id),
        "bot_name": bot_name,
        "status": execution.status.value,
        "rows_count": execution.rows_count,
        "new": counts["new"],
        "changed": counts["changed"],
        "pages_done": execution.pages_done,
        "pages_failed": execution.pages_failed,
        "error_code": execution.error_code,
        "error_message": execution.error_message,
        "started_at": execution.started_at.isoformat() if execution.started_at else None,
        "finished_at": execution.finished_at.isoformat() if execution.finished_at else None,
        "url": f"{settings.web_url.rstrip('/')}/executions/{execution.id}",
    }


async def queue(
    session: AsyncSession, execution: Execution, destination: ExportDestination, event: str, rows: str, now: datetime
) -> Delivery:
    """The execution's delivery to the destination, new or sent again from the start (same id, so receivers
    that already processed it can tell)."""
    delivery = await session.scalar(
        select(Delivery).where(
            Delivery.org_id == execution.org_id,
            Delivery.execution_id == execution.id,
            Delivery.destination_id == destination.id,
        )
    )
    if delivery is None:
        delivery = Delivery(org_id=execution.org_id, execution_id=execution.id, destination_id=destination.id)
        session.add(delivery)
    delivery.event, delivery.rows, delivery.status = event, rows, DeliveryStatus.pending
    delivery.attempts, delivery.batches_sent, delivery.rows_sent = 0, 0, 0
    delivery.last_error = delivery.last_status_code = delivery.response_excerpt = delivery.delivered_at = None
    delivery.next_attempt_at = now + PICKUP_GRACE
    await session.flush()
    return delivery


async def plan(
    session: AsyncSession, execution: Execution, sinks: Iterable[tuple[uuid.UUID, str]], now: datetime
) -> list[uuid.UUID]:
    """Deliveries for a finished execution's export steps: (destination id, which rows) each."""
    counts = await change_counts(session, execution)
    queued: list[uuid.UUID] = []
    for destination_id, rows in dict(sinks).items():  # a destination named twice is sent to once
        destination = await session.scalar(
            select(ExportDestination).where(
                ExportDestination.org_id == execution.org_id, ExportDestination.id == destination_id
            )
        )
        if destination is None or not destination.is_active:
            why = "no longer exists" if destination is None else "is disabled"
            message = f"Export destination {destination_id} {why}; nothing was sent there."
            execution.export_error = message
            await logs.append(session, execution, message, event="export", level="warning")
            continue
        chosen = event_for(
            execution.status, destination.config.get("events", DEFAULT_EVENTS), counts["new"] + counts["changed"]
        )
        if chosen is None:
            continue
        event, narrowed = chosen
        delivery = await queue(session, execution, destination, event, narrowed or rows, now)
        queued.append(delivery.id)
        await logs.append(
            session,
            execution,
            f"Export to {destination.name!r} queued ({event})",
            event="export",
            delivery=str(delivery.id),
        )
    return queued
