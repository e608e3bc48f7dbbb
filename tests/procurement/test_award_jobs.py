"""The award's jobs are idempotent (issue 8, item 6): the dispatch of the information letters and
the end of the standstill, delivered twice or re-run after their worker was killed, send each
letter and each mail once and make one transition. Two worker processes on the run's broker
(RabbitMQ or Redis on PostgreSQL, the in-process broker on SQLite) race for a duplicated
end-of-standstill job.

Except in :class:`TestEndDeliveredTwice`, the due jobs run in this process, one after the other
(:func:`~tests.procurement.award_jobs_support.run_due`): no broker, no other worker, so that a
test sees what each job did.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pika
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import SystemClock
from infra.db.engine import session_factory
from infra.jobs import outbox
from infra.jobs.broker import queue_name
from infra.jobs.models import Job, JobState
from infra.jobs.repository import JobRepository, ReleasedJob
from infra.jobs.runner import JobRunner
from infra.settings import Settings
from procurement.award import conclusion, letters
from procurement.award.letters import END_STANDSTILL, EndStandstill
from procurement.award.proposals import DISPATCH_LETTERS, DispatchLetters
from tests.jobs.conftest import eventually
from tests.jobs.test_processes import ROOT, Processes
from tests.procurement.award_jobs_support import (
    ENDED,
    INFORMATION,
    LOSER_ADDRESSES,
    dispatched,
    end,
    end_key,
    ended_once,
    events,
    job_by_key,
    jobs_of,
    letter_count,
    mails,
    moment_of,
    proposal_of,
    run_due,
)
from tests.procurement.award_support import (
    award_of,
)
from tests.worlds import World
from workers import ACTORS
from workers.scheduler import Scheduler


class TestDispatchDeliveredTwice:
    async def test_second_dispatch_sends_no_letter_and_keeps_the_standstill(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given an approved award whose letters the job has sent
        tender = await dispatched(world, settings)
        first = await proposal_of(sessions, tender)
        assert await letter_count(sessions, tender) == 1  # one unsuccessful bidder
        assert await mails(sessions, INFORMATION) == LOSER_ADDRESSES
        world.clock.advance(timedelta(minutes=3))

        # When the job's function runs again for the tender
        async with sessions() as session, session.begin():
            again = await letters.dispatch_letters(
                session, uuid.UUID(tender["id"]), settings=settings, clock=world.clock
            )
        # and a second job for it is delivered (another dedupe key: a duplicate message)
        async with sessions() as session, session.begin():
            assert await outbox.enqueue(
                session,
                DISPATCH_LETTERS,
                DispatchLetters(tender_id=tender["id"]),
                run_at=world.clock.now(),
                now=world.clock.now(),
                dedupe_key=f"award-letters:{tender['id']}:duplicate",
            )
        ran = await run_due(world, settings)

        # Then both find the letters sent: no letter, mail, standstill or job is added
        assert again == "skipped"
        assert ran.get(DISPATCH_LETTERS) == ["done"]
        assert (await job_by_key(sessions, f"award-letters:{tender['id']}:duplicate")).state == (
            JobState.DONE
        )
        assert await letter_count(sessions, tender) == 1
        assert await mails(sessions, INFORMATION) == LOSER_ADDRESSES
        assert len(await events(sessions, "tender.information_sent")) == 1
        later = await proposal_of(sessions, tender)
        assert (later.dispatched_at, later.contract_from_moment) == (
            first.dispatched_at,
            moment_of(first),
        )
        (end,) = await jobs_of(sessions, END_STANDSTILL)
        assert end.dedupe_key == end_key(tender, first)
        assert (end.state, end.run_at) == (JobState.PENDING, moment_of(first))


# --- 2. the end of the standstill delivered twice, two worker processes ------------------------


@pytest.fixture
def processes(environment: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    """Worker (and scheduler) processes on this test's database and broker, as in
    ``tests/jobs/test_processes.py``, logging JSON lines; killed at the end."""
    env = {
        **os.environ,
        **environment,
        "PYTHONPATH": str(ROOT),
        "VERGABE_JOB_POLL_INTERVAL": str(POLL_INTERVAL),
        "VERGABE_LOG_FORMAT": "json",
    }
    group = Processes(env=env, logs=tmp_path)
    yield group
    group.stop_all()
    for path in sorted(tmp_path.glob("*.log")):
        print(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")


def _logged(processes: Processes, message: str) -> list[tuple[int, dict[str, Any]]]:
    """The JSON log entries with ``message`` of all child processes, each with the index of
    the child that wrote it."""
    entries = []
    for index, child in enumerate(processes.children):
        for line in processes.log_of(child).splitlines():
            try:
                entry = msgspec.json.decode(line)
            except msgspec.DecodeError:
                continue  # not one of ours
            if isinstance(entry, dict) and entry.get("msg") == message:
                entries.append((index, entry))
    return entries


async def _all_done(sessions: async_sessionmaker[AsyncSession], keys: list[str]) -> bool:
    async with sessions() as session:
        jobs = list(await session.scalars(select(Job).where(Job.dedupe_key.in_(keys))))
    failed = [job.last_error for job in jobs if job.state == JobState.FAILED]
    assert not failed, failed
    return len(jobs) == len(keys) and all(job.state == JobState.DONE for job in jobs)


async def _workers_up(
    processes: Processes, workers: list[subprocess.Popen[bytes]], settings: Settings
) -> bool:
    """Both workers consume: they said so and, on RabbitMQ, the queue counts them."""
    if not all("worker started" in processes.log_of(worker) for worker in workers):
        return False
    if settings.broker.kind != "rabbitmq":
        return True
    return await asyncio.to_thread(_consumers, settings) == len(workers)


def _consumers(settings: Settings) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker.url))
    try:
        declared = connection.channel().queue_declare(
            queue_name(settings.broker, "default"), passive=True
        )
        return int(declared.method.consumer_count)
    except pika.exceptions.ChannelClosedByBroker:  # not declared yet
        return 0
    finally:
        if connection.is_open:
            connection.close()


POLL_INTERVAL = 0.2
"""The children's scheduler pass, in seconds."""
DUPLICATES = 3
"""Extra deliveries of the end job: more jobs than workers, so that each worker process
likely gets one (which process takes which message is the broker's choice)."""


