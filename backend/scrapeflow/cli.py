"""The `scrapeflow` command: run everything, or each service on its own."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import uvicorn

from scrapeflow.config import get_settings
from scrapeflow.observability.queues import QUEUES

REPO_ROOT = Path(__file__).resolve().parents[2]
FRONTEND = REPO_ROOT / "frontend"


def migrate_database() -> None:
    from alembic.config import Config

    from alembic import command

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def _serve(host: str, port: int, workers: int, reload: bool = False) -> None:
    # The web app proxies every browser request, so the API sees its address; it believes the client address
    # in X-Forwarded-For only from FORWARDED_ALLOW_IPS (per-IP limits would otherwise count everyone as one).
    uvicorn.run(
        "scrapeflow.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_config=None,
    )


@click.group(help="ScrapeFlow: no-code web-scraping bots.")
def main() -> None:
    pass


@main.command(help="Upgrade the database to the latest schema.")
def migrate() -> None:
    migrate_database()
    click.echo("Database is up to date.")


@main.command("wait-db", help="Wait until the database accepts connections (for container start-up).")
@click.option("--timeout", default=60.0, show_default=True, type=float, help="Give up after this many seconds.")
def wait_db(timeout: float) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from scrapeflow.db import create_engine

    async def wait() -> str | None:
        """None once `SELECT 1` succeeds, else the last error when the time is up."""
        engine = create_engine(get_settings())
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    async with asyncio.timeout(max(deadline - time.monotonic(), 0.1)):
                        async with engine.connect() as connection:
                            await connection.execute(text("SELECT 1"))
                    return None
                except (DBAPIError, OSError, TimeoutError) as exc:
                    error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if time.monotonic() >= deadline:
                    return error
                await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
        finally:
            await engine.dispose()

    error = asyncio.run(wait())
    if error is not None:
        raise click.ClickException(f"The database did not answer within {timeout:g} s: {error}")
    click.echo("The database is reachable.")


@main.command("heartbeat-check", help="Exit 0 if NAME stamped a heartbeat on the queue recently (container health).")
@click.argument("name")
@click.option("--queue", required=True, help="The queue the heartbeat is stamped on (`beat` for beat).")
@click.option("--within", default=None, type=float, help="Seconds a heartbeat stays fresh.  [default: 30]")
def heartbeat_check(name: str, queue: str, within: float | None) -> None:
    from scrapeflow.observability.heartbeats import STALE_AFTER_SECONDS, last_heartbeat

    seen = last_heartbeat(get_settings(), name.replace("%h", socket.gethostname()), queue)
    if seen is None:
        raise click.ClickException(f"No heartbeat from {name} on {queue}.")
    age = time.time() - seen
    if age > (within or STALE_AFTER_SECONDS):
        raise click.ClickException(f"The last heartbeat from {name} on {queue} is {age:.0f} s old.")
    click.echo(f"{name} is alive (heartbeat {age:.0f} s ago).")


@main.command(help="Run everything on this machine (migrations, API, web app, a worker on every queue, beat).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--web-port", type=int, default=None, help="The web app's port.  [default: WEB_PORT, 3000]")
def run(host: str, port: int, web_port: int | None) -> None:
    migrate_database()
    command = [sys.executable, "-m", "scrapeflow.cli"]
    children = [
        subprocess.Popen([*command, "worker"], preexec_fn=_end_with_parent),  # noqa: S603 - our own command
        subprocess.Popen([*command, "beat"], preexec_fn=_end_with_parent),  # noqa: S603
    ]
    web_port = web_port or get_settings().web_port
    web = web_app_command(host, web_port)
    if isinstance(web, str):
        click.echo(f"The web app is not started: {web}.", err=True)
    else:
        environment = os.environ | {"SCRAPEFLOW_API_URL": _api_url(host, port), "NEXT_TELEMETRY_DISABLED": "1"}
        children.append(subprocess.Popen(web, cwd=FRONTEND, env=environment, preexec_fn=_end_with_parent))  # noqa: S603
        click.echo(f"ScrapeFlow web app on http://{_browsable(host)}:{web_port}")
    click.echo(f"ScrapeFlow API on http://{host}:{port} (docs at /docs); a worker and beat run alongside")
    try:
        _serve(host, port, workers=1)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


def web_app_command(host: str, port: int) -> list[str] | str:
    """`next start` on the web app's production build (through the preload that records each request's real
    client address), or why it cannot run."""
    node = shutil.which("node")
    next_cli = FRONTEND / "node_modules" / "next" / "dist" / "bin" / "next"
    if node is None:
        return "Node.js (20 or later) is not installed; the API alone is served"
    if not next_cli.is_file() or not (FRONTEND / ".next" / "BUILD_ID").is_file():
        return "it is not built; run scripts/bootstrap (or `npm install && npm run build` in frontend/)"
    preload = (FRONTEND / "server" / "forwarded-for.mjs").as_uri()
    return [node, "--import", preload, str(next_cli), "start", "--port", str(port), "--hostname", host]


def _browsable(host: str) -> str:
    """An address to connect to for one the server listens on (every interface means this machine too)."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - not binding, connecting
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _api_url(host: str, port: int) -> str:
    return f"http://{_browsable(host)}:{port}"


