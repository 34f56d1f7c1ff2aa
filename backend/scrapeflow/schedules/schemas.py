"""Request and response bodies for cron schedules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, PlainSerializer, StringConstraints

from scrapeflow import models
from scrapeflow.kit.pagination import PageParams
from scrapeflow.kit.schemas import InputSchema, Schema
from scrapeflow.kit.time import utcnow
from scrapeflow.schedules.cron import CronError, CronSchedule
from scrapeflow.schedules.describe import describe

PREVIEW_RUNS = 5

CronExpression = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120),
    Field(
        description="Five fields: minute hour day-of-month month day-of-week (or `@hourly`, `@daily`, `@weekly`, "
        "`@monthly`), on the schedule's time zone.",
        examples=["0 9 * * 1-5"],
    ),
]
TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(description="An IANA time zone.", examples=["Europe/Berlin"]),
]
# In the schedule's own UTC offset (`2026-11-23T09:00:00+01:00`), `+00:00` rather than `Z` for UTC.
ZonedDateTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]


class ScheduleListParams(PageParams):
    bot_id: uuid.UUID | None = Field(None, description="Only the schedules of this bot.")
    is_active: bool | None = Field(None, description="Only active (true) or paused (false) schedules.")


class ScheduleCreate(InputSchema):
    bot_id: uuid.UUID
    cron_expression: CronExpression
    timezone: TimeZone = "UTC"
    is_active: bool = True


class ScheduleUpdate(InputSchema):
    """Fields left out keep their value; the next run is computed again from now."""

    bot_id: uuid.UUID | None = None
    cron_expression: CronExpression | None = None
    timezone: TimeZone | None = None
    is_active: bool | None = None


class ScheduleDraft(InputSchema):
    """A cron expression and time zone to check before saving them."""

    cron_expression: CronExpression
    timezone: TimeZone = "UTC"


class SchedulePreview(Schema):
    cron_expression: str = Field(description="The expression as it would be saved (aliases expanded).")
    timezone: str
    description: str = Field(description="The cron expression in words.")
    preview: list[ZonedDateTime] = Field(description=f"The next {PREVIEW_RUNS} run times in the time zone.")


class Schedule(Schema):
    id: uuid.UUID
    bot_id: uuid.UUID
    cron_expression: str
    timezone: str
    is_active: bool
    description: str = Field(description="The cron expression in words.")
    next_run: ZonedDateTime | None = Field(description="When it runs next, in its time zone; null while paused.")
    preview: list[ZonedDateTime] = Field(
        description=f"The next {PREVIEW_RUNS} run times in its time zone (what it would do, when paused)."
    )
    last_run_at: ZonedDateTime | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, schedule: models.Schedule) -> Schedule:
        try:
            cron: CronSchedule | None = CronSchedule.load(schedule.cron_expression, schedule.timezone)
        except CronError:  # e.g. a zone the server's tz database dropped: still show the row
            cron = None
        local = cron.local if cron is not None else (lambda instant: instant)
        preview: list[datetime] = []
        if cron is not None:
            if schedule.is_active and schedule.next_run_at is not None:
                preview = [schedule.next_run_at, *cron.runs_after(schedule.next_run_at, PREVIEW_RUNS - 1)]
            else:
                preview = cron.runs_after(utcnow(), PREVIEW_RUNS)
        next_run = schedule.next_run_at if schedule.is_active else None
        return cls(
            id=schedule.id,
            bot_id=schedule.bot_id,
            cron_expression=schedule.cron_expression,
            timezone=schedule.timezone,
            is_active=schedule.is_active,
            description=describe(schedule.cron_expression),
            next_run=local(next_run) if next_run is not None else None,
            preview=[local(run) for run in preview],
            last_run_at=local(schedule.last_run_at) if schedule.last_run_at is not None else None,
            created_by_id=schedule.created_by_id,
            created_at=schedule.created_at,
            updated_at=schedule.updated_at,
        )
