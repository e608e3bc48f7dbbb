"""Run and inspect migrations from code: ``vergabe db upgrade`` and the start-up check.

The embedded default migrates itself on ``vergabe run``; the production commands call
:func:`status` and refuse to start unless the database is at the head revision.
"""

from __future__ import annotations

__all__ = ["MigrationStatus", "head_revision", "make_revision", "status", "upgrade"]

import functools
from pathlib import Path

import msgspec
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class MigrationStatus(msgspec.Struct, frozen=True):
    """Where the database stands against the code's migrations."""

    current: str | None
    """Revision the database is at (``None``: never migrated)."""
    head: str
    """Newest revision the code knows."""

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction."""

    def _run(connection: Connection) -> None:
        command.upgrade(_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)


@functools.cache
def head_revision() -> str:
    """The newest revision the code knows (read once per process)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


async def status(engine: AsyncEngine) -> MigrationStatus:
    """The current and the head revision."""
    head = head_revision()

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return MigrationStatus(current=current, head=head)


async def make_revision(engine: AsyncEngine, message: str) -> None:
    """Autogenerate a new revision against ``engine`` (developer tool)."""

    def _run(connection: Connection) -> None:
        command.revision(_config(connection), message=message, autogenerate=True)

    async with engine.begin() as connection:
        await connection.run_sync(_run)
