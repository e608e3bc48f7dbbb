"""The HTTP edge: middleware, health probes and the request's database session."""

from __future__ import annotations

__all__ = ["DbSession"]

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

DbSession = NamedDependency[AsyncSession]
"""The request's database session (committed before the response is sent)."""
