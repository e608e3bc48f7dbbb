"""The async engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with full synchronous commits (nothing acknowledged is lost), foreign
keys on, and every transaction started with ``BEGIN IMMEDIATE`` so that two processes never
fail half-way through a read-then-write transaction; a busy timeout makes writers queue.
"""

from __future__ import annotations

__all__ = ["create_engine", "session_factory"]

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from infra.settings import DatabaseSettings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the engine for ``settings.url``; for SQLite, create its directory first."""
    if settings.is_sqlite:
        return _sqlite_engine(settings)
    return _create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(settings: DatabaseSettings) -> AsyncEngine:
    path = settings.url.split(":///", 1)[1] if ":///" in settings.url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = _create_async_engine(
        settings.url,
        echo=settings.echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
