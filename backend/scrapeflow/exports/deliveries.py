"""Deliveries seen from the API: the log per destination and per execution, sending an execution's rows now,
redelivering, and the rows behind a download link."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.db import after_commit
from scrapeflow.executions import service as executions_service
from scrapeflow.exports import destinations, planning
from scrapeflow.exports.schemas import SendRequest
from scrapeflow.kit.errors import Conflict, NotFound
from scrapeflow.kit.pagination import PageParams, paginate
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Delivery, DeliveryStatus, Execution, ExecutionStatus
from scrapeflow.pipeline.stages import FINISHED

Enqueue = Callable[[uuid.UUID], Awaitable[Any]]
"""Sends a committed delivery's task to the workers (pipeline.dispatch.Dispatcher.deliver)."""


async def for_destination(
    session: AsyncSession, subject: AuthSubject, destination_id: uuid.UUID, params: PageParams
) -> tuple[list[Delivery], str | None]:
    destination = await destinations.get(session, subject, destination_id)
    statement = scoped(select(Delivery), subject, Delivery).where(Delivery.destination_id == destination.id)
    return await paginate(session, statement, params, sort=Delivery.created_at, tiebreak=Delivery.id)


async def for_execution(
    session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID, params: PageParams
) -> tuple[list[Delivery], str | None]:
    execution = await executions_service.get(session, subject, execution_id)
    statement = scoped(select(Delivery), subject, Delivery).where(Delivery.execution_id == execution.id)
    return await paginate(session, statement, params, sort=Delivery.created_at, tiebreak=Delivery.id)


def _sendable(execution: Execution) -> None:
    if execution.status not in FINISHED:
        raise Conflict(
            f"This execution is {execution.status.value.replace('_', ' ')}; send its rows once it has finished.",
            code="execution_not_finished",
        )


async def send_now(
    session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID, body: SendRequest, enqueue: Enqueue
) -> Delivery:
    """Send one execution's rows to a destination now (its delivery for that destination starts over)."""
    execution = await executions_service.get(session, subject, execution_id)
    _sendable(execution)
    destination = await destinations.get(session, subject, body.destination_id)
    if not destination.is_active:
        raise Conflict("The destination is disabled; enable it first.", code="destination_disabled")
    failed = execution.status is ExecutionStatus.failed
    event = "execution.failed" if failed else "execution.succeeded"
    delivery = await planning.queue(session, execution, destination, event, body.rows, utcnow())
    delivery_id = delivery.id
    after_commit(session, lambda: enqueue(delivery_id))
    return delivery


async def redeliver(session: AsyncSession, subject: AuthSubject, delivery_id: uuid.UUID, enqueue: Enqueue) -> Delivery:
    """Send a delivery again from its first batch, with the same id (receivers that took it can tell)."""
    delivery = await session.scalar(scoped(select(Delivery), subject, Delivery).where(Delivery.id == delivery_id))
    if delivery is None or delivery.execution_id is None:
        raise NotFound("Delivery not found.")
    if delivery.status is DeliveryStatus.sending:
        raise Conflict("This delivery is being sent right now.", code="delivery_in_progress")
    execution = await executions_service.get(session, subject, delivery.execution_id)
    destination = await destinations.get(session, subject, delivery.destination_id)
    if not destination.is_active:
        raise Conflict("The destination is disabled; enable it first.", code="destination_disabled")
    delivery = await planning.queue(session, execution, destination, delivery.event, delivery.rows, utcnow())
    after_commit(session, lambda: enqueue(delivery_id))
    return delivery


async def for_download(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery:
    """The delivery a signed link names (the link itself is the authorization)."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.execution_id is None:
        raise NotFound("This download link is invalid or has expired; ask for the delivery to be sent again.")
    return delivery
