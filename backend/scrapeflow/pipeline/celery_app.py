"""The Celery application: queues, routing, reliability, and the broker.

Scale-out (`REDIS_URL` set): Redis is broker and result backend, with priority queues (0-9).
Single machine: no broker server at all. kombu's filesystem transport keeps each queue in a folder under
`$DATA_DIR/broker` and results go to `$DATA_DIR/broker/results`; API, workers and beat started from the
same settings find the same folders. (Measured on this machine: the filesystem transport runs chains,
chords and remote control (cancel revokes) with ~0.1 s latency; the SQLAlchemy transport on SQLite had no
remote control and its polling option crashes it; a Redis the project starts itself would need a
redis-server binary the user may not have.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Queue  # type: ignore[attr-defined]

from scrapeflow.config import Settings, get_settings
from scrapeflow.observability.queues import QUEUES

# (soft, hard) time limits in seconds per task kind; the soft one raises inside the task so it can record why.
TIME_LIMITS = {
    "pipeline.map": (600, 660),
    "pipeline.scrape": (1800, 1860),
    "pipeline.extract": (1800, 1860),
    "pipeline.save": (600, 660),
    "pipeline.export": (600, 660),
    "pipeline.watchdog": (60, 90),
    "pipeline.schedules": (60, 90),
    "pipeline.usage": (300, 360),
    "pipeline.retention": (1800, 1860),
    "exports.deliver": (900, 960),  # exports.delivery.DELIVER_TIME_LIMIT: its claim outlives the hard limit
    "exports.sweep": (60, 90),
    "billing.renewals": (600, 660),
}
ROUTES = {
    "pipeline.map": "scraping",
    "pipeline.scrape": "scraping",
    "pipeline.extract": "llm",
    "pipeline.save": "default",
    "pipeline.export": "export",
    "pipeline.watchdog": "default",
    "pipeline.schedules": "default",
    "pipeline.usage": "default",
    "pipeline.retention": "default",
    "exports.deliver": "export",
    "exports.sweep": "default",
    "billing.renewals": "default",
}
SCHEDULES_EVERY_SECONDS = 10.0  # cron's unit is the minute: a run starts at most this late


def watchdog_interval(settings: Settings) -> float:
    """How often beat looks for stalled executions: a few times per stall period, at most every 15 s."""
    return max(1.0, min(15.0, settings.execution_stall_seconds / 3))


def sweep_interval(settings: Settings) -> float:
    """How often beat sends deliveries whose retry is due: about the first retry delay, 1 to 15 s."""
    return max(1.0, min(15.0, settings.webhook_retry_base_seconds))


def broker_priority(celery: Celery, priority: int) -> int:
    """The broker's number for an execution's priority (0-9, higher first). Redis lists are read lowest number
    first (kombu's priority steps), so there the scale is turned over; AMQP brokers read the highest first."""
    return 9 - priority if str(celery.conf.broker_url or "").startswith(("redis", "rediss")) else priority


def broker_folders(settings: Settings) -> dict[str, Path]:
    root = settings.data_dir.resolve() / "broker"
    return {name: root / name for name in ("queue", "processed", "control", "results")}


def _transport(settings: Settings) -> dict[str, Any]:
    if settings.redis_url:
        return {
            "broker_url": settings.redis_url,
            "result_backend": settings.redis_url,
            "worker_prefetch_multiplier": 1,  # long tasks: a worker holds only the task it runs
            "broker_transport_options": {
                "priority_steps": list(range(10)),
                "sep": ":",
                "queue_order_strategy": "priority",
                "visibility_timeout": settings.execution_stall_seconds * 4,
            },
        }
    folders = broker_folders(settings)  # made by whoever uses them first (Dispatcher, `scrapeflow worker`)
    return {
        "broker_url": "filesystem://",
        "broker_transport": "scrapeflow.pipeline.broker:FilesystemTransport",  # messages appear whole
        "broker_transport_options": {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "store_processed": False,
            "control_folder": str(folders["control"]),
            "polling_interval": 0.05,
        },
        "result_backend": f"file://{folders['results']}",
        # A polling transport sends late acks only between its 2 s waits; with one task in hand at a time
        # a single-process worker would wait that long between tasks. Take a few ahead instead.
        "worker_prefetch_multiplier": 4,
    }


def create_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    celery = Celery(
        "scrapeflow", include=["scrapeflow.pipeline.tasks", "scrapeflow.exports.tasks"]
    )  # imported when a worker starts
    celery.conf.update(
        **_transport(settings),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,
        task_queues=[Queue(name, queue_arguments={"x-max-priority": 9}) for name in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue="default",
        task_routes={name: {"queue": queue} for name, queue in ROUTES.items()},
        task_annotations={
            name: {"soft_time_limit": soft, "time_limit": hard} for name, (soft, hard) in TIME_LIMITS.items()
        },
        task_queue_max_priority=9,
        task_default_priority=0,
        result_expires=3600,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "watchdog": {"task": "pipeline.watchdog", "schedule": watchdog_interval(settings)},
            "schedules": {"task": "pipeline.schedules", "schedule": SCHEDULES_EVERY_SECONDS},
            "usage": {"task": "pipeline.usage", "schedule": 3600.0},
            "retention": {"task": "pipeline.retention", "schedule": 3600.0},
            "deliveries": {"task": "exports.sweep", "schedule": sweep_interval(settings)},
            "renewals": {"task": "billing.renewals", "schedule": 3600.0},
        },
        timezone="UTC",
    )
    return celery


app = create_celery()
