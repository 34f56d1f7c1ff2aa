"""Database engine, session factory and the declarative base."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from scrapeflow.config import Settings
from scrapeflow.kit.errors import AppError
from scrapeflow.kit.stamps import Stamps, take_changed

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def configure_sqlite(engine: Engine, *, immediate: bool = False) -> None:
    """Let pysqlite use real transactions (SAVEPOINT included) and concurrent readers.

    `immediate` takes the write lock when a transaction begins (workers, whose transactions write): a
    deferred transaction that reads, then writes after another process committed, fails at once with
    "database is locked" instead of waiting for `busy_timeout`.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(settings: Settings, *, writer: bool = False, **kwargs: Any) -> AsyncEngine:
    """The application's engine; `writer` for processes whose transactions all write (workers)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        configure_sqlite(engine.sync_engine, immediate=writer)
        return engine
    options: dict[str, Any] = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
    options.update(kwargs)
    return create_async_engine(url, **options)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once before the response is sent, or rolled back.

    An `AppError` with `keep_changes` (e.g. revoking a reused refresh token family) still
    commits what the service wrote before raising. After a commit, the change stamps the
    services marked are renewed (kit/stamps.py).
    """
    reads_only = request.method in {"GET", "HEAD", "OPTIONS"}
    factory: async_sessionmaker[AsyncSession] = (
        request.app.state.sessionmaker if reads_only else request.app.state.write_sessionmaker
    )
    # Not `async with factory()`: its exit shields `close()` in a new task, an extra trip through a busy
    # event loop on every request (p99 went from ~18 ms to ~170 ms under load).
    session = factory()
    try:
        try:
            yield session
        except AppError as exc:
            if not exc.keep_changes:
                await session.rollback()
                raise
            await session.commit()
            await publish_changes(request.app.state.stamps, session)
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            await publish_changes(request.app.state.stamps, session)
    finally:
        await session.close()


_AFTER_COMMIT = "scrapeflow.after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once the request's unit of work has committed (e.g. enqueue a task for a new row)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def publish_changes(stamps: Stamps | None, session: AsyncSession) -> None:
    """After a commit: renew the change stamps its writes marked, so every process sees them at once, then run
    the callbacks registered with `after_commit`."""
    changed = take_changed(session)
    if changed and stamps is not None:
        await stamps.renew(changed)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        await callback()


def forget_changes(session: AsyncSession) -> None:
    """After a rollback: what was marked or registered goes with the changes."""
    take_changed(session)
    session.info.pop(_AFTER_COMMIT, None)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """For responses that outlive the request's unit of work (streams): each read opens its own session."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return factory


SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
