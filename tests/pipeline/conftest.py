"""Executions through real Celery worker processes, on the embedded broker (SQLite + a broker folder) and on
Redis (PostgreSQL + Redis), against the test shop on a real socket."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from scrapeflow.config import Settings
from scrapeflow.main import create_app
from tests.conftest import PostgresDatabases, make_settings, migrate
from tests.processes import stop_groups
from tests.redis_databases import claim_database

REDIS_URL = claim_database()  # this session's own (flushed around each test)
FINISHED = {"succeeded", "partially_succeeded", "failed", "cancelled"}


@pytest.fixture(params=["embedded", "redis"])
def pipeline_settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_databases: PostgresDatabases,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    if request.param == "embedded":
        url, redis_url = f"sqlite:///{(tmp_path / 'scrapeflow.db').as_posix()}", ""
    else:
        url, redis_url = postgres_databases.create(), REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()
    settings = make_settings(
        tmp_path,
        url,
        redis_url=redis_url,
        fetch_allowlist="127.0.0.1",
        scrape_batch_size=5,
        execution_stall_seconds=4.0,
    )
    migrate(settings, monkeypatch)
    yield settings
    if redis_url:
        redis.Redis.from_url(REDIS_URL).flushdb()


def environment(settings: Settings) -> dict[str, str]:
    values = {
        "ENVIRONMENT": "test",
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": settings.secret_key,
        "FETCH_ALLOWLIST": settings.fetch_allowlist,
        "SCRAPE_BATCH_SIZE": str(settings.scrape_batch_size),
        "EXECUTION_STALL_SECONDS": str(settings.execution_stall_seconds),
        "LOG_LEVEL": "INFO",
    }
    return {**os.environ, **values}


@dataclass
class Processes:
    """Worker and beat processes started for a test (all stopped at its end; none is left behind)."""

    settings: Settings
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for the processes started from now on."""

    def start(self, command: str, *options: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{command}-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapeflow.cli", command, *options],
            env=environment(self.settings) | self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the prefork children go with it
        )
        self.started.append(process)
        return process

    def worker(self, *options: str) -> subprocess.Popen[bytes]:
        return self.start("worker", "-c", "2", *options)

    @staticmethod
    def kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        with_children = os.getpgid(process.pid)
        os.killpg(with_children, sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        stop_groups(self.started, grace=20)

    def output(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-4000:] for path in sorted(self.logs.glob("*.log")))


@pytest.fixture
def processes(pipeline_settings: Settings, tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "process-logs"
    logs.mkdir()
    running = Processes(pipeline_settings, logs)
    yield running
    running.stop_all()


@pytest.fixture
async def api(pipeline_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real application (real sessions, real commits) in this process."""
    app = create_app(pipeline_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            yield client


async def sign_up(api: httpx.AsyncClient, email: str = "ada@example.com") -> dict[str, str]:
    password = "correct horse battery staple"
    registered = await api.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    token = (await api.post("/api/v1/auth/login", json={"email": email, "password": password})).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


async def create_bot(api: httpx.AsyncClient, headers: dict[str, str], workflow: dict[str, Any]) -> str:
    created = await api.post("/api/v1/bots", json={"name": "shop", "workflow_json": workflow}, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def wait_for(
    api: httpx.AsyncClient,
    headers: dict[str, str],
    execution_id: str,
    processes: Processes,
    statuses: set[str] = FINISHED,
    within: float = 90.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = await api.get(f"/api/v1/executions/{execution_id}", headers=headers)
        body: dict[str, Any] = answer.json()
        if body["status"] in statuses:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"execution still {body['status']} / {body['stage']}:\n{processes.output()}")
