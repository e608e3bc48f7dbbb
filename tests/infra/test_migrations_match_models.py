"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import infra.app  # noqa: F401 - imports every model of the platform
from infra.db.base import Base, in_models


class TestMigrationsMatchModels:
    async def test_autogenerate_finds_nothing_to_change(self, engine: AsyncEngine) -> None:
        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": in_models}
            )
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
        assert differences == []
