"""Celery tasks: thin wrappers that run a stage on the worker process's event loop."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from scrapeflow.pipeline import periodic, signals, stages
from scrapeflow.pipeline.runtime import dispatcher, run, runtime

__all__ = ["signals"]  # imported for its handlers (metrics, heartbeats, logging in workers)


@shared_task(name="pipeline.map")
def map_stage(execution_id: str) -> None:
    run(stages.map_stage(runtime(), uuid.UUID(execution_id)))


@shared_task(name="pipeline.scrape")
def scrape(execution_id: str, page_ids: list[str]) -> None:
    try:
        run(stages.scrape_stage(runtime(), uuid.UUID(execution_id), [uuid.UUID(page) for page in page_ids]))
    except SoftTimeLimitExceeded:
        # What was finished is recorded; the pages left pending are restarted by the watchdog.
        return


@shared_task(name="pipeline.extract")
def extract(*_: Any, execution_id: str) -> None:
    run(stages.extract_stage(runtime(), uuid.UUID(execution_id)))


@shared_task(name="pipeline.save")
def save(execution_id: str) -> None:
    run(stages.save_stage(runtime(), uuid.UUID(execution_id)))


@shared_task(name="pipeline.export")
def export(execution_id: str) -> None:
    run(stages.export_stage(runtime(), uuid.UUID(execution_id)))


@shared_task(name="pipeline.watchdog")
def watchdog() -> int:
    return len(run(stages.watchdog(runtime())))


@shared_task(name="pipeline.schedules")
def fire_schedules() -> int:
    rt = runtime()
    return len(run(periodic.fire_schedules(rt, dispatcher())))


@shared_task(name="pipeline.usage")
def reset_usage() -> int:
    return run(periodic.reset_usage(runtime()))


@shared_task(name="pipeline.retention")
def expire_executions() -> int:
    return run(periodic.expire_executions(runtime()))


@shared_task(name="billing.renewals")
def renew_subscriptions() -> int:
    return run(periodic.renew_subscriptions(runtime()))
