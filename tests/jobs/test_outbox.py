"""The outbox guarantees of DESIGN.md §5, in process, on this run's database and broker.

The scheduler is ticked by the test with the test's clock; the worker is a real Dramatiq worker
on the run's broker (in-process, RabbitMQ or Redis). Time is moved, never waited for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.jobs import outbox
from infra.jobs.models import Job, JobState
from infra.jobs.repository import JobRepository, ReleasedJob
from infra.settings import Settings
from tests.jobs.conftest import eventually
from tests.jobs.probe_actors import Fail, Record
from workers.process import JobProcess
from workers.scheduler import Scheduler

Effects = Callable[[str], Awaitable[int]]
JobState_ = Callable[[str], Awaitable[Job | None]]


async def _enqueue(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    actor: str,
    payload: Record | Fail,
    *,
    key: str,
    after: timedelta = timedelta(0),
    max_attempts: int = 5,
) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            actor,
            payload,
            run_at=clock.now() + after,
            now=clock.now(),
            dedupe_key=key,
            max_attempts=max_attempts,
        )


async def _finished(job_state: JobState_, key: str, state: JobState) -> None:
    async def check() -> bool:
        job = await job_state(key)
        return job is not None and job.state == state

    await eventually(check, f"job {key} {state}")


class TestEnqueueInTransaction:
    async def test_job_enqueued_in_rolled_back_transaction_is_never_sent(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        effects: Effects,
        job_state: JobState_,
    ) -> None:
        # Given a change that enqueues a job and then rolls back, and one that commits
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                "probe.record",
                Record(key="rolled-back"),
                run_at=clock.now(),
                now=clock.now(),
                dedupe_key="rolled-back",
            )
            await session.rollback()
        await _enqueue(sessions, clock, "probe.record", Record(key="kept"), key="kept")

        # When the scheduler passes and the worker has run what it was sent
        sent = await job_process.scheduler(engine).tick()
        await _finished(job_state, "kept", JobState.DONE)

        # Then only the committed job existed, was sent and had its effect
        assert sent == 1
        assert await job_state("rolled-back") is None
        assert await effects("rolled-back") == 0
        assert await effects("kept") == 1

    async def test_second_enqueue_with_same_dedupe_key_is_a_no_op(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        async with sessions() as session, session.begin():
            first = await outbox.enqueue(
                session,
                "probe.record",
                Record(key="a"),
                run_at=clock.now(),
                now=clock.now(),
                dedupe_key="same",
            )
            second = await outbox.enqueue(
                session,
                "probe.record",
                Record(key="b"),
                run_at=clock.now(),
                now=clock.now(),
                dedupe_key="same",
            )
        async with sessions() as session:
            jobs = (await session.scalars(select(Job))).all()
        assert (first, second) == (True, False)
        assert [job.payload for job in jobs] == ['{"key":"a"}']


class TestDueJobsRunOnce:
    async def test_due_job_runs_once_and_its_effect_commits_with_the_done_mark(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        effects: Effects,
        job_state: JobState_,
    ) -> None:
        await _enqueue(sessions, clock, "probe.record", Record(key="once"), key="once")
        scheduler = job_process.scheduler(engine)

        assert await scheduler.tick() == 1
        await _finished(job_state, "once", JobState.DONE)
        # A second pass finds nothing due
        assert await scheduler.tick() == 0

        job = await job_state("once")
        assert job is not None
        assert job.attempts == 1
        assert job.finished_at == clock.now()
        assert await effects("once") == 1

    async def test_duplicate_delivery_of_one_job_has_one_effect(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        effects: Effects,
        job_state: JobState_,
    ) -> None:
        # Given a job released once, whose message the broker then delivers twice
        await _enqueue(sessions, clock, "probe.record", Record(key="dup"), key="dup")
        async with sessions() as session, session.begin():
            released = await JobRepository(session).release_due(clock.now(), timedelta(minutes=5))
        assert [job.actor for job in released] == ["probe.record"]

        # When both deliveries reach the worker's runner
        outcomes = sorted(
            [
                await job_process.runner.run(str(released[0].id)),
                await job_process.runner.run(str(released[0].id)),
            ]
        )

        # Then one ran and one was skipped, with one effect
        assert outcomes == ["done", "skipped"]
        assert await effects("dup") == 1

    async def test_two_schedulers_release_each_due_job_once(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        # Given 30 due jobs and two schedulers recording what they send
        for n in range(30):
            await _enqueue(sessions, clock, "probe.record", Record(key=f"k{n}"), key=f"k{n}")
        sent: list[ReleasedJob] = []

        async def record(job: ReleasedJob) -> None:
            sent.append(job)

        schedulers = [
            Scheduler(sessions, record, clock=clock, settings=settings.jobs, batch_size=7)
            for _ in range(2)
        ]

        # When they pass over the outbox at the same time
        import asyncio

        counts = await asyncio.gather(*(s.tick() for s in schedulers))

        # Then every job was sent exactly once between them
        assert sum(counts) == 30
        assert len({job.id for job in sent}) == 30


class TestRetries:
    async def test_failing_actor_is_retried_with_backoff_then_failed_and_listed(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        effects: Effects,
        job_state: JobState_,
        settings: Settings,
        environment: dict[str, str],
    ) -> None:
        # Given a job whose actor always raises, allowed three attempts
        await _enqueue(sessions, clock, "probe.fail", Fail(key="boom"), key="boom", max_attempts=3)
        scheduler = job_process.scheduler(engine)
        backoff = timedelta(seconds=settings.jobs.backoff_seconds)

        # When it runs the first time it goes back to pending, due after the backoff
        assert await scheduler.tick() == 1
        await _finished(job_state, "boom", JobState.PENDING)
        job = await job_state("boom")
        assert job is not None
        assert job.attempts == 1
        assert job.run_at == clock.now() + backoff
        assert "probe failure for boom" in (job.last_error or "")

        # and is not released before its backoff has passed
        clock.advance(backoff - timedelta(seconds=1))
        assert await scheduler.tick() == 0

        # The second attempt waits twice as long
        clock.advance(timedelta(seconds=1))
        assert await scheduler.tick() == 1
        await eventually(
            lambda: _attempts_are(job_state, "boom", 2, JobState.PENDING), "second attempt"
        )
        job = await job_state("boom")
        assert job is not None
        assert job.run_at == clock.now() + 2 * backoff

        # After the third attempt the job is failed for good
        clock.advance(2 * backoff)
        assert await scheduler.tick() == 1
        await _finished(job_state, "boom", JobState.FAILED)
        clock.advance(timedelta(days=1))
        assert await scheduler.tick() == 0

        # Then no attempt left an effect, and the command line lists it
        assert await effects("boom") == 0
        failed = subprocess.run(
            [str(Path(sys.executable).parent / "vergabe"), "jobs", "failed"],
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            check=True,
        )
        job = await job_state("boom")
        assert job is not None
        assert str(job.id) in failed.stdout
        assert "probe.fail" in failed.stdout
        assert "attempts=3" in failed.stdout


async def _attempts_are(job_state: JobState_, key: str, attempts: int, state: JobState) -> bool:
    job = await job_state(key)
    return job is not None and job.attempts == attempts and job.state == state


class TestFutureJobs:
    async def test_job_due_later_is_not_released_early(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        job_state: JobState_,
        effects: Effects,
    ) -> None:
        await _enqueue(
            sessions,
            clock,
            "probe.record",
            Record(key="later"),
            key="later",
            after=timedelta(days=10),
        )
        scheduler = job_process.scheduler(engine)

        clock.advance(timedelta(days=10) - timedelta(seconds=1))
        assert await scheduler.tick() == 0
        job = await job_state("later")
        assert job is not None
        assert job.state == JobState.PENDING

        clock.advance(timedelta(seconds=1))
        assert await scheduler.tick() == 1
        await _finished(job_state, "later", JobState.DONE)
        assert await effects("later") == 1

    async def test_job_due_later_can_be_moved(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        job_state: JobState_,
    ) -> None:
        await _enqueue(
            sessions,
            clock,
            "probe.record",
            Record(key="moved"),
            key="moved",
            after=timedelta(days=10),
        )
        scheduler = job_process.scheduler(engine)

        # When the deadline is extended by five days
        async with sessions() as session, session.begin():
            assert await outbox.move(session, "moved", clock.now() + timedelta(days=15))

        # Then the old due time passes without a release, the new one releases it
        clock.advance(timedelta(days=10))
        assert await scheduler.tick() == 0
        clock.advance(timedelta(days=5))
        assert await scheduler.tick() == 1
        await _finished(job_state, "moved", JobState.DONE)

    async def test_job_due_later_can_be_cancelled(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        job_state: JobState_,
        effects: Effects,
    ) -> None:
        await _enqueue(
            sessions,
            clock,
            "probe.record",
            Record(key="cancelled"),
            key="cancelled",
            after=timedelta(hours=1),
        )
        async with sessions() as session, session.begin():
            assert await outbox.cancel(session, "cancelled", clock.now())
            # a finished or cancelled job cannot be cancelled or moved again
            assert not await outbox.cancel(session, "cancelled", clock.now())
            assert not await outbox.move(session, "cancelled", clock.now())

        clock.advance(timedelta(hours=2))
        assert await job_process.scheduler(engine).tick() == 0
        job = await job_state("cancelled")
        assert job is not None
        assert job.state == JobState.CANCELLED
        assert await effects("cancelled") == 0


class TestLeases:
    async def test_job_whose_worker_went_silent_is_released_again_and_runs_once(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        job_state: JobState_,
        effects: Effects,
        settings: Settings,
    ) -> None:
        # Given a job claimed by a worker that then died without finishing
        await _enqueue(sessions, clock, "probe.record", Record(key="orphan"), key="orphan")
        lease = timedelta(seconds=settings.jobs.lease_seconds)
        async with sessions() as session, session.begin():
            repo = JobRepository(session)
            (released,) = await repo.release_due(clock.now(), lease)
            assert await repo.claim(released.id, "dead-worker", clock.now(), lease) is not None
        scheduler = job_process.scheduler(engine)

        # When the lease has not run out yet, nothing happens
        clock.advance(lease - timedelta(seconds=1))
        assert await scheduler.tick() == 0

        # When it has run out, the job is released again and completes once
        clock.advance(timedelta(seconds=2))
        assert await scheduler.tick() == 1
        await _finished(job_state, "orphan", JobState.DONE)
        assert await effects("orphan") == 1

        # and the dead worker can no longer complete it
        async with sessions() as session, session.begin():
            assert not await JobRepository(session).complete(
                released.id, "dead-worker", clock.now()
            )

    async def test_job_for_an_actor_nobody_knows_is_failed_with_the_reason(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        job_process: JobProcess,
        job_state: JobState_,
    ) -> None:
        await _enqueue(sessions, clock, "nobody.knows", Record(key="x"), key="unknown-actor")
        await job_process.scheduler(engine).tick()
        job = await job_state("unknown-actor")
        assert job is not None
        assert job.state == JobState.FAILED
        assert "nobody.knows" in (job.last_error or "")


@pytest.mark.parametrize("schedulers", [2])
class TestPeriodicJobs:
    async def test_periodic_job_is_created_once_per_period_by_any_number_of_schedulers(
        self,
        schedulers: int,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        from workers import PERIODIC

        # The hourly housekeeping job alone: the other periodic jobs have other rhythms.
        hourly = tuple(p for p in PERIODIC if p.actor.name == "housekeeping.purge")
        sent: list[ReleasedJob] = []

        async def record(job: ReleasedJob) -> None:
            sent.append(job)

        passes = [
            Scheduler(sessions, record, clock=clock, settings=settings.jobs, periodic=hourly)
            for _ in range(schedulers)
        ]
        for scheduler in passes:
            await scheduler.tick()
        clock.advance(timedelta(minutes=30))  # same hour
        for scheduler in passes:
            await scheduler.tick()
        clock.advance(timedelta(minutes=30))  # next hour
        for scheduler in passes:
            await scheduler.tick()

        async with sessions() as session:
            keys = (await session.scalars(select(Job.dedupe_key).order_by(Job.run_at))).all()
        # (a sent job that nobody claims is sent again once its lease runs out, hence the set)
        assert len({job.id for job in sent}) == 2
        assert {job.actor for job in sent} == {"housekeeping.purge"}
        assert len(keys) == 2
        assert all(str(key).startswith("periodic:housekeeping.purge:") for key in keys)
