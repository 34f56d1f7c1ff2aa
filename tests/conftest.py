"""Test fixtures: a real database per backend (SQLite and PostgreSQL), migrated once per run,
and each test inside a transaction that is rolled back at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from scrapeflow.cli import migrate_database
from scrapeflow.config import Environment, Settings, get_settings
from scrapeflow.db import create_engine, forget_changes, get_session, publish_changes
from scrapeflow.main import create_app
from tests.site.app import SiteApp, create_site
from tests.site.server import serve_site

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def make_settings(tmp: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.test,
        "data_dir": tmp,
        "database_url": database_url,
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
        "public_url": "http://localhost:8000",
        "redis_url": "",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def migrate(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the real `scrapeflow migrate` code path against the given settings."""
    get_settings.cache_clear()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    try:
        migrate_database()
    finally:
        get_settings.cache_clear()


class PostgresDatabases:
    """Creates throwaway databases on the local server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self) -> str:
        name = f"sf_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            for name in self.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    yield databases
    databases.drop_all()


def new_database_url(backend: str, tmp: Path, postgres_databases: PostgresDatabases) -> str:
    if backend == "sqlite":
        return f"sqlite:///{(tmp / f'{uuid.uuid4().hex}.db').as_posix()}"
    return postgres_databases.create()


@pytest.fixture(scope="session", params=BACKENDS)
def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> Settings:
    tmp = tmp_path_factory.mktemp(request.param)
    configured = make_settings(tmp, new_database_url(request.param, tmp, postgres_databases))
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(configured, monkeypatch)
    return configured


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """The test's session; everything it writes is rolled back when the test ends."""
    async with AsyncSession(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


@asynccontextmanager
async def build_app(settings: Settings, session: AsyncSession) -> AsyncIterator[FastAPI]:
    """The real application; each request runs in a savepoint of the test's transaction,
    released on success and rolled back on error, exactly like the production unit of work."""
    application = create_app(settings)

    async def request_session() -> AsyncIterator[AsyncSession]:
        savepoint = await session.begin_nested()
        try:
            yield session
        except Exception as exc:
            if getattr(exc, "keep_changes", False):
                await savepoint.commit()
                await publish_changes(application.state.stamps, session)
            else:
                await savepoint.rollback()
                forget_changes(session)
            raise
        else:
            await savepoint.commit()
            await publish_changes(application.state.stamps, session)

    application.dependency_overrides[get_session] = request_session
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def app(settings: Settings, session: AsyncSession) -> AsyncIterator[FastAPI]:
    async with build_app(settings, session) as application:
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        yield client


SHOP_SIZE = 120


@pytest.fixture(scope="session")
def shop_app() -> SiteApp:
    """The test shop (a small catalogue) that engine tests crawl."""
    return create_site(size=SHOP_SIZE)


@pytest.fixture(scope="session")
def shop(shop_app: SiteApp) -> Iterator[str]:
    """The test shop's base URL on a real socket."""
    with serve_site(shop_app) as base_url:
        yield base_url
