"""What beat runs: due cron schedules, monthly usage resets, retention."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.billing.payments.toss import renew_due
from scrapeflow.billing.quotas import retention_by_plan
from scrapeflow.executions import service as executions_service
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionTrigger, Role, Schedule
from scrapeflow.pipeline.dispatch import Dispatcher
from scrapeflow.pipeline.stages import WORKER_CLIENT, Runtime, execution_prefix
from scrapeflow.pipeline.stages.common import announce
from scrapeflow.schedules.tick import delete_expired_executions, fire_due_schedules, reset_monthly_usage


async def fire_schedules(rt: Runtime, dispatcher: Dispatcher) -> list[uuid.UUID]:
    """Start the executions of due schedules; each is enqueued once the tick has committed it (one the
    process never got to enqueue is enqueued by the watchdog)."""
    started: list[Execution] = []

    async def start(session: AsyncSession, schedule: Schedule) -> None:
        subject = AuthSubject(schedule.org_id, Role.editor, schedule.created_by_id, None, WORKER_CLIENT)
        execution = await executions_service.start(
            session,
            subject,
            schedule.bot_id,
            None,
            rt.settings,
            trigger=ExecutionTrigger.schedule,
            schedule_id=schedule.id,
        )
        started.append(execution)

    fired = await fire_due_schedules(rt.sessionmaker, utcnow(), start)
    for execution in started:
        await dispatcher.start(execution)
    for org_id in {execution.org_id for execution in started}:
        await announce(rt, org_id)
    return fired


async def reset_usage(rt: Runtime) -> int:
    return await reset_monthly_usage(rt.sessionmaker, utcnow())


async def expire_executions(rt: Runtime) -> int:
    async def delete_artifacts(execution_ids: list[uuid.UUID]) -> None:
        for execution_id in execution_ids:
            await rt.artifacts.delete_prefix(execution_prefix(execution_id))

    now = utcnow()
    if not rt.settings.billing_enabled:
        return await delete_expired_executions(
            rt.sessionmaker, now, rt.settings.execution_retention_days, delete_artifacts
        )
    deleted = 0
    for days, organizations in retention_by_plan():
        deleted += await delete_expired_executions(
            rt.sessionmaker, now, days, delete_artifacts, of_organizations=organizations
        )
    return deleted


async def renew_subscriptions(rt: Runtime) -> int:
    """Toss Payments' recurring charges are ours to make: charge the subscriptions whose period ended."""
    if not (rt.settings.billing_enabled and rt.settings.toss_secret_key):
        return 0
    return await renew_due(rt.sessionmaker, rt.settings, rt.box, utcnow())
