"""Steps and probes shared by the tests of the award's jobs
(:mod:`tests.procurement.test_award_jobs`, :mod:`tests.procurement.test_award_standstill`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.db.engine import session_factory
from infra.jobs.models import Job
from infra.jobs.repository import ReleasedJob
from infra.jobs.runner import JobRunner
from infra.mail.models import Mail
from infra.settings import Settings
from procurement.award import conclusion
from procurement.award.models import AwardProposal, InformationLetterRow
from procurement.award.proposals import DISPATCH_LETTERS
from tests.procurement.award_support import (
    approve,
    award_of,
    propose,
    query_register,
    ranked_tender,
)
from tests.worlds import World
from workers import ACTORS
from workers.scheduler import Scheduler

INFORMATION = "Information nach § 134 GWB"
ENDED = "Stillhaltefrist abgelaufen"
LOSER_ADDRESSES = ["info@deichbauag.example", "owner@deichbau.example"]
"""The unsuccessful company's contact address and the person who submitted its bid."""
OFFICERS = ["officer2@immobilien.bremen.example", "officer@immobilien.bremen.example"]
"""The officers of the authority, told when the standstill has ended."""


# --- steps -------------------------------------------------------------------------------------


async def run_due(world: World, settings: Settings) -> dict[str, list[str]]:
    """Release the jobs due at the world's clock and run each in this process, as a single
    worker would; returns what the runner made of each job, by actor."""
    runner = JobRunner(settings, world.clock, ACTORS, engine=world.engine)
    outcomes: dict[str, list[str]] = {}

    async def run(job: ReleasedJob) -> None:
        outcomes.setdefault(job.actor, []).append(await runner.run(str(job.id)))

    await Scheduler(
        session_factory(world.engine), run, clock=world.clock, settings=settings.jobs
    ).tick()
    return outcomes


async def at(world: World, moment: datetime) -> None:
    world.clock.set(moment)
    await world.log_in_again(*world.clients.keys() - {"anonymous"})


async def dispatched(world: World, settings: Settings) -> dict[str, Any]:
    """A tender whose award is approved and whose information letters are sent: the
    standstill runs (the world's clock at the dispatch)."""
    tender = await ranked_tender(world)
    await propose(world, tender)
    await query_register(world, tender)
    await approve(world, tender)
    assert (await run_due(world, settings)).get(DISPATCH_LETTERS) == ["done"]
    assert (await award_of(world, tender))["stage"] == "standstill"
    return tender


async def proposal_of(
    sessions: async_sessionmaker[AsyncSession], tender: dict[str, Any]
) -> AwardProposal:
    async with sessions() as session:
        proposal = await session.get(AwardProposal, uuid.UUID(tender["id"]))
    assert proposal is not None
    return proposal


def moment_of(proposal: AwardProposal) -> datetime:
    """The first moment of the day of contract: when the end job is due."""
    assert proposal.contract_from_moment is not None
    return proposal.contract_from_moment


def end_key(tender: dict[str, Any], proposal: AwardProposal) -> str:
    """The dedupe key of the end-of-standstill job the dispatch queued."""
    assert proposal.dispatched_at is not None
    return f"standstill-end:{tender['id']}:{proposal.dispatched_at.isoformat()}"


async def job_by_key(sessions: async_sessionmaker[AsyncSession], dedupe_key: str) -> Job:
    async with sessions() as session:
        job = await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
    assert job is not None, dedupe_key
    return job


async def jobs_of(sessions: async_sessionmaker[AsyncSession], actor: str) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).where(Job.actor == actor)))


async def events(sessions: async_sessionmaker[AsyncSession], action: str) -> list[AuditEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def mails(sessions: async_sessionmaker[AsyncSession], subject: str) -> list[str]:
    """The addresses of the mails whose subject starts with ``subject``, sorted."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Mail.to_address).where(Mail.subject.startswith(subject))
        )
        return sorted(rows)


async def letter_count(sessions: async_sessionmaker[AsyncSession], tender: dict[str, Any]) -> int:
    async with sessions() as session:
        rows = await session.scalars(
            select(InformationLetterRow.id).where(
                InformationLetterRow.tender_id == uuid.UUID(tender["id"])
            )
        )
        return len(list(rows))


async def end(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tender: dict[str, Any],
    now: datetime,
) -> str:
    """What ``end_standstill`` does for the tender at ``now``, committed."""
    async with sessions() as session, session.begin():
        return await conclusion.end_standstill(
            session, uuid.UUID(tender["id"]), now=now, public_url=settings.public_url
        )


async def sweep(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """The sweep's part for the award (``end_overdue``), committed: how many it ended."""
    async with sessions() as session, session.begin():
        return await conclusion.end_overdue(session, now=now, public_url=settings.public_url)


async def ended_once(
    sessions: async_sessionmaker[AsyncSession], tender: dict[str, Any]
) -> AwardProposal:
    """The standstill has ended exactly once: one audit event, at the moment the proposal
    records, and one mail to each officer of the authority."""
    (event,) = await events(sessions, "tender.standstill_end")
    assert event.object_id == tender["id"]
    proposal = await proposal_of(sessions, tender)
    assert proposal.contract_from_moment is not None
    assert proposal.standstill_ended_at == event.at
    assert proposal.standstill_ended_at >= proposal.contract_from_moment
    assert await mails(sessions, ENDED) == OFFICERS
    return proposal


# --- 1. the dispatch delivered twice -----------------------------------------------------------
