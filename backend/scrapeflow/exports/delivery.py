"""Running a delivery in a worker: claim it, ship it through its destination's sink, record the outcome.

A delivery is claimed with an atomic `UPDATE … WHERE status …` that sets `sending` and a lease in
`next_attempt_at`, so two tasks for one delivery (a duplicate, or the sweep) never send it twice at once, and
one whose worker died is taken up again by the sweep when the lease lapses. A failed attempt is retried after
WEBHOOK_RETRY_BASE_SECONDS × 3ⁿ (persisted, so restarts lose nothing) up to WEBHOOK_MAX_ATTEMPTS; then the
delivery fails, the execution shows the error (its own status is unchanged), and after
DESTINATION_DISABLE_AFTER failed deliveries in a row the destination is disabled.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.config import Settings
from scrapeflow.db import session_scope
from scrapeflow.executions import logs
from scrapeflow.exports import links, planning
from scrapeflow.exports.outbound import Answer, DeliveryError, outbound
from scrapeflow.exports.rows import StoredRows
from scrapeflow.exports.sinks import Shipment, Sink, email, sheets, slack, webhook
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Delivery, DeliveryStatus, DestinationType, Execution, ExportDestination

logger = structlog.get_logger("scrapeflow.exports")

DELIVER_TIME_LIMIT = (900, 960)
"""(soft, hard) seconds for one delivery task: 100,000 rows in batches take well under a minute."""
LEASE = timedelta(seconds=DELIVER_TIME_LIMIT[1] + 30)
SINKS: dict[DestinationType, Sink] = {
    DestinationType.webhook: webhook.send,
    DestinationType.slack: slack.send,
    DestinationType.email: email.send,
    DestinationType.google_sheets: sheets.send,
}


def unseal(box: SecretBox, destination: ExportDestination) -> dict[str, Any]:
    sealed = destination.secret_encrypted
    return dict(json.loads(box.decrypt(sealed))) if sealed else {}


def retry_delay(settings: Settings, attempts: int) -> float:
    """After the n-th failed attempt: base × 3ⁿ⁻¹, ±10 % so a receiver coming back is not hit all at once."""
    return float(settings.webhook_retry_base_seconds * 3 ** (attempts - 1) * random.uniform(0.9, 1.1))  # noqa: S311


async def ship(shipment: Shipment, kind: DestinationType) -> Answer:
    """Send through the destination's sink; whatever goes wrong comes back as a DeliveryError for the log."""
    try:
        return await SINKS[kind](shipment)
    except DeliveryError:
        raise
    except Exception as exc:  # a sink's bug or a time limit must still be recorded and retried, not lost
        logger.exception("export.sink_error", kind=kind.value, message_id=shipment.message_id)
        raise DeliveryError(f"The delivery stopped unexpectedly ({type(exc).__name__}).") from None


async def _claim(session: AsyncSession, delivery_id: uuid.UUID, now: datetime) -> bool:
    due = and_(Delivery.status.in_((DeliveryStatus.retrying, DeliveryStatus.sending)), Delivery.next_attempt_at <= now)
    claimed = await session.scalar(
        update(Delivery)
        .where(Delivery.id == delivery_id, or_(Delivery.status == DeliveryStatus.pending, due))
        .values(
            status=DeliveryStatus.sending, attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE, updated_at=now
        )
        .returning(Delivery.id),
        execution_options={"synchronize_session": False},
    )
    return claimed is not None


async def deliver(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, box: SecretBox, delivery_id: uuid.UUID
) -> DeliveryStatus | None:
    """One attempt at a delivery; None when it was not due or another task holds it."""
    async with session_scope(sessions) as session:
        if not await _claim(session, delivery_id, utcnow()):
            return None
    async with session_scope(sessions) as session:
        delivery = await session.get_one(Delivery, delivery_id)
        destination = await session.get_one(ExportDestination, delivery.destination_id)
        execution = await session.get_one(Execution, delivery.execution_id)
        summary = await planning.summary(session, execution, settings)

    async def progress(batches: int, rows: int) -> None:
        async with session_scope(sessions) as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(batches_sent=batches, rows_sent=rows, updated_at=utcnow())
            )

    try:
        if not destination.is_active:
            raise DeliveryError(
                "The destination is disabled; enable it (PUT …/destinations/{id} with is_active) and redeliver.",
                retryable=False,
            )
        async with outbound(settings) as out:
            shipment = Shipment(
                message_id=f"msg_{delivery.id.hex}",
                event=delivery.event,
                summary=summary,
                rows=StoredRows(sessions, delivery.org_id, execution.id, delivery.rows),
                config=destination.config,
                secrets=unseal(box, destination),
                settings=settings,
                outbound=out,
                batches_sent=delivery.batches_sent,
                rows_sent=delivery.rows_sent,
                progress=progress,
                link=lambda: links.url(settings, delivery_id),
            )
            answer = await ship(shipment, destination.type)
    except DeliveryError as exc:
        async with session_scope(sessions) as session:
            return await _failed(session, settings, delivery_id, exc)
    async with session_scope(sessions) as session:
        return await _delivered(session, delivery_id, answer)


