"""The engine (infra/db/engine.py): on PostgreSQL a pooled connection is checked in one round
trip before it is handed out and replaced when the server dropped it (as after a restart), and
a read on :func:`reading` goes without ``BEGIN`` and ``COMMIT``; on SQLite :func:`reading` is
an ordinary connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engine, reading, session_factory
from infra.settings import Settings


@pytest.fixture
async def own_engine(settings: Settings, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own on the suite's (migrated) database: its pool starts empty."""
    own = create_engine(settings.database)
    yield own
    await own.dispose()


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)
    """Through SQLAlchemy's cursors (prepared by asyncpg)."""
    other: list[str] = field(default_factory=list)
    """asyncpg's own: ``BEGIN``, ``COMMIT`` and the check (its query logger)."""


@asynccontextmanager
async def round_trips(engine: AsyncEngine) -> AsyncIterator[Sent]:
    """What the engine's connections send while the block runs."""
    sent = Sent()
    attached: list[Any] = []

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        sent.statements.append(text)

    def log(record: Any) -> None:
        sent.other.append(" ".join(record.query.split()))

    def attach(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)
        attached.append(dbapi_connection.driver_connection)

    event.listen(engine.sync_engine, "checkout", attach, insert=True)
    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "checkout", attach)
        event.remove(engine.sync_engine, "before_cursor_execute", statement)
        await asyncio.sleep(0.05)  # asyncpg calls its loggers soon after a query, not at once
        for connection in attached:
            connection.remove_query_logger(log)


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


@pytest.mark.postgresql
class TestCheckBeforeUse:
    async def test_a_connection_the_server_dropped_is_replaced_before_use(
        self, own_engine: AsyncEngine, engine: AsyncEngine
    ) -> None:
        # Given a pooled connection whose backend the server ends (as a restart would)
        assert own_engine.dialect.name == "postgresql"
        dropped = await _backend(own_engine)
        async with engine.connect() as admin:
            assert await admin.scalar(text(f"SELECT pg_terminate_backend({dropped})"))

        # When the pool hands out a connection again, Then it works, on a new backend
        assert await _backend(own_engine) != dropped

    async def test_the_check_is_one_round_trip_and_a_read_has_no_transaction(
        self, own_engine: AsyncEngine
    ) -> None:
        assert own_engine.dialect.name == "postgresql"
        await _backend(own_engine)  # the pool holds a connection

        async with round_trips(own_engine) as read, reading(own_engine) as connection:
            await connection.scalar(text("SELECT 41 + 1"))
        sessions = session_factory(own_engine)
        async with round_trips(own_engine) as in_session, sessions() as session, session.begin():
            await session.scalar(text("SELECT 41 + 1"))

        assert (read.other, read.statements) == (["SELECT 1"], ["SELECT 41 + 1"])
        check, begin, commit = in_session.other
        assert (check, begin.split()[0], commit) == ("SELECT 1", "BEGIN", "COMMIT;")
        assert in_session.statements == ["SELECT 41 + 1"]


class TestReading:
    async def test_reads_on_either_database(self, own_engine: AsyncEngine) -> None:
        async with reading(own_engine) as connection:
            assert await connection.scalar(text("SELECT 41 + 1")) == 42
