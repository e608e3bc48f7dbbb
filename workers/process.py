"""The worker entry point: a Dramatiq worker and/or the scheduler in the current process.

``vergabe run`` starts both inside the web process on the in-process broker; ``vergabe worker``
and ``vergabe scheduler`` start one each against RabbitMQ or Redis. On SIGTERM the scheduler
stops releasing and the worker finishes its running jobs within the grace period.
"""

from __future__ import annotations

__all__ = ["JobProcess", "serve"]

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Any

import dramatiq
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.clock import Clock
from infra.db.engine import create_engine, session_factory
from infra.jobs.broker import build_broker
from infra.jobs.repository import JobRepository, ReleasedJob
from infra.jobs.runner import JobRunner
from infra.jobs.specs import ActorSpec
from infra.settings import Settings
from workers import ACTORS, PERIODIC
from workers.scheduler import Periodic, Scheduler

log = logging.getLogger("vergabe.worker")


class JobProcess:
    """Runs a worker, a scheduler, or both, for the lifetime of one process."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        worker: bool,
        scheduler: bool,
        actors: Sequence[ActorSpec[Any]] = ACTORS,
        periodic: Sequence[Periodic] = PERIODIC,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.runner = JobRunner(settings, clock, actors)
        self.broker = build_broker(settings.broker, actors, self.runner)
        self.periodic = periodic
        self.with_worker = worker
        self.with_scheduler = scheduler
        self._worker: dramatiq.Worker | None = None
        self._engine: AsyncEngine | None = None
        self._stop = asyncio.Event()
        self._scheduler_task: asyncio.Task[None] | None = None

    def scheduler(self, engine: AsyncEngine) -> Scheduler:
        """A scheduler that sends through this process's broker."""
        return Scheduler(
            session_factory(engine),
            self._sender(engine),
            clock=self.clock,
            settings=self.settings.jobs,
            periodic=self.periodic,
        )

    async def start(self) -> None:
        if self.with_worker:
            self._worker = dramatiq.Worker(
                self.broker, worker_threads=self.settings.jobs.worker_threads, worker_timeout=200
            )
            await asyncio.to_thread(self._worker.start)
            log.info("worker started", extra={"broker": self.settings.broker.kind})
        if self.with_scheduler:
            self._engine = create_engine(self.settings.database)
            self._scheduler_task = asyncio.create_task(
                self.scheduler(self._engine).run(self._stop), name="scheduler"
            )

    @property
    def alive(self) -> bool:
        """Whether the parts this process runs are still running."""
        if self._scheduler_task is not None and self._scheduler_task.done():
            return False
        return self._worker is None or all(t.is_alive() for t in self._worker.workers)

    async def stop(self) -> None:
        """Stop releasing, let running jobs finish within the grace period, then close."""
        self._stop.set()
        if self._scheduler_task is not None:
            await self._scheduler_task
        if self._worker is not None:
            grace_ms = int(self.settings.jobs.shutdown_grace_seconds * 1000)
            await asyncio.to_thread(self._worker.stop, grace_ms)
            log.info("worker stopped")
        if self._engine is not None:
            await self._engine.dispose()
        self.broker.close()

    def _sender(self, engine: AsyncEngine) -> Any:
        broker = self.broker
        sessions = session_factory(engine)
        clock = self.clock

        async def send(job: ReleasedJob) -> None:
            if job.actor not in broker.actors:
                async with sessions() as session, session.begin():
                    await JobRepository(session).fail_undeliverable(
                        job.id, clock.now(), f"no actor named {job.actor!r} in this deployment"
                    )
                return
            actor = broker.get_actor(job.actor)
            await asyncio.to_thread(actor.send, str(job.id))

        return send


async def serve(process: JobProcess) -> None:
    """Run ``process`` until SIGTERM or SIGINT, then stop it gracefully."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await process.start()
    await stopping.wait()
    log.info("signal received, draining")
    await process.stop()
