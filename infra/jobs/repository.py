"""All SQL on the outbox table.

Every state change is one conditional ``UPDATE`` whose ``WHERE`` states what must still be true,
so concurrent schedulers and workers cannot both win: two schedulers never release the same row
twice (rows are picked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers), two
deliveries of one message cannot both claim it, and a worker whose lease ran out cannot complete.
"""

from __future__ import annotations

__all__ = ["ClaimedJob", "JobRepository", "ReleasedJob"]

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession

from infra.jobs.models import Job, JobState

_OPEN = (JobState.PENDING, JobState.QUEUED)
_ERROR_LIMIT = 4000


def _count(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE."""
    return cast("CursorResult[Any]", result).rowcount


class ReleasedJob(msgspec.Struct, frozen=True):
    """A job the scheduler has just released to the broker."""

    id: uuid.UUID
    actor: str


class ClaimedJob(msgspec.Struct, frozen=True):
    """A job a worker has claimed and now runs under its lease."""

    id: uuid.UUID
    actor: str
    payload: str
    attempts: int
    max_attempts: int


class JobRepository:
    """SQL for the ``jobs`` table, on the session it is given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        actor: str,
        payload: str,
        run_at: datetime,
        dedupe_key: str | None,
        max_attempts: int,
        now: datetime,
    ) -> bool:
        """Insert a job; ``False`` when a job with ``dedupe_key`` exists already."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(Job)
            .values(
                id=uuid.uuid4(),
                actor=actor,
                payload=payload,
                dedupe_key=dedupe_key,
                state=JobState.PENDING,
                run_at=run_at,
                attempts=0,
                max_attempts=max_attempts,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        result = await self.session.execute(statement)
        return _count(result) > 0

    async def move(self, dedupe_key: str, run_at: datetime) -> bool:
        """Set a new due time for a job that has not started; ``False`` if there is none."""
        result = await self.session.execute(
            update(Job)
            .where(Job.dedupe_key == dedupe_key, Job.state.in_(_OPEN))
            .values(run_at=run_at, state=JobState.PENDING, lease_until=None)
        )
        return _count(result) > 0

    async def cancel(self, dedupe_key: str, now: datetime) -> bool:
        """Cancel a job that has not started; ``False`` if there is none."""
        result = await self.session.execute(
            update(Job)
            .where(Job.dedupe_key == dedupe_key, Job.state.in_(_OPEN))
            .values(state=JobState.CANCELLED, finished_at=now, lease_until=None)
        )
        return _count(result) > 0

    async def release_due(
        self, now: datetime, lease: timedelta, limit: int = 100
    ) -> list[ReleasedJob]:
        """Mark due jobs, and jobs whose lease ran out, as queued; return them for sending."""
        due = or_(
            and_(Job.state == JobState.PENDING, Job.run_at <= now),
            and_(Job.state.in_((JobState.QUEUED, JobState.RUNNING)), Job.lease_until < now),
        )
        candidates = (
            select(Job.id)
            .where(due)
            .order_by(Job.run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self.session.scalars(candidates)).all())
        if not ids:
            return []
        rows = await self.session.execute(
            update(Job)
            .where(Job.id.in_(ids), due)
            .values(state=JobState.QUEUED, lease_until=now + lease, claim_token=None)
            .returning(Job.id, Job.actor)
            .execution_options(synchronize_session=False)
        )
        return [ReleasedJob(id=row.id, actor=row.actor) for row in rows]

    async def claim(
        self, job_id: uuid.UUID, token: str, now: datetime, lease: timedelta
    ) -> ClaimedJob | None:
        """Take a queued job for running; ``None`` if it is not (or no longer) queued."""
        rows = await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.RUNNING,
                claim_token=token,
                lease_until=now + lease,
                attempts=Job.attempts + 1,
            )
            .returning(Job.id, Job.actor, Job.payload, Job.attempts, Job.max_attempts)
            .execution_options(synchronize_session=False)
        )
        row = rows.first()
        if row is None:
            return None
        return ClaimedJob(
            id=row.id,
            actor=row.actor,
            payload=row.payload,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
        )

    async def complete(self, job_id: uuid.UUID, token: str, now: datetime) -> bool:
        """Mark a claimed job done; ``False`` if the claim was lost (lease ran out)."""
        result = await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.claim_token == token)
            .values(state=JobState.DONE, finished_at=now, lease_until=None, last_error=None)
        )
        return _count(result) > 0

    async def record_failure(
        self,
        job_id: uuid.UUID,
        token: str,
        now: datetime,
        error: str,
        retry_at: datetime | None,
    ) -> bool:
        """Put a failed attempt back for a retry at ``retry_at``, or mark the job failed."""
        values: dict[str, object] = {"last_error": error[:_ERROR_LIMIT], "lease_until": None}
        if retry_at is None:
            values |= {"state": JobState.FAILED, "finished_at": now}
        else:
            values |= {"state": JobState.PENDING, "run_at": retry_at}
        result = await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.claim_token == token)
            .values(**values)
        )
        return _count(result) > 0

    async def get(self, job_id: uuid.UUID) -> Job | None:
        return await self.session.get(Job, job_id)

    async def by_dedupe_key(self, dedupe_key: str) -> Job | None:
        return await self.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))

    async def list_in_state(self, state: JobState, limit: int = 200) -> Sequence[Job]:
        return (
            await self.session.scalars(
                select(Job).where(Job.state == state).order_by(Job.finished_at).limit(limit)
            )
        ).all()

    async def purge_finished(self, before: datetime) -> int:
        """Delete done and cancelled jobs finished before ``before``; failed ones stay."""
        result = await self.session.execute(
            delete(Job).where(
                Job.state.in_((JobState.DONE, JobState.CANCELLED)), Job.finished_at < before
            )
        )
        return _count(result)

    async def fail_undeliverable(self, job_id: uuid.UUID, now: datetime, error: str) -> bool:
        """Mark a queued job failed that no worker of this deployment can run."""
        result = await self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.FAILED, finished_at=now, last_error=error, lease_until=None)
        )
        return _count(result) > 0
