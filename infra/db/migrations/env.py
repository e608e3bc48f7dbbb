"""Alembic environment: runs on the connection handed in by :mod:`infra.db.migrate`."""

from __future__ import annotations

from alembic import context

from infra.db.base import Base, in_models

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=in_models,
)
with context.begin_transaction():
    context.run_migrations()