def _end_with_parent() -> None:
    """In the child, before exec: get SIGTERM when `scrapeflow run` ends, however it ends (uvicorn re-raises
    the signal that stopped it, so the parent's own clean-up may never run). Linux only; elsewhere the
    parent's clean-up below is what stops them."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _celery(arguments: list[str]) -> None:
    from scrapeflow.pipeline.celery_app import app, broker_folders

    settings = get_settings()
    if not settings.redis_url:
        for folder in broker_folders(settings).values():
            folder.mkdir(parents=True, exist_ok=True)
    app.start(arguments)


@main.command(help="Run a Celery worker: every queue unless -Q names some (scraping, llm, export, default).")
@click.option("-Q", "--queues", default=",".join(QUEUES), show_default=True, help="Comma-separated queue names.")
@click.option("-c", "--concurrency", type=int, default=None, help="Worker processes (default: one per core).")
@click.option("-n", "--hostname", default=None, help="Node name, e.g. scraping@%h.")
def worker(queues: str, concurrency: int | None, hostname: str | None) -> None:
    unknown = {name.strip() for name in queues.split(",")} - set(QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {sorted(unknown)}; the queues are {', '.join(QUEUES)}")
    arguments = ["worker", "-Q", queues, "--loglevel", get_settings().log_level]
    if concurrency:
        arguments += ["--concurrency", str(concurrency)]
    if hostname:
        arguments += ["--hostname", hostname]
    _celery(arguments)


@main.command(help="Run the scheduler (cron schedules, the watchdog, retention and monthly usage resets).")
@click.option("--schedule", "state", default=None, help="Beat's state file (default: $DATA_DIR/celerybeat-schedule).")
def beat(state: str | None) -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = state or str(settings.data_dir.resolve() / "celerybeat-schedule")
    _celery(["beat", "--loglevel", settings.log_level, "--schedule", path])


@main.command(help="Run the HTTP API.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def api(host: str, port: int, workers: int, reload: bool) -> None:
    _serve(host, port, workers, reload)


@main.command(help="Print the API's OpenAPI document (the web app's typed client is generated from it).")
def openapi() -> None:
    from scrapeflow.main import create_app

    click.echo(json.dumps(create_app().openapi(), indent=2, sort_keys=True))


@main.command("create-user", help="Create a user (with a personal organization) from the command line.")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None)
def create_user(email: str, password: str, name: str | None) -> None:
    from pydantic import ValidationError

    from scrapeflow.auth import service as auth_service
    from scrapeflow.auth.schemas import UserRegister
    from scrapeflow.db import create_engine, create_sessionmaker, session_scope
    from scrapeflow.kit.errors import AppError

    try:
        body = UserRegister(email=email, password=password, name=name)
    except ValidationError as exc:
        raise click.UsageError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc

    async def create() -> str:
        engine = create_engine(get_settings())
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                user = await auth_service.create_user(session, email=body.email, password=body.password, name=body.name)
                return str(user.id)
        finally:
            await engine.dispose()

    try:
        user_id = asyncio.run(create())
    except AppError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created user {body.email} ({user_id}).")


if __name__ == "__main__":
    main()
