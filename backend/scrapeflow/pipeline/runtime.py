"""A worker process's long-lived state: one event loop, one database engine, one browser pool, reused by
every task the process runs (created lazily, after the fork)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from celery import Celery, chord, signature
from celery.signals import worker_process_shutdown
from redis.asyncio import Redis

from scrapeflow.bots.test_runs import browser_options
from scrapeflow.config import Settings, get_settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.kit.artifacts import artifact_store
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.stamps import Stamps
from scrapeflow.pipeline.celery_app import broker_priority
from scrapeflow.pipeline.dispatch import Dispatcher
from scrapeflow.pipeline.politeness import domain_limiter
from scrapeflow.pipeline.stages import Runtime

T = TypeVar("T")

_runner: asyncio.Runner | None = None
_runtime: Runtime | None = None


class CeleryEnqueuer:
    """Sends the chain's next tasks, at the execution's priority."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def scrape(self, execution_id: uuid.UUID, priority: int, batches: list[list[str]], task_ids: list[str]) -> None:
        priority = broker_priority(self.celery, priority)
        header = [
            signature("pipeline.scrape", args=(str(execution_id), batch), app=self.celery).set(
                task_id=task_id, priority=priority
            )
            for batch, task_id in zip(batches, task_ids, strict=True)
        ]
        body = signature("pipeline.extract", kwargs={"execution_id": str(execution_id)}, app=self.celery)
        chord(header, app=self.celery)(body.set(immutable=True, priority=priority), **chord_polling(self.celery))

    def stage(self, name: str, execution_id: uuid.UUID, priority: int) -> None:
        priority = broker_priority(self.celery, priority)
        if name == "extract":
            self.celery.send_task("pipeline.extract", kwargs={"execution_id": str(execution_id)}, priority=priority)
        else:
            self.celery.send_task(f"pipeline.{name}", args=(str(execution_id),), priority=priority)

    def deliver(self, delivery_id: uuid.UUID) -> None:
        self.celery.send_task("exports.deliver", args=(str(delivery_id),))


def chord_polling(celery: Celery) -> dict[str, float]:
    """A chord's options for result backends without a chord counter (the embedded broker's files), which poll
    for the batches' results: start polling at once and look every 0.1 s (Celery's defaults, 1 s and 1 s, cost
    a second per run). None on Redis: Celery applies them to the chord's body as well, where a countdown held
    `extract` back 0.1 s after the last batch."""
    return {} if celery.backend.supports_native_join else {"countdown": 0.1, "interval": 0.1}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    global _runner
    if _runner is None:
        _runner = asyncio.Runner()
    return _runner.run(coroutine)


def dispatcher() -> Dispatcher:
    from scrapeflow.pipeline.celery_app import app

    return Dispatcher(runtime().settings, app)


def runtime(settings: Settings | None = None) -> Runtime:
    global _runtime
    if _runtime is None:
        from scrapeflow.pipeline.celery_app import app

        settings = settings or get_settings()
        sessionmaker = create_sessionmaker(create_engine(settings, writer=True))
        _runtime = Runtime(
            settings=settings,
            sessionmaker=sessionmaker,
            limiter=domain_limiter(settings, session_factory=sessionmaker),
            box=SecretBox(settings.jwt_secret),
            artifacts=artifact_store(settings),
            enqueue=CeleryEnqueuer(app),
            browser=BrowserPool(browser_options(settings)),
            ssl_context=httpx.create_ssl_context(),
            stamps=Stamps(Redis.from_url(settings.redis_url)) if settings.redis_url else None,
        )
    return _runtime


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    global _runner, _runtime
    if _runner is None:
        return
    if _runtime is not None:
        _runner.run(_runtime.fetchers.aclose())
        if _runtime.browser is not None:
            _runner.run(_runtime.browser.close())
        if _runtime.stamps is not None:
            _runner.run(_runtime.stamps.redis.aclose())
    _runner.close()
    _runner, _runtime = None, None
