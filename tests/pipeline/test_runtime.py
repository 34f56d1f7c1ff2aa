"""A worker process's fetchers share one TLS context: building one loads the CA bundle, which every scrape
batch used to pay again (~30 ms of CPU each, a fifth of a 2,000-page crawl's worker time in bench/pipeline)."""

from __future__ import annotations

import ssl
from pathlib import Path

from scrapeflow.bots.test_runs import BotRun
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.pipeline import runtime as worker_runtime
from scrapeflow.pipeline.stages.common import fetcher_of
from tests.conftest import make_settings


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
