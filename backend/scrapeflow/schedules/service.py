"""Schedules: create, read, update, pause and resume, delete; each one for a bot of the caller's organization."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.bots import service as bots_service
from scrapeflow.kit.errors import NotFound, Unprocessable
from scrapeflow.kit.pagination import paginate
from scrapeflow.kit.stamps import mark_changed, org_stamp
from scrapeflow.models import Schedule
from scrapeflow.schedules.cron import CronError, CronSchedule
from scrapeflow.schedules.describe import describe
from scrapeflow.schedules.schemas import (
    PREVIEW_RUNS,
    ScheduleCreate,
    ScheduleListParams,
    SchedulePreview,
    ScheduleUpdate,
)


def validated(expression: str, timezone: str, *, min_interval_seconds: int, now: datetime) -> CronSchedule:
    """The schedule, or 422 saying what is wrong with the expression or the time zone."""
    try:
        return CronSchedule.parse(expression, timezone, min_interval_seconds=min_interval_seconds, now=now)
    except CronError as exc:
        raise Unprocessable(exc.message, code=exc.code, details=exc.details) from exc


def preview(expression: str, timezone: str, *, min_interval_seconds: int, now: datetime) -> SchedulePreview:
    """What a schedule would do, checked as a save would check it (422 on the same errors)."""
    cron = validated(expression, timezone, min_interval_seconds=min_interval_seconds, now=now)
    return SchedulePreview(
        cron_expression=cron.expression,
        timezone=timezone,
        description=describe(cron.expression),
        preview=[cron.local(run) for run in cron.runs_after(now, PREVIEW_RUNS)],
    )


async def list_schedules(
    session: AsyncSession, subject: AuthSubject, params: ScheduleListParams
) -> tuple[list[Schedule], str | None]:
    statement = scoped(select(Schedule), subject, Schedule)
    if params.bot_id is not None:
        statement = statement.where(Schedule.bot_id == params.bot_id)
    if params.is_active is not None:
        statement = statement.where(Schedule.is_active.is_(params.is_active))
    return await paginate(session, statement, params, sort=Schedule.created_at, tiebreak=Schedule.id)


async def get(session: AsyncSession, subject: AuthSubject, schedule_id: uuid.UUID) -> Schedule:
    schedule = await session.scalar(scoped(select(Schedule), subject, Schedule).where(Schedule.id == schedule_id))
    if schedule is None:
        raise NotFound("Schedule not found.")
    return schedule


async def create(
    session: AsyncSession, subject: AuthSubject, body: ScheduleCreate, *, min_interval_seconds: int, now: datetime
) -> Schedule:
    bot = await bots_service.get(session, subject, body.bot_id)
    cron = validated(body.cron_expression, body.timezone, min_interval_seconds=min_interval_seconds, now=now)
    schedule = Schedule(
        org_id=subject.org_id,
        bot_id=bot.id,
        cron_expression=cron.expression,
        timezone=body.timezone,
        is_active=body.is_active,
        next_run_at=cron.next_after(now) if body.is_active else None,
        created_by_id=subject.user_id,
    )
    session.add(schedule)
    await session.flush()
    mark_changed(session, org_stamp(subject.org_id))  # the bot list shows each bot's next run
    return schedule


async def update(
    session: AsyncSession,
    subject: AuthSubject,
    schedule_id: uuid.UUID,
    body: ScheduleUpdate,
    *,
    min_interval_seconds: int,
    now: datetime,
) -> Schedule:
    schedule = await get(session, subject, schedule_id)
    if body.bot_id is not None and body.bot_id != schedule.bot_id:
        schedule.bot_id = (await bots_service.get(session, subject, body.bot_id)).id
    expression = body.cron_expression if body.cron_expression is not None else schedule.cron_expression
    timezone = body.timezone if body.timezone is not None else schedule.timezone
    cron = validated(expression, timezone, min_interval_seconds=min_interval_seconds, now=now)
    schedule.cron_expression, schedule.timezone = cron.expression, timezone
    if body.is_active is not None:
        schedule.is_active = body.is_active
    # From now on: a changed schedule never fires for a slot it had before the change.
    schedule.next_run_at = cron.next_after(now) if schedule.is_active else None
    await session.flush()
    await session.refresh(schedule)
    mark_changed(session, org_stamp(subject.org_id))
    return schedule


async def toggle(session: AsyncSession, subject: AuthSubject, schedule_id: uuid.UUID, *, now: datetime) -> Schedule:
    """Pause an active schedule, or resume a paused one from its next run after now (no catching up)."""
    schedule = await get(session, subject, schedule_id)
    schedule.is_active = not schedule.is_active
    schedule.next_run_at = None
    if schedule.is_active:
        try:
            schedule.next_run_at = CronSchedule.load(schedule.cron_expression, schedule.timezone).next_after(now)
        except CronError as exc:
            raise Unprocessable(f"{exc.message} Update the schedule to resume it.", code=exc.code) from exc
    await session.flush()
    await session.refresh(schedule)
    mark_changed(session, org_stamp(subject.org_id))
    return schedule


async def delete(session: AsyncSession, subject: AuthSubject, schedule_id: uuid.UUID) -> None:
    schedule = await get(session, subject, schedule_id)
    await session.delete(schedule)
    mark_changed(session, org_stamp(subject.org_id))
    await session.flush()
