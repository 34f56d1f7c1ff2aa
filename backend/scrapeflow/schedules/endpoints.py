"""HTTP endpoints for cron schedules."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from scrapeflow.auth.subject import BotsRead, BotsWrite
from scrapeflow.billing import service as billing_service
from scrapeflow.db import SessionDep
from scrapeflow.kit.http import SettingsDep
from scrapeflow.kit.pagination import Page
from scrapeflow.kit.time import utcnow
from scrapeflow.schedules import service as schedules_service
from scrapeflow.schedules.schemas import (
    Schedule,
    ScheduleCreate,
    ScheduleDraft,
    ScheduleListParams,
    SchedulePreview,
    ScheduleUpdate,
)

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.get("", summary="List schedules")
async def list_schedules(
    subject: BotsRead, session: SessionDep, query: Annotated[ScheduleListParams, Query()]
) -> Page[Schedule]:
    items, next_cursor = await schedules_service.list_schedules(session, subject, query)
    return Page(items=[Schedule.of(schedule) for schedule in items], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a schedule")
async def create_schedule(
    body: ScheduleCreate, subject: BotsWrite, session: SessionDep, settings: SettingsDep
) -> Schedule:
    """Runs the bot on a cron expression in a time zone; 422 for an invalid, never-firing or too frequent one
    (the plan sets the shortest interval); 403 `PLAN_LIMIT` past the plan's number of schedules."""
    interval = await billing_service.schedule_interval(session, settings, subject, new=True)
    schedule = await schedules_service.create(session, subject, body, min_interval_seconds=interval, now=utcnow())
    return Schedule.of(schedule)


@router.post("/preview", summary="Describe a cron expression and list its next runs")
async def preview_schedule(
    body: ScheduleDraft, subject: BotsRead, session: SessionDep, settings: SettingsDep
) -> SchedulePreview:
    """Nothing is saved: the expression in words and its next runs in the time zone, or the 422 a save would get
    (invalid expression, unknown time zone, never firing, more frequent than the plan allows)."""
    interval = await billing_service.schedule_interval(session, settings, subject, new=False)
    return schedules_service.preview(body.cron_expression, body.timezone, min_interval_seconds=interval, now=utcnow())


@router.get("/{schedule_id}", summary="Get a schedule")
async def get_schedule(schedule_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> Schedule:
    return Schedule.of(await schedules_service.get(session, subject, schedule_id))


@router.put("/{schedule_id}", summary="Update a schedule")
async def update_schedule(
    schedule_id: uuid.UUID, body: ScheduleUpdate, subject: BotsWrite, session: SessionDep, settings: SettingsDep
) -> Schedule:
    interval = await billing_service.schedule_interval(session, settings, subject, new=False)
    schedule = await schedules_service.update(
        session, subject, schedule_id, body, min_interval_seconds=interval, now=utcnow()
    )
    return Schedule.of(schedule)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a schedule")
async def delete_schedule(schedule_id: uuid.UUID, subject: BotsWrite, session: SessionDep) -> None:
    await schedules_service.delete(session, subject, schedule_id)


@router.post("/{schedule_id}/toggle", summary="Pause or resume a schedule")
async def toggle_schedule(schedule_id: uuid.UUID, subject: BotsWrite, session: SessionDep) -> Schedule:
    """Resuming starts from the next run after now: runs missed while paused are not made up."""
    return Schedule.of(await schedules_service.toggle(session, subject, schedule_id, now=utcnow()))
