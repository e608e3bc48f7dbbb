"""Migrations run from code: status before and after, and an upgrade that can be repeated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import migrate
from infra.db.base import Base
from infra.db.engine import create_engine
from infra.settings import DatabaseSettings


@pytest.fixture
async def fresh_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a new SQLite file that was never migrated."""
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"))
    yield engine
    await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


class TestStatus:
    async def test_given_a_fresh_database_then_no_current_revision(
        self, fresh_engine: AsyncEngine
    ) -> None:
        state = await migrate.status(fresh_engine)

        assert state.current is None
        assert state.head
        assert not state.is_current

    async def test_given_the_suites_database_then_it_is_at_head(self, engine: AsyncEngine) -> None:
        # The session's engine (SQLite or PostgreSQL) was migrated by the fixture.
        state = await migrate.status(engine)

        assert state.current == state.head
        assert state.is_current


class TestUpgrade:
    async def test_given_a_fresh_database_then_it_reaches_head_with_every_table(
        self, fresh_engine: AsyncEngine
    ) -> None:
        # When
        await migrate.upgrade(fresh_engine)

        # Then
        state = await migrate.status(fresh_engine)
        assert state.is_current
        assert set(Base.metadata.tables) <= await _tables(fresh_engine)

    async def test_given_an_upgraded_database_then_upgrading_again_changes_nothing(
        self, fresh_engine: AsyncEngine
    ) -> None:
        await migrate.upgrade(fresh_engine)
        tables = await _tables(fresh_engine)

        await migrate.upgrade(fresh_engine)

        assert (await migrate.status(fresh_engine)).is_current
        assert await _tables(fresh_engine) == tables

    async def test_given_the_suites_database_then_upgrading_again_keeps_it_at_head(
        self, engine: AsyncEngine
    ) -> None:
        await migrate.upgrade(engine)

        assert (await migrate.status(engine)).is_current
