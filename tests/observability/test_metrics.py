"""GET /metrics: executions by status from the database, counters written by other processes, the token."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.schemas import BotCreate
from scrapeflow.config import Settings
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.models import Execution, ExecutionStatus, ExecutionTrigger, Role
from scrapeflow.observability.heartbeats import write_heartbeat
from scrapeflow.observability.queues import QUEUES
from tests.factories import START_URL, make_user
from tests.test_authorization_matrix import CLIENT

# A worker's process: records what the pipeline will, then (optionally) forks like Celery's prefork pool
# and records again from the child, which must land in a file of its own.
WORKER = textwrap.dedent(
    """
    import os, sys
    from scrapeflow.config import get_settings
    from scrapeflow.observability.metrics import configure_metrics, count_pages, count_rows, count_task, observe_stage

    folder = configure_metrics(get_settings())
    assert configure_metrics(get_settings()) == folder  # once per process: the files are mapped only once
    seconds, rows, fork = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "fork"
    observe_stage("scrape", seconds)
    count_task("scrape_batch", "succeeded")
    count_task("scrape_batch", "retried")
    count_pages("done", 10)
    count_pages("failed", 1)
    count_rows(rows)
    if fork:
        child = os.fork()
        if child == 0:
            count_task("export", "failed")
            os._exit(0)
        os.waitpid(child, 0)
    """
)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return parsed[(name, frozenset(labels.items()))]


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def add_executions(session: AsyncSession, settings: Settings, statuses: list[ExecutionStatus]) -> None:
    owner = await make_user(session, settings)
    assert owner.user.default_org_id is not None
    subject = AuthSubject(owner.user.default_org_id, Role.owner, owner.user.id, None, CLIENT)
    bot = await bots_service.create(
        session, subject, BotCreate(name="Metered", start_url=START_URL), SecretBox(settings.jwt_secret)
    )
    for status in statuses:
        session.add(
            Execution(org_id=bot.org_id, bot_id=bot.id, bot_version=1, trigger=ExecutionTrigger.manual, status=status)
        )
    await session.flush()


async def test_executions_by_status_come_from_the_database(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    before = await scrape(client)
    queued, running, failed = ExecutionStatus.queued, ExecutionStatus.running, ExecutionStatus.failed
    await add_executions(session, settings, [queued, queued, running, failed])
    after = await scrape(client)
    change = {
        status: value(after, "scrapeflow_executions", status=status.value)
        - value(before, "scrapeflow_executions", status=status.value)
        for status in ExecutionStatus
    }
    assert change == dict.fromkeys(ExecutionStatus, 0) | {
        ExecutionStatus.queued: 2,
        ExecutionStatus.running: 1,
        ExecutionStatus.failed: 1,
    }


def run_workers(data_dir: Path) -> None:
    """Two worker processes at once, one of which forks a child, all writing to the same folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL", "REDIS_URL"}}
    env["DATA_DIR"] = str(data_dir)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, "1.5", "7", "fork"], env=env, stderr=subprocess.PIPE),
        subprocess.Popen([sys.executable, "-c", WORKER, "20", "5", "no"], env=env, stderr=subprocess.PIPE),
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr.decode()


async def test_counters_of_worker_processes_are_merged(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    app.state.settings = settings.model_copy(update={"data_dir": tmp_path})
    run_workers(tmp_path)
    assert len(list((tmp_path / "metrics").glob("*.db"))) >= 3  # one file set per process: both, and the child

    parsed = await scrape(client)
    assert value(parsed, "scrapeflow_stage_duration_seconds_count", stage="scrape") == 2
    assert value(parsed, "scrapeflow_stage_duration_seconds_sum", stage="scrape") == 21.5
    assert value(parsed, "scrapeflow_stage_duration_seconds_bucket", stage="scrape", le="2.5") == 1
    assert value(parsed, "scrapeflow_stage_duration_seconds_bucket", stage="scrape", le="30.0") == 2
    assert value(parsed, "scrapeflow_tasks_total", task="scrape_batch", outcome="succeeded") == 2
    assert value(parsed, "scrapeflow_tasks_total", task="scrape_batch", outcome="retried") == 2
    assert value(parsed, "scrapeflow_tasks_total", task="export", outcome="failed") == 1  # from the forked child
    assert value(parsed, "scrapeflow_pages_total", outcome="done") == 20
    assert value(parsed, "scrapeflow_pages_total", outcome="failed") == 2
    assert value(parsed, "scrapeflow_rows_total") == 12


async def test_queues_and_workers_are_read_at_scrape_time(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    app.state.settings = configured = settings.model_copy(update={"data_dir": tmp_path})
    broker = tmp_path / "broker" / "queue"
    broker.mkdir(parents=True)
    for index in range(3):
        (broker / f"17000{index}_0f8e.scraping.msg").write_bytes(b"{}")
    (broker / "170009_9a1c.export.msg").write_bytes(b"{}")
    write_heartbeat(configured, "celery@scraper-1", ["scraping"])
    write_heartbeat(configured, "celery@scraper-2", ["scraping"])
    write_heartbeat(configured, "celery@exporter", ["export", "default"])
    write_heartbeat(configured, "celery@gone", ["llm"], now=1_000_000.0)  # stopped long ago
    write_heartbeat(configured, "beat@host", ["beat"])

    parsed = await scrape(client)
    assert value(parsed, "scrapeflow_broker_up") == 1
    lengths = {queue: value(parsed, "scrapeflow_queue_length", queue=queue) for queue in QUEUES}
    assert lengths == {"scraping": 3, "llm": 0, "export": 1, "default": 0}
    workers = {queue: value(parsed, "scrapeflow_workers_active", queue=queue) for queue in QUEUES}
    assert workers == {"scraping": 2, "llm": 0, "export": 1, "default": 1}
    assert value(parsed, "scrapeflow_beat_active") == 1


async def test_an_unreachable_broker_is_reported_not_raised(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    parsed = await scrape(client)
    assert value(parsed, "scrapeflow_broker_up") == 0
    assert not any(name == "scrapeflow_queue_length" for name, _ in parsed)
    assert any(name == "scrapeflow_executions" for name, _ in parsed)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong", 401), ("Basic metrics-secret", 401), ("Bearer metrics-secret", 200)],
)
async def test_metrics_token_guards_the_endpoint_when_set(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, authorization: str | None, status: int
) -> None:
    app.state.settings = settings.model_copy(update={"metrics_token": "metrics-secret"})
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["code"] == "not_authenticated"


async def test_metrics_stay_out_of_the_api_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
    assert "/health" in paths
