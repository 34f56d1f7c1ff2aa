"""Celery tasks of exports: one delivery (queue `export`), and beat's sweep of due retries and lost tasks."""

from __future__ import annotations

import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from scrapeflow.exports.delivery import deliver as run_delivery
from scrapeflow.exports.delivery import due
from scrapeflow.pipeline.runtime import run, runtime


@shared_task(name="exports.deliver")
def deliver(delivery_id: str) -> str | None:
    rt = runtime()
    try:
        status = run(run_delivery(rt.sessionmaker, rt.settings, rt.box, uuid.UUID(delivery_id)))
    except SoftTimeLimitExceeded:
        return None  # the batches sent are recorded; the sweep resumes after the claim lapses
    return status.value if status is not None else None


@shared_task(name="exports.sweep")
def sweep() -> int:
    rt = runtime()
    found = run(due(rt.sessionmaker))
    for delivery_id in found:
        rt.enqueue.deliver(delivery_id)
    return len(found)
