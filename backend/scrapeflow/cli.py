"""The `scrapeflow` command: run everything, or each service on its own."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import click
import uvicorn

from scrapeflow.config import get_settings
from scrapeflow.pipeline.celery_app import QUEUES

REPO_ROOT = Path(__file__).resolve().parents[2]


def migrate_database() -> None:
    from alembic.config import Config

    from alembic import command

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def _serve(host: str, port: int, workers: int, reload: bool = False) -> None:
    uvicorn.run(
        "scrapeflow.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=None,
    )


@click.group(help="ScrapeFlow: no-code web-scraping bots.")
def main() -> None:
    pass


@main.command(help="Upgrade the database to the latest schema.")
def migrate() -> None:
    migrate_database()
    click.echo("Database is up to date.")


@main.command(help="Run everything on this machine (migrations, API, a worker on every queue, beat), no configuration.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    migrate_database()
    command = [sys.executable, "-m", "scrapeflow.cli"]
    children = [
        subprocess.Popen([*command, "worker"]),  # noqa: S603 - our own command
        subprocess.Popen([*command, "beat"]),  # noqa: S603
    ]
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
def beat() -> None:
    settings = get_settings()
    schedule = settings.data_dir.resolve() / "celerybeat-schedule"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _celery(["beat", "--loglevel", settings.log_level, "--schedule", str(schedule)])


@main.command(help="Run the HTTP API.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def api(host: str, port: int, workers: int, reload: bool) -> None:
    _serve(host, port, workers, reload)


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
