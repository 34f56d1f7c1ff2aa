"""A worker process's runtime. Its fetchers share one TLS context: building one loads the CA bundle, which every
scrape batch used to pay again (~30 ms of CPU each, a fifth of a 2,000-page crawl's worker time in
bench/pipeline). Its scrape chord hands on to extract as soon as the last batch is done. A pool process's full
garbage collections skip what it inherited from the worker's main process."""

from __future__ import annotations

import base64
import gc
import json
import ssl
import uuid
import weakref
from pathlib import Path

import redis
from celery.signals import worker_before_create_process

from scrapeflow.bots.test_runs import BotRun
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.pipeline import runtime as worker_runtime
from scrapeflow.pipeline import signals  # noqa: F401  (connects the handlers, as a worker's main process does)
from scrapeflow.pipeline.celery_app import broker_folders, create_celery
from scrapeflow.pipeline.runtime import CeleryEnqueuer, chord_polling
from scrapeflow.pipeline.stages.common import fetcher_of
from tests.conftest import make_settings
from tests.pipeline.conftest import REDIS_URL


def test_the_worker_runtime_builds_one_tls_context_that_every_batch_fetcher_uses(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{(tmp_path / 'worker.db').as_posix()}")
    worker_runtime._runtime = None
    try:
        rt = worker_runtime.runtime(settings)
        assert isinstance(rt.ssl_context, ssl.SSLContext)
        first, second = fetcher_of(rt, BotRun()), fetcher_of(rt, BotRun(options={"user_agent": "ShopBot"}))
        assert isinstance(first, HttpFetcher)
        assert isinstance(second, HttpFetcher)
        assert first.options.verify is rt.ssl_context
        assert second.options.verify is rt.ssl_context
        assert second.options.user_agent == "ShopBot"
    finally:
        worker_runtime._runtime = None


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_main_process_objects_are_frozen_before_a_pool_process_is_forked() -> None:
    gc.collect()
    tracked = len(gc.get_objects())
    garbage = weakref.ref(_Cycle())  # unreachable, but only a collection frees a cycle
    assert gc.get_freeze_count() == 0
    try:
        worker_before_create_process.send(sender=None)
        assert gc.get_freeze_count() > tracked * 0.9
        # A full collection no longer walks them: what it tracks is what was made since.
        assert len(gc.get_objects()) < tracked / 10
        assert garbage() is None  # collected first, not frozen for good
    finally:
        gc.unfreeze()


def test_a_fetcher_opened_with_the_shared_context_still_verifies_certificates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{(tmp_path / 'worker.db').as_posix()}")
    worker_runtime._runtime = None
    try:
        context = worker_runtime.runtime(settings).ssl_context
        assert context is not None
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname
    finally:
        worker_runtime._runtime = None


def test_on_redis_the_scrape_chord_hands_on_to_extract_without_a_countdown(tmp_path: Path) -> None:
    """Celery applies a chord's call options to its body too: the polling options the embedded broker's file
    result backend needs held `extract` back 0.1 s on Redis, half of a one-page execution's scrape stage."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = make_settings(tmp_path, f"sqlite:///{(tmp_path / 'worker.db').as_posix()}", redis_url=REDIS_URL)
    celery = create_celery(settings)
    execution_id = uuid.uuid4()
    try:
        CeleryEnqueuer(celery).scrape(execution_id, 0, [["page-1"], ["page-2"]], ["batch-1", "batch-2"])
        client = redis.Redis.from_url(REDIS_URL)
        messages = [json.loads(raw) for key in client.keys("scraping*") for raw in client.lrange(key, 0, -1)]
        assert sorted(message["headers"]["id"] for message in messages) == ["batch-1", "batch-2"]
        for message in messages:
            assert message["headers"]["eta"] is None
            _args, _kwargs, embed = json.loads(base64.b64decode(message["body"]))
            body = embed["chord"]
            assert body["task"] == "pipeline.extract"
            assert body["kwargs"] == {"execution_id": str(execution_id)}
            assert "countdown" not in body["options"]
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
    embedded_settings = make_settings(tmp_path, f"sqlite:///{(tmp_path / 'worker.db').as_posix()}")
    for folder in broker_folders(embedded_settings).values():
        folder.mkdir(parents=True, exist_ok=True)
    embedded = create_celery(embedded_settings)
    assert chord_polling(embedded) == {"countdown": 0.1, "interval": 0.1}
