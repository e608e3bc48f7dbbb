"""Migration 0008, the register's indexes: up and down on a database of its own (SQLite, or
PostgreSQL when the suite runs there), and on PostgreSQL a role that may not create ``pg_trgm``
still migrates, without the trigram indexes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infra.db import migrate
from infra.db.engine import create_engine
from infra.settings import DatabaseSettings

TRIGRAM = {"ix_organisations_legal_name_trgm", "ix_organisations_city_trgm"}
EVENTS_BY_TIME = "ix_pq_certificate_events_certificate_id_at"
EVENTS_OLD = "ix_pq_certificate_events_certificate_id"


async def _fresh_database(
    server: str | None, directory: Path, *, owner: str | None = None
) -> AsyncIterator[str]:
    if not server:
        yield f"sqlite+aiosqlite:///{directory / 'migrations.sqlite3'}"
        return
    url = make_url(server)
    name = f"vergabe_m{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        if owner is None:
            yield url.set(database=name).render_as_string(hide_password=False)
        else:  # may create tables in the public schema, but not extensions in the database
            schema_admin = create_async_engine(url.set(database=name), isolation_level="AUTOCOMMIT")
            async with schema_admin.connect() as connection:
                await connection.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
                await connection.execute(text(f'GRANT ALL ON SCHEMA public TO "{owner}"'))
            await schema_admin.dispose()
            yield url.set(database=name, username=owner).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if owner is not None:
                await connection.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
        await admin.dispose()


@pytest.fixture
async def fresh_engine(tmp_path: Path, database_server: str | None) -> AsyncIterator[AsyncEngine]:
    async for url in _fresh_database(database_server, tmp_path):
        engine = create_engine(DatabaseSettings(url=url))
        yield engine
        await engine.dispose()


async def _indexes(engine: AsyncEngine, table: str) -> set[str]:
    def names(connection: Connection) -> set[str]:
        if connection.dialect.name == "postgresql":  # the trigram ones are expressions
            found = connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = :table"), {"table": table}
            )
            return set(found.scalars())
        return {index["name"] for index in inspect(connection).get_indexes(table) if index["name"]}

    async with engine.connect() as connection:
        return await connection.run_sync(names)


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(migrate._config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def _has_trigram(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        )
    return found is not None


class TestRegisterSearchIndexes:
    async def test_upgrade_creates_them_and_downgrade_restores_0007(
        self, fresh_engine: AsyncEngine
    ) -> None:
        # When
        await migrate.upgrade(fresh_engine)

        # Then
        organisations = await _indexes(fresh_engine, "organisations")
        assert "ix_organisations_postal_code" in organisations
        if fresh_engine.dialect.name == "postgresql":
            assert organisations >= TRIGRAM
        else:
            assert not (TRIGRAM & organisations)
        events = await _indexes(fresh_engine, "pq_certificate_events")
        assert EVENTS_BY_TIME in events
        assert EVENTS_OLD not in events

        # When it goes down to 0007 and up again
        await _downgrade(fresh_engine, "0007")

        # Then 0007's indexes are back, and 0008's gone
        organisations = await _indexes(fresh_engine, "organisations")
        assert not ({"ix_organisations_postal_code", *TRIGRAM} & organisations)
        events = await _indexes(fresh_engine, "pq_certificate_events")
        assert EVENTS_OLD in events
        assert EVENTS_BY_TIME not in events
        await migrate.upgrade(fresh_engine)
        assert (await migrate.status(fresh_engine)).is_current
        assert "ix_organisations_postal_code" in await _indexes(fresh_engine, "organisations")

    @pytest.mark.postgresql
    async def test_a_role_that_may_not_create_pg_trgm_migrates_without_trigram_indexes(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture, database_server: str | None
    ) -> None:
        # Given a database whose role may create tables but not extensions
        role = f"vergabe_r{uuid.uuid4().hex[:10]}"
        async for url in _fresh_database(database_server, tmp_path, owner=role):
            engine = create_engine(DatabaseSettings(url=url))
            try:
                # When
                with caplog.at_level(logging.WARNING, logger="vergabe.db"):
                    await migrate.upgrade(engine)

                # Then it is at head, with the b-trees and without the trigram indexes
                assert (await migrate.status(engine)).is_current
                organisations = await _indexes(engine, "organisations")
                assert "ix_organisations_postal_code" in organisations
                assert not (TRIGRAM & organisations)
                assert not await _has_trigram(engine)
                assert "cannot create the extension pg_trgm" in caplog.text
            finally:
                await engine.dispose()