@pytest.mark.processes
class TestEndDeliveredTwice:
    async def test_two_workers_end_the_standstill_once(
        self,
        world: World,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        processes: Processes,
    ) -> None:
        """The children run on the system clock, after the world's (2026) standstill: the
        end jobs are due for them as soon as they are queued, and so is the sweep, which
        races them too. The world's own worker is never started: only the children run jobs
        from here on. With the in-process broker each child's scheduler sends what it
        releases to its own worker; with RabbitMQ or Redis one scheduler releases all the
        jobs at once and the two workers take the messages from one queue (on RabbitMQ in
        turn: both run some, at the same time, on the same proposal row)."""
        # Given a running standstill whose end job is queued, and more jobs to come for the
        # same tender (duplicate deliveries)
        tender = await dispatched(world, settings)
        assert not world.worker_started
        proposal = await proposal_of(sessions, tender)
        assert moment_of(proposal) < SystemClock().now(), "the real clock is later"
        duplicates = [f"standstill-end:{tender['id']}:again-{n}" for n in range(DUPLICATES)]
        keys = [end_key(tender, proposal), *duplicates]

        # When two workers run (each with a scheduler if the broker lives in the worker),
        # and the duplicates are queued once both are up
        if settings.broker.kind == "memory":
            workers = [processes.start("worker", "--scheduler") for _ in range(2)]
        else:
            workers = [processes.start("worker") for _ in range(2)]
        await eventually(lambda: _workers_up(processes, workers, settings), "both workers up")
        for key in duplicates:
            async with sessions() as session, session.begin():
                assert await outbox.enqueue(
                    session,
                    END_STANDSTILL,
                    EndStandstill(tender_id=tender["id"]),
                    run_at=moment_of(proposal),
                    now=world.clock.now(),
                    dedupe_key=key,
                )
            if settings.broker.kind == "memory":
                # each child's scheduler sends what it releases to its own worker: spread the
                # duplicates over the schedulers' passes so that both children get some
                await asyncio.sleep(POLL_INTERVAL / 2)
        if settings.broker.kind != "memory":
            processes.start("scheduler")  # releases all at once to the two consumers
        await eventually(lambda: _all_done(sessions, keys), "all end jobs done", timeout=120)
        processes.stop_all()
        assert all(worker.returncode is not None for worker in workers)

        # Then the standstill ended once: one transition, one mail per officer
        await ended_once(sessions, tender)
        # (the children's housekeeping purged the world's sessions by the real clock)
        await world.log_in_again("officer")
        view = await award_of(world, tender)
        assert (view["tender_status"], view["stage"]) == ("award_proposed", "contract-possible")
        # and of all the jobs and the sweeps, exactly one ended it; the others skipped
        runs = [
            (index, entry["outcome"])
            for index, entry in _logged(processes, "standstill end")
            if entry.get("tender_id") == tender["id"]
        ]
        outcomes = sorted(outcome for _index, outcome in runs)
        swept = sum(
            entry["ended"]
            for _index, entry in _logged(processes, "standstill periods ended by the sweep")
        )
        assert len(outcomes) == len(keys), runs
        assert set(outcomes) <= {"ended", "skipped"}, runs
        assert outcomes.count("ended") + swept == 1, (runs, swept)
        print("end jobs run by child:", runs, "ended by the sweep:", swept)
        if settings.broker.kind == "rabbitmq":  # the queue hands the messages out in turn
            assert {index for index, _outcome in runs} == {0, 1}, runs


