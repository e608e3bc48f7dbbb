"""The async engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with full synchronous commits (nothing acknowledged is lost), foreign
keys on, and every transaction started with ``BEGIN IMMEDIATE`` so that two processes never
fail half-way through a read-then-write transaction; a busy timeout makes writers queue.

PostgreSQL gets ``pool_size`` connections per process, kept open. They are checked before the
pool hands them out, as ``pool_pre_ping`` would, but in one round trip (:func:`_ping`) instead
of asyncpg's three, and a connection that fails the check is replaced, so the first requests
after a server restart get fresh connections. A request that only reads, one statement at a
time, can read on a bare connection without ``BEGIN`` and ``COMMIT`` (:func:`reading`).
"""

from __future__ import annotations

__all__ = ["create_engine", "reading", "session_factory"]

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from infra.settings import DatabaseSettings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the engine for ``settings.url``; for SQLite, create its directory first."""
    if settings.is_sqlite:
        return _sqlite_engine(settings)
    engine = _create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        # No overflow: the pool closes an overflow connection when it comes back to a full
        # pool, so that a burst of requests opened and closed connections all the time (at 32
        # concurrent verifications, one new connection per 27 requests); beyond pool_size,
        # requests wait for a connection instead.
        max_overflow=0,
    )
    event.listen(engine.sync_engine, "checkout", _ping)
    return engine


def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Check a pooled connection before it is handed out: ``SELECT 1`` in the simple query
    protocol, one round trip.

    ``pool_pre_ping`` does the same with asyncpg in three (``BEGIN``, ``;``, ``ROLLBACK``: a
    prepared statement needs a transaction behind pgbouncer; the simple protocol prepares
    nothing). :class:`DisconnectionError` makes the pool replace the connection and check the
    new one, up to three times, as it does for a failed pre-ping. (asyncpg cannot read the
    answer to an empty statement, ``;``, in the simple protocol.)
    """
    try:
        dbapi_connection.run_async(lambda connection: connection.execute("SELECT 1"))
    except Exception as error:
        raise DisconnectionError(f"connection failed its check: {error!r}") from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a request that only reads, each statement on its own.

    On PostgreSQL it is in autocommit: no ``BEGIN`` and ``COMMIT`` round trips, and each
    statement sees the database as of its start, as it would inside a transaction of its own.
    It is for reads only: a write would be kept at once, outside any transaction. A bare
    connection, not a session: a read of a few columns needs no identity map, and the ORM's
    bookkeeping would cost more than the statement. On SQLite, whose connections begin their
    transactions themselves (``BEGIN IMMEDIATE``), it is an ordinary connection.
    """
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


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
