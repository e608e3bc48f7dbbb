"""Database access: the engine, sessions, the declarative base and migrations."""

from __future__ import annotations

__all__ = ["Base", "UTCDateTime", "create_engine", "session_factory"]

from infra.db.base import Base, UTCDateTime
from infra.db.engine import create_engine, session_factory
