"""The scheduler: releases due jobs from the outbox to the broker, and creates periodic jobs.

Any number of schedulers may run: releasing is one conditional update per batch, and periodic
jobs carry a dedupe key per period, so two schedulers neither send a job twice nor create a
period's job twice. A job whose lease ran out (its worker died, or its message was lost) is
released again; the worker's claim makes a duplicate delivery harmless.
"""

from __future__ import annotations

__all__ = ["Periodic", "Scheduler"]

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import Clock
from infra.jobs import outbox
from infra.jobs.repository import JobRepository, ReleasedJob
from infra.jobs.specs import ActorSpec
from infra.settings import JobSettings

log = logging.getLogger("vergabe.scheduler")

Send = Callable[[ReleasedJob], Awaitable[None]]
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job created once per period (aligned to the epoch), e.g. hourly housekeeping."""

    actor: ActorSpec[Any]
    every: timedelta

    def period_start(self, now: datetime) -> datetime:
        return now - (now - _EPOCH) % self.every


class Scheduler:
    """Releases due jobs to ``send`` and keeps the periodic jobs going."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        send: Send,
        *,
        clock: Clock,
        settings: JobSettings,
        periodic: Sequence[Periodic] = (),
        batch_size: int = 100,
    ) -> None:
        self.sessions = sessions
        self.send = send
        self.clock = clock
        self.settings = settings
        self.periodic = periodic
        self.batch_size = batch_size
        self._created: dict[str, datetime] = {}

    async def tick(self) -> int:
        """One pass: create due periodic jobs, release due jobs; returns how many were sent."""
        await self._create_periodic()
        sent = 0
        while True:
            async with self.sessions() as session, session.begin():
                released = await JobRepository(session).release_due(
                    self.clock.now(),
                    timedelta(seconds=self.settings.lease_seconds),
                    self.batch_size,
                )
            for job in released:
                try:
                    await self.send(job)
                    sent += 1
                except Exception:
                    # The job stays queued; its lease runs out and the next pass sends it again.
                    log.exception("sending to the broker failed", extra={"job_id": str(job.id)})
            if len(released) < self.batch_size:
                return sent

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``poll_interval`` seconds until ``stop`` is set."""
        log.info("scheduler started")
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
        log.info("scheduler stopped")

    async def _create_periodic(self) -> None:
        now = self.clock.now()
        for item in self.periodic:
            start = item.period_start(now)
            if self._created.get(item.actor.name) == start:
                continue
            async with self.sessions() as session, session.begin():
                await outbox.enqueue(
                    session,
                    item.actor.name,
                    item.actor.payload_type(),
                    run_at=start,
                    now=now,
                    dedupe_key=f"periodic:{item.actor.name}:{start.isoformat()}",
                )
            self._created[item.actor.name] = start
