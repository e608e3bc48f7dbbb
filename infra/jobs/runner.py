"""Runs one delivered job: claim it, run its actor, record the outcome.

The actor's work and the ``done`` mark commit in one transaction, so a worker killed mid-run
leaves no effect behind; its lease runs out and the scheduler releases the job again. A second
delivery of the same message finds the job no longer queued and does nothing. Failures are
retried by the outbox itself with exponential backoff (the broker never retries), until
``max_attempts`` marks the job failed.
"""

from __future__ import annotations

__all__ = ["JobRunner"]

import logging
import traceback
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import Clock
from infra.db.engine import create_engine, session_factory
from infra.jobs.repository import ClaimedJob, JobRepository
from infra.jobs.specs import ActorSpec, JobContext
from infra.settings import Settings

log = logging.getLogger("vergabe.jobs")


class _ClaimLost(Exception):
    """The lease ran out and somebody else holds the job now."""


class JobRunner:
    """Executes jobs for a set of actors; owns its engine, created in the loop it runs in."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        specs: Sequence[ActorSpec[msgspec.Struct]],
        engine: AsyncEngine | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.specs = {spec.name: spec for spec in specs}
        self._engine = engine
        self._owns_engine = engine is None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.jobs.lease_seconds)

    def _session_factory(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            if self._engine is None:
                self._engine = create_engine(self.settings.database)
            self._sessions = session_factory(self._engine)
        return self._sessions

    async def close(self) -> None:
        """Dispose of the engine if the runner created it."""
        if self._engine is not None and self._owns_engine:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None

    async def run(self, job_id: str) -> str:
        """Run the job ``job_id``; returns what happened (for logs and tests)."""
        sessions = self._session_factory()
        token = uuid.uuid4().hex
        async with sessions() as session, session.begin():
            claimed = await JobRepository(session).claim(
                uuid.UUID(job_id), token, self.clock.now(), self.lease
            )
        if claimed is None:
            log.info("job not claimable, skipped", extra={"job_id": job_id})
            return "skipped"
        spec = self.specs.get(claimed.actor)
        try:
            if spec is None:
                raise LookupError(f"no actor named {claimed.actor!r} in this worker")
            payload = msgspec.json.decode(claimed.payload, type=spec.payload_type)
            async with sessions() as session, session.begin():
                context = JobContext(
                    session=session,
                    clock=self.clock,
                    settings=self.settings,
                    job_id=claimed.id,
                    attempt=claimed.attempts,
                )
                await spec.fn(context, payload)
                if not await JobRepository(session).complete(claimed.id, token, self.clock.now()):
                    raise _ClaimLost
        except _ClaimLost:
            log.warning("lease lost, work rolled back", extra={"job_id": job_id})
            return "lost"
        except Exception as exc:
            return await self._failed(sessions, claimed, token, exc)
        log.info(
            "job done",
            extra={"job_id": job_id, "actor": claimed.actor, "attempt": claimed.attempts},
        )
        return "done"

    async def _failed(
        self,
        sessions: async_sessionmaker[AsyncSession],
        claimed: ClaimedJob,
        token: str,
        exc: Exception,
    ) -> str:
        now = self.clock.now()
        retry_at = self._retry_at(now, claimed.attempts, claimed.max_attempts)
        error = "".join(traceback.format_exception_only(exc)).strip()
        async with sessions() as session, session.begin():
            await JobRepository(session).record_failure(claimed.id, token, now, error, retry_at)
        log.error(
            "job failed" if retry_at is None else "job attempt failed, will retry",
            exc_info=exc,
            extra={
                "job_id": str(claimed.id),
                "actor": claimed.actor,
                "attempt": claimed.attempts,
                "retry_at": retry_at.isoformat() if retry_at else None,
            },
        )
        return "failed" if retry_at is None else "retry"

    def _retry_at(self, now: datetime, attempts: int, max_attempts: int) -> datetime | None:
        if attempts >= max_attempts:
            return None
        jobs = self.settings.jobs
        delay = min(jobs.backoff_seconds * 2 ** min(attempts - 1, 30), jobs.backoff_max_seconds)
        return now + timedelta(seconds=delay)
