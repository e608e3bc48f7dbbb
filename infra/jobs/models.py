"""The outbox table: one row per job, written in the transaction of the change that wants it."""

from __future__ import annotations

__all__ = ["Job", "JobState"]

import enum
import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime


class JobState(enum.StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    """Waiting for ``run_at`` (also after a failed attempt, until its backoff has passed)."""
    QUEUED = "queued"
    """Released to the broker; not yet claimed by a worker."""
    RUNNING = "running"
    """Claimed by a worker holding a lease."""
    DONE = "done"
    FAILED = "failed"
    """All attempts used up; listed by ``vergabe jobs failed``."""
    CANCELLED = "cancelled"


class Job(Base):
    """A unit of work for an actor, released by the scheduler when due."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    actor: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    """The actor's arguments as JSON (a msgspec struct, ids rather than objects)."""
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """A second job with the same key is not created; also the handle to move or cancel it."""
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