# --- 3. re-run after a killed worker -----------------------------------------------------------


class TestKilledWorker:
    async def test_orphaned_end_job_runs_again_and_ends_the_standstill_once(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """In process: a worker claims the job, does its work in its transaction and dies
        before the commit (its transaction rolls back, as the database does for a killed
        connection); a duplicate message meanwhile finds the job claimed; once the lease has
        run out the scheduler releases the job again and it ends the standstill once. Then the
        same job is released once more, as if its "done" had been lost after the commit (the
        runner commits both together, so this is belt and braces): the job's function finds
        the standstill ended and adds nothing."""
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        key = end_key(tender, proposal)
        lease = timedelta(seconds=settings.jobs.lease_seconds)
        world.clock.set(moment_of(proposal))

        # Given the job released to a worker that claims it
        released: list[ReleasedJob] = []

        async def lost(job: ReleasedJob) -> None:
            released.append(job)

        await Scheduler(
            session_factory(world.engine), lost, clock=world.clock, settings=settings.jobs
        ).tick()
        (job,) = [job for job in released if job.actor == END_STANDSTILL]
        async with sessions() as session, session.begin():
            assert await JobRepository(session).claim(job.id, "killed", world.clock.now(), lease)
        # When the worker is killed in the middle of the job (its work never commits)
        session = sessions()
        await session.begin()
        assert (
            await conclusion.end_standstill(
                session,
                uuid.UUID(tender["id"]),
                now=world.clock.now(),
                public_url=settings.public_url,
            )
            == "ended"
        )
        await session.rollback()
        await session.close()

        # Then nothing of it is left, and a second delivery of its message does nothing
        assert (await proposal_of(sessions, tender)).standstill_ended_at is None
        assert await events(sessions, "tender.standstill_end") == []
        assert await mails(sessions, ENDED) == []
        runner = JobRunner(settings, world.clock, ACTORS, engine=world.engine)
        assert await runner.run(str(job.id)) == "skipped"
        assert (await job_by_key(sessions, key)).state == JobState.RUNNING

        # When the lease has run out, the job is released again and runs
        world.clock.advance(lease + timedelta(seconds=1))
        assert (await run_due(world, settings)).get(END_STANDSTILL) == ["done"]

        # Then the standstill has ended once, by the second attempt
        again = await job_by_key(sessions, key)
        assert (again.state, again.attempts) == (JobState.DONE, 2)
        ended = await ended_once(sessions, tender)

        # When the same job is run yet again after its effect committed
        world.clock.advance(timedelta(minutes=1))
        async with sessions() as session, session.begin():
            await session.execute(
                update(Job)
                .where(Job.id == job.id)
                .values(
                    state=JobState.QUEUED,
                    lease_until=world.clock.now() + lease,
                    claim_token=None,
                    finished_at=None,
                )
            )
        assert await runner.run(str(job.id)) == "done"

        # Then its function skips: nothing is doubled, the moment of the end is kept
        assert (await job_by_key(sessions, key)).attempts == 3
        assert await end(sessions, settings, tender, world.clock.now()) == "skipped"
        assert (await ended_once(sessions, tender)).standstill_ended_at == (
            ended.standstill_ended_at
        )


# --- 4. the sweep ------------------------------------------------------------------------------