async def _loaded(session: AsyncSession, delivery_id: uuid.UUID) -> tuple[Delivery, ExportDestination, Execution]:
    delivery = await session.get_one(Delivery, delivery_id, populate_existing=True)
    destination = await session.get_one(ExportDestination, delivery.destination_id, populate_existing=True)
    execution = await session.get_one(Execution, delivery.execution_id, populate_existing=True)
    return delivery, destination, execution


async def _delivered(session: AsyncSession, delivery_id: uuid.UUID, answer: Answer) -> DeliveryStatus:
    delivery, destination, execution = await _loaded(session, delivery_id)
    now = utcnow()
    delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.delivered, now, None
    delivery.last_status_code, delivery.duration_ms = answer.status_code, answer.duration_ms
    delivery.response_excerpt, delivery.last_error = answer.excerpt, None
    destination.consecutive_failures = 0
    others_failed = await session.scalar(
        select(Delivery.id).where(
            Delivery.org_id == execution.org_id,
            Delivery.execution_id == execution.id,
            Delivery.status == DeliveryStatus.failed,
        )
    )
    if others_failed is None:
        execution.export_error = None
    await logs.append(
        session,
        execution,
        f"Delivered to {destination.name!r} ({delivery.event}, {delivery.rows_sent} row(s) in "
        f"{delivery.attempts} attempt(s))",
        event="delivered",
        delivery=str(delivery.id),
    )
    return DeliveryStatus.delivered


async def _failed(
    session: AsyncSession, settings: Settings, delivery_id: uuid.UUID, error: DeliveryError
) -> DeliveryStatus:
    delivery, destination, execution = await _loaded(session, delivery_id)
    now = utcnow()
    delivery.last_error, delivery.last_status_code, delivery.response_excerpt = (
        error.message,
        error.status_code,
        error.excerpt,
    )
    if error.retryable and delivery.attempts < settings.webhook_max_attempts:
        delay = retry_delay(settings, delivery.attempts)
        delivery.status, delivery.next_attempt_at = DeliveryStatus.retrying, now + timedelta(seconds=delay)
        await logs.append(
            session,
            execution,
            f"Delivery to {destination.name!r} failed (attempt {delivery.attempts} of "
            f"{settings.webhook_max_attempts}): {error.message} Retrying in {delay:.0f} s.",
            event="delivery_retry",
            level="warning",
            delivery=str(delivery.id),
        )
        return DeliveryStatus.retrying
    delivery.status, delivery.next_attempt_at = DeliveryStatus.failed, None
    execution.export_error = f"Delivery to {destination.name!r} failed: {error.message}"
    await logs.append(
        session, execution, execution.export_error, event="delivery_failed", level="error", delivery=str(delivery.id)
    )
    failures = await session.scalar(
        update(ExportDestination)
        .where(ExportDestination.id == destination.id)
        .values(consecutive_failures=ExportDestination.consecutive_failures + 1)
        .returning(ExportDestination.consecutive_failures),
        execution_options={"synchronize_session": False},
    )
    if destination.is_active and (failures or 0) >= settings.destination_disable_after:
        destination.is_active, destination.disabled_at = False, now
        destination.disabled_reason = f"Disabled after {failures} failed deliveries in a row; the last: {error.message}"
        logger.warning(
            "export.destination_disabled",
            destination_id=str(destination.id),
            org_id=str(destination.org_id),
            failures=failures,
        )
    return DeliveryStatus.failed


async def due(sessions: async_sessionmaker[AsyncSession], limit: int = 500) -> list[uuid.UUID]:
    """Deliveries whose retry is due, or whose task was lost or worker died (the sweep sends them again)."""
    waiting = (DeliveryStatus.pending, DeliveryStatus.retrying, DeliveryStatus.sending)
    async with sessions() as session:
        found = await session.scalars(
            select(Delivery.id)
            .where(Delivery.status.in_(waiting), Delivery.next_attempt_at <= utcnow())
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
        return list(found)
