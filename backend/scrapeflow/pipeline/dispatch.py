"""How the API (and beat) hand an execution to the workers, and take it back."""

from __future__ import annotations

import asyncio
import uuid

from celery import Celery

from scrapeflow.config import Settings
from scrapeflow.models import Execution
from scrapeflow.pipeline.celery_app import broker_folders, broker_priority, create_celery


class Dispatcher:
    def __init__(self, settings: Settings, celery: Celery | None = None) -> None:
        self.settings = settings
        self.celery = celery or create_celery(settings)
        if not settings.redis_url:
            for folder in broker_folders(settings).values():
                folder.mkdir(parents=True, exist_ok=True)

    async def start(self, execution: Execution) -> None:
        """Enqueue the chain's first task (map) at the execution's priority; the rest follows from it."""
        await asyncio.to_thread(
            self.celery.send_task,
            "pipeline.map",
            args=(str(execution.id),),
            priority=broker_priority(self.celery, execution.priority),
            task_id=map_task_id(execution),
        )

    async def resume_export(self, execution: Execution) -> None:
        """The export stage of an execution whose rows were reviewed."""
        await asyncio.to_thread(
            self.celery.send_task, "pipeline.export", args=(str(execution.id),), priority=execution.priority
        )

    async def deliver(self, delivery_id: uuid.UUID) -> None:
        await asyncio.to_thread(self.celery.send_task, "exports.deliver", args=(str(delivery_id),))

    async def revoke(self, execution: Execution) -> None:
        """Drop the execution's queued tasks (a running batch notices the cancellation at its next page)."""
        await asyncio.to_thread(self.celery.control.revoke, [map_task_id(execution), *execution.task_ids])


def map_task_id(execution: Execution) -> str:
    return f"map-{execution.id}"
