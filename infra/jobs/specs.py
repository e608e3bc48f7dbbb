"""How an actor is declared: a name, a payload type and one async function.

Actors are plain data (:class:`ActorSpec`), listed explicitly by ``workers`` and bound to a
broker by :func:`infra.jobs.broker.build_broker`; nothing registers itself at import time.
"""

from __future__ import annotations

__all__ = ["ActorSpec", "JobContext"]

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.settings import Settings

PayloadT = TypeVar("PayloadT", bound=msgspec.Struct)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What an actor function is handed besides its payload."""

    session: AsyncSession
    """Session in the job's transaction; it commits together with marking the job done."""
    clock: Clock
    settings: Settings
    job_id: uuid.UUID
    attempt: int
    """1 for the first attempt."""


@dataclass(frozen=True, slots=True)
class ActorSpec(Generic[PayloadT]):
    """An actor: idempotent, takes ids, loads and calls one service function."""

    name: str
    """Actor name used by ``outbox.enqueue`` (``area.verb``)."""
    payload_type: type[PayloadT]
    fn: Callable[[JobContext, PayloadT], Awaitable[Any]]
    queue: str = "default"
