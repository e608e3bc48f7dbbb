"""The declarative base every model derives from, and the column types shared by all domains.

Constraint names follow one convention so that Alembic migrations name them the same way on
SQLite and PostgreSQL. :class:`UTCDateTime` stores instants in UTC and always hands back aware
datetimes, also on SQLite, which has no time-zone type of its own.
"""

from __future__ import annotations

__all__ = ["Base", "UTCDateTime", "in_models", "made_outside_models"]

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes, stores UTC, returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of all models; its metadata is what migrations compare against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_OUTSIDE_MODELS: dict[str, set[str]] = {"table": set(), "column": set(), "index": set()}


def made_outside_models(type_: str, *prefixes: str) -> None:
    """Declare schema objects a domain's migrations make that its models do not describe
    (a full-text table, a generated column): ``type_`` is ``table``, ``column`` (named
    ``table.column``) or ``index``; names match by their beginning. Autogenerate leaves them
    alone."""
    _OUTSIDE_MODELS[type_].update(prefixes)


def in_models(name: str | None, type_: str, parents: Mapping[Any, Any]) -> bool:
    """Alembic's ``include_name`` hook: whether autogenerate compares this object."""
    if name is None:
        return True
    qualified = f"{parents.get('table_name')}.{name}" if type_ == "column" else name
    return not qualified.startswith(tuple(_OUTSIDE_MODELS.get(type_, ())))
