"""One ScrapeFlow deployment for the pipeline benchmarks (run.py, ab.py): a database and a broker, the API in
this process, `scrapeflow worker` processes, and the CPU each party spends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # bench.common and tests (the test shop, stopping process groups)

from bench.common.postgres import ADMIN_URL, PG_BASE_URL, create_database, drop_database  # noqa: E402
from bench.common.shop import CLOCK_TICKS, BenchError, Nginx, process_cpu_seconds  # noqa: E402
from scrapeflow.config import Settings  # noqa: E402
from scrapeflow.main import create_app  # noqa: E402
from tests.processes import stop_groups  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")  # flushed before and after
FINISHED = {"succeeded", "partially_succeeded", "failed", "cancelled"}
STAGES = ("mapping", "scraping", "extracting", "saving", "exporting")


def log(message: str) -> None:
    print(f"[pipeline] {message}", flush=True)


# -- one deployment: database, broker, the API in this process, worker processes --------------------------------


class Deployment:
    """ScrapeFlow on one database and broker: `scale-out` (PostgreSQL + Redis) or `embedded` (SQLite + folders)."""

    def __init__(
        self, name: str, work: Path, *, database_url: str, redis_url: str, concurrency: int, batch_size: int
    ) -> None:
        self.name = name
        self.data_dir = work / f"data-{name}"
        self.logs = work / f"logs-{name}"
        self.logs.mkdir(parents=True)
        self.redis_url = redis_url
        self.values = {
            "ENVIRONMENT": "production",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
            "FETCH_ALLOWLIST": "127.0.0.1",
            "ACCESS_TOKEN_MINUTES": "240",
            "SCRAPE_CONCURRENCY": str(concurrency),
            "SCRAPE_BATCH_SIZE": str(batch_size),
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.values, "PYTHONUNBUFFERED": "1"}

    def settings(self) -> Settings:
        return Settings(**{key.lower(): value for key, value in self.values.items()})  # type: ignore[arg-type]

    def migrate(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "scrapeflow.cli", "migrate"],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"migration failed ({self.name}):\n{done.stdout}\n{done.stderr[-3000:]}")

    def start_worker(self, concurrency: int = 1) -> str:
        """One `scrapeflow worker -c N` (a Celery main process and N pool processes), on every queue."""
        node = f"bench{len(self.workers) + 1}@{socket.gethostname()}"
        with (self.logs / f"worker-{len(self.workers) + 1}.log").open("wb") as output:
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "scrapeflow.cli", "worker", "-c", str(concurrency), "-n", node],
                    cwd=REPO_ROOT,
                    env=self.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: the pool process goes with it
                )
            )
        return node

    def wait_workers(self, nodes: list[str], timeout: float = 120.0) -> None:
        """Until every worker stamped its heartbeat (it does so once it consumes its queues)."""
        from scrapeflow.observability.heartbeats import last_heartbeat

        settings = self.settings()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for worker in self.workers:
                if worker.poll() is not None:
                    raise BenchError(f"a worker exited with {worker.returncode}:\n{self.output()}")
            if all(last_heartbeat(settings, node, "scraping") for node in nodes):
                return
            time.sleep(0.2)
        raise BenchError(f"workers {nodes} were not ready within {timeout:g} s:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        groups = {worker.pid for worker in self.workers if worker.poll() is None}
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
                    if int(fields[2]) in groups:
                        pids.append(int(entry))
        return pids

    def pool_pids(self) -> list[int]:
        """The pool processes, which run the tasks (children of the workers' main processes)."""
        mains = {worker.pid for worker in self.workers}
        pool = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                if int(fields[1]) in mains:
                    pool.append(pid)
        return pool

    def workers_cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.worker_pids())

    def stop_workers(self) -> None:
        stop_groups(self.workers, grace=30)
        self.workers.clear()

    def output(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.logs.glob("*.log")))


@contextlib.asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real application (its own sessions and commits, its Celery dispatcher) in this process."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local", timeout=60) as client:
            yield client


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:1000]}")
    return response.json()


async def sign_up(api: httpx.AsyncClient) -> dict[str, str]:
    credentials = {"email": f"bench-{uuid.uuid4().hex[:10]}@example.com", "password": "bench " + uuid.uuid4().hex}
    expect(await api.post("/api/v1/auth/register", json=credentials), 201, "register")
    token = expect(await api.post("/api/v1/auth/login", json=credentials), 200, "login")["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def create_bot(api: httpx.AsyncClient, headers: dict[str, str], name: str, workflow: dict[str, Any]) -> str:
    body = {"name": name, "workflow_json": workflow}
    return str(expect(await api.post("/api/v1/bots", json=body, headers=headers), 201, "create bot")["id"])


async def execute(api: httpx.AsyncClient, headers: dict[str, str], bot_id: str) -> str:
    return str(expect(await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers), 202, "execute")["id"])


