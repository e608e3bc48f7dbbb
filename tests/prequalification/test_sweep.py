"""The lifecycle sweep in batches: each job locks only its batch of live certificates and hands
the rest to the next job, which the worker runs; together they do everything exactly once."""

from __future__ import annotations

import dataclasses

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.jobs.models import Job
from infra.settings import Settings
from prequalification import lifecycle
from tests.prequalification.conftest import World
from tests.prequalification.test_lifecycle import _mails, approved


async def _reminders(sessions: async_sessionmaker[AsyncSession], to: str) -> int:
    return sum(m.subject.startswith("Nachweis läuft ab") for m in await _mails(sessions, to))


class TestSweepInBatches:
    async def test_a_batch_hands_the_rest_to_the_next_job_and_each_is_reminded_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        # Given two live certificates whose liability insurance expires in 30 days
        first = await approved(sessions, trusted, world)
        other = dataclasses.replace(
            world,
            organisations={**world.organisations, "company": world.organisations["other_company"]},
        )
        second = await approved(sessions, trusted, other)
        assert first.number < second.number
        owners = (world.emails["owner"], world.emails["stranger"])

        # When a sweep job with a batch of one runs
        now = world.clock.now()
        async with sessions() as session, session.begin():
            summary = await lifecycle.sweep(session, profile=trusted.profile, now=now, batch=1)

        # Then it reminded the first company only and enqueued the sweep of the rest
        assert (summary.reminders, summary.next_after) == (1, first.number)
        assert [await _reminders(sessions, to) for to in owners] == [1, 0]
        async with sessions() as session:
            jobs = (await session.scalars(select(Job).where(Job.actor == lifecycle.SWEEP))).all()
        payloads = [msgspec.json.decode(job.payload, type=lifecycle.Sweep) for job in jobs]
        assert lifecycle.Sweep(after=first.number) in payloads

        # And the worker's continuation reminds the second company, and no one twice
        async def both_reminded() -> bool:
            return [await _reminders(sessions, to) for to in owners] == [1, 1]

        await world.run_jobs(both_reminded, "the second batch was swept")
        async with sessions() as session, session.begin():
            again = await lifecycle.sweep(session, profile=trusted.profile, now=now)
        assert (again.reminders, again.next_after) == (0, None)
        assert [await _reminders(sessions, to) for to in owners] == [1, 1]