async def wait_finished(
    api: httpx.AsyncClient, headers: dict[str, str], execution_id: str, every: float, within: float, dep: Deployment
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = expect(
            await api.get(f"/api/v1/executions/{execution_id}", headers=headers), 200, "get execution"
        )
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise BenchError(f"execution {execution_id} still {body['status']}/{body['stage']}:\n{dep.output()}")
        await asyncio.sleep(every)


def epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def stage_seconds(execution: dict[str, Any]) -> dict[str, float]:
    timings = execution.get("stage_timings") or {}
    return {stage: float(timings[stage].get("seconds", 0.0)) for stage in STAGES if stage in timings}


# -- CPU accounting ---------------------------------------------------------------------------------------------


def postgres_pids(database: str | None) -> list[int]:
    if database is None:
        return []
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    except psycopg.Error:
        return []
    return [int(row[0]) for row in rows]


def redis_cpu_seconds() -> float:
    try:
        client = redis.Redis.from_url(REDIS_URL)
        info = client.info("cpu")
        client.close()
    except redis.RedisError:
        return 0.0
    return float(info.get("used_cpu_sys", 0.0)) + float(info.get("used_cpu_user", 0.0))


def machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds of each party during a run: workers, this process (API + client), nginx, PostgreSQL, Redis."""

    def __init__(self, dep: Deployment, nginx: Nginx, database: str | None) -> None:
        self.dep, self.nginx, self.database = dep, nginx, database
        self.started: dict[str, float] = {}
        self.pg_started: dict[int, float] = {}

    def _now(self) -> dict[str, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "workers": self.dep.workers_cpu_seconds(),
            "api_and_client": own.ru_utime + own.ru_stime,
            "nginx": self.nginx.cpu_seconds(),
            "redis": redis_cpu_seconds() if self.dep.redis_url else 0.0,
            "machine": machine_busy_seconds(),
        }

    def start(self) -> None:
        self.started = self._now()
        self.pg_started = {pid: process_cpu_seconds(pid) for pid in postgres_pids(self.database)}

    def stop(self) -> dict[str, float]:
        now = self._now()
        used = {name: round(now[name] - self.started[name], 2) for name in now}
        # Backends that connected during the run started from zero.
        used["postgres"] = round(
            sum(process_cpu_seconds(pid) - self.pg_started.get(pid, 0.0) for pid in postgres_pids(self.database)), 2
        )
        used["others"] = round(max(0.0, used["machine"] - sum(v for k, v in used.items() if k != "machine")), 2)
        return used


async def warm_up(api: httpx.AsyncClient, headers: dict[str, str], dep: Deployment, bot_id: str, count: int) -> None:
    """A few executions one after the other, so worker processes open their connections before measuring.
    (Not at once: two pool processes writing to SQLite together can fail with `database is locked`.)"""
    for _ in range(count):
        execution_id = await execute(api, headers, bot_id)
        execution = await wait_finished(api, headers, execution_id, 0.05, 120, dep)
        if execution["status"] != "succeeded":
            raise BenchError(f"warm-up execution {execution['status']}: {execution['error_message']}\n{dep.output()}")


def flush_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@contextlib.contextmanager
def scale_out(work: Path, *, concurrency: int, batch_size: int) -> Iterator[tuple[Deployment, str]]:
    """A fresh PostgreSQL database (migrated) and the benchmark's Redis database (flushed), with no worker yet;
    the deployment and the database's name. Workers are stopped, the database dropped and Redis flushed after."""
    database = f"scrapeflow_bench_pipeline_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create_database(database)
    flush_redis()
    dep = Deployment(
        "redis",
        work,
        database_url=f"{PG_BASE_URL}/{database}",
        redis_url=REDIS_URL,
        concurrency=concurrency,
        batch_size=batch_size,
    )
    try:
        log(f"scale-out: PostgreSQL database {database}, Redis {REDIS_URL}; migrating")
        dep.migrate()
        yield dep, database
    finally:
        dep.stop_workers()
        with contextlib.suppress(psycopg.Error):
            drop_database(database)
        with contextlib.suppress(redis.RedisError):
            flush_redis()
