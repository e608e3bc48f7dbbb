"""The end of the standstill made up for by the sweep, and held by a review application (issue
8, items 4 and 6): the sweep ends a standstill whose job was lost, once; a review application
holds the end, its dismissal ends the standstill at once, an upheld one voids the decision and
cancels the pending job. The due jobs run in this process, one after the other.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.jobs import outbox
from infra.jobs.models import JobState
from infra.settings import Settings
from procurement.award import conclusion
from procurement.award.letters import END_STANDSTILL
from procurement.award.proposals import DISPATCH_LETTERS
from procurement.tenders.closing import SWEEP_TENDERS, SweepTenders
from tests.procurement.award_jobs_support import (
    ENDED,
    INFORMATION,
    at,
    dispatched,
    end,
    end_key,
    ended_once,
    events,
    job_by_key,
    mails,
    moment_of,
    proposal_of,
    run_due,
    sweep,
)
from tests.procurement.award_support import (
    approve,
    award_of,
    award_url,
    propose,
    query_register,
)
from tests.procurement.bid_checks import problem
from tests.procurement.test_tenders import _json
from tests.worlds import World


class TestEarly:
    async def test_a_run_before_the_day_of_contract_queues_the_end_again_for_it(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        moment = moment_of(proposal)
        # When the end job runs an hour early (its worker's clock ahead, say)
        async with sessions() as session, session.begin():
            early = await conclusion.end_standstill(
                session,
                uuid.UUID(tender["id"]),
                now=moment - timedelta(hours=1),
                public_url=settings.public_url,
                requeue=True,
            )
        assert early == "early"
        # Then nothing ended and the end is queued again for the day of contract
        assert (await proposal_of(sessions, tender)).standstill_ended_at is None
        again = await job_by_key(sessions, end_key(tender, proposal) + ":again")
        assert (again.state, again.run_at) == (JobState.PENDING, moment)
        # And at the moment the queued job ends the standstill once
        world.clock.set(moment)
        assert (await run_due(world, settings)).get(END_STANDSTILL) == ["done", "done"]
        await ended_once(sessions, tender)


class TestSweep:
    async def test_sweep_ends_a_standstill_whose_job_was_lost_once(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a running standstill whose end job is lost (cancelled)
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        async with sessions() as session, session.begin():
            assert await outbox.cancel(session, end_key(tender, proposal), world.clock.now())
        moment = moment_of(proposal)

        # When the sweep runs on the last instant of the period, nothing ends
        assert await sweep(sessions, settings, moment - timedelta(microseconds=1)) == 0
        # When the day of contract has begun, no job runs, but the sweep ends the standstill
        world.clock.set(moment + timedelta(minutes=4))
        assert END_STANDSTILL not in await run_due(world, settings)
        assert await sweep(sessions, settings, world.clock.now()) == 1
        ended = await ended_once(sessions, tender)
        assert ended.standstill_ended_at == world.clock.now()

        # When the sweep runs again, by its actor this time, and by its function
        world.clock.advance(timedelta(minutes=5))
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                SWEEP_TENDERS,
                SweepTenders(),
                run_at=world.clock.now(),
                now=world.clock.now(),
                dedupe_key="sweep-again",
            )
        assert (await run_due(world, settings)).get(SWEEP_TENDERS) == ["done"]
        assert await sweep(sessions, settings, world.clock.now()) == 0

        # Then nothing more has ended
        assert (await ended_once(sessions, tender)).standstill_ended_at == (
            ended.standstill_ended_at
        )
        await at(world, world.clock.now())
        view = await award_of(world, tender)
        assert (view["tender_status"], view["stage"]) == ("award_proposed", "contract-possible")

    async def test_job_delivered_after_the_sweep_ended_the_standstill_skips(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a standstill the sweep ended while its job was delayed (a worker down)
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        world.clock.set(moment_of(proposal) + timedelta(minutes=2))
        assert await sweep(sessions, settings, world.clock.now()) == 1

        # When the job runs late
        world.clock.advance(timedelta(hours=1))
        assert (await run_due(world, settings)).get(END_STANDSTILL) == ["done"]

        # Then it ends nothing a second time
        assert (await job_by_key(sessions, end_key(tender, proposal))).state == JobState.DONE
        ended = await ended_once(sessions, tender)
        assert ended.standstill_ended_at == moment_of(proposal) + timedelta(minutes=2)


# --- 5. review applications --------------------------------------------------------------------


async def _review(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    """The chamber's notice of a review application, recorded by an officer today."""
    view: dict[str, Any] = await _json(
        await world.clients["officer"].post(
            f"{award_url(world, tender)}/reviews",
            json={
                "applicant": "Deichbau AG",
                "reference": "VK 1-07/26",
                "received_on": world.clock.now().date().isoformat(),
            },
        ),
        201,
    )
    review: dict[str, Any]
    (review,) = view["reviews"]
    assert view["stage"] == "held"
    return review


async def _resolve(
    world: World, tender: dict[str, Any], review: dict[str, Any], outcome: str
) -> dict[str, Any]:
    view: dict[str, Any] = await _json(
        await world.clients["officer2"].post(
            f"{award_url(world, tender)}/reviews/{review['id']}/resolution",
            json={"outcome": outcome, "note": "Beschluss der Vergabekammer."},
        )
    )
    return view


def _contract(day: date) -> dict[str, Any]:
    return {"lot": 1, "concluded_on": day.isoformat()}


class TestReview:
    async def test_pending_review_holds_the_end_and_dismissal_ends_it_at_once(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a review application recorded during the standstill
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        await at(world, world.clock.now() + timedelta(days=3))
        review = await _review(world, tender)

        # When the day of contract begins and the end job runs
        await at(world, moment_of(proposal))
        assert (await run_due(world, settings)).get(END_STANDSTILL) == ["done"]

        # Then the end is held: no transition, no mail, the sweep ends nothing, no contract
        assert await end(sessions, settings, tender, world.clock.now()) == "held"
        assert await sweep(sessions, settings, world.clock.now()) == 0
        assert (await proposal_of(sessions, tender)).standstill_ended_at is None
        assert await events(sessions, "tender.standstill_end") == []
        assert await mails(sessions, ENDED) == []
        view = await award_of(world, tender)
        assert (view["tender_status"], view["stage"]) == ("award_proposed", "held")
        assert proposal.contract_from is not None
        refused = await world.clients["officer"].post(
            f"{award_url(world, tender)}/contracts", json=_contract(proposal.contract_from)
        )
        assert problem(refused, 409, "award-refused")["reason"] == "review-pending"

        # When the chamber dismisses the application, a week later
        await at(world, world.clock.now() + timedelta(days=7))
        view = await _resolve(world, tender, review, "dismissed")

        # Then the standstill ends at once, once
        assert (view["tender_status"], view["stage"]) == ("award_proposed", "contract-possible")
        ended = await ended_once(sessions, tender)
        assert ended.standstill_ended_at == world.clock.now()
        # and neither the job's function nor the sweep ends it again
        assert await end(sessions, settings, tender, world.clock.now()) == "skipped"
        assert await sweep(sessions, settings, world.clock.now()) == 0
        await ended_once(sessions, tender)
        # and the contract may be concluded
        await _json(
            await world.clients["officer"].post(
                f"{award_url(world, tender)}/contracts", json=_contract(proposal.contract_from)
            ),
            201,
        )

    async def test_dismissal_during_the_period_leaves_the_end_to_the_job(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a review application dismissed before the standstill is over
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        await at(world, world.clock.now() + timedelta(days=2))
        review = await _review(world, tender)
        await at(world, world.clock.now() + timedelta(days=2))
        view = await _resolve(world, tender, review, "dismissed")

        # Then the standstill still runs
        assert view["stage"] == "standstill"
        assert await events(sessions, "tender.standstill_end") == []

        # When the day of contract begins, the job ends it, once
        world.clock.set(moment_of(proposal))
        assert (await run_due(world, settings)).get(END_STANDSTILL) == ["done"]
        ended = await ended_once(sessions, tender)
        assert ended.standstill_ended_at == moment_of(proposal)

    async def test_upheld_review_resumes_the_evaluation_and_cancels_the_end_job(
        self, world: World, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a review application recorded during the standstill
        tender = await dispatched(world, settings)
        proposal = await proposal_of(sessions, tender)
        key = end_key(tender, proposal)
        await at(world, world.clock.now() + timedelta(days=1))
        review = await _review(world, tender)

        # When the chamber upholds it before the standstill is over
        await at(world, world.clock.now() + timedelta(days=4))
        view = await _resolve(world, tender, review, "upheld")

        # Then the decision is void: the evaluation resumes and the end job is cancelled
        assert (view["tender_status"], view["stage"]) == ("in_evaluation", "evaluation")
        assert (await job_by_key(sessions, key)).state == JobState.CANCELLED
        # and when the day of contract comes, nothing ends and nobody is told
        world.clock.set(moment_of(proposal) + timedelta(minutes=1))
        assert END_STANDSTILL not in await run_due(world, settings)
        assert await end(sessions, settings, tender, world.clock.now()) == "missing"
        assert await sweep(sessions, settings, world.clock.now()) == 0
        assert await events(sessions, "tender.standstill_end") == []
        assert await mails(sessions, ENDED) == []
        assert len(await events(sessions, "tender.evaluation_resume")) == 1

        # When the authority ranks again and a new decision is approved
        await at(world, world.clock.now())
        evaluation = award_url(world, tender).removesuffix("/award") + "/evaluation"
        await _json(await world.clients["officer"].post(f"{evaluation}/ranking"))
        await propose(world, tender)
        await query_register(world, tender)
        await approve(world, tender)
        assert (await run_due(world, settings)).get(DISPATCH_LETTERS) == ["done"]
        # Then new letters go out, numbered on from the first decision's
        letters = (await award_of(world, tender))["letters"]
        assert [letter["number"] for letter in letters] == [
            f"{tender['number']}-I-01",
            f"{tender['number']}-I-02",
        ]
        assert len(await mails(sessions, INFORMATION)) == 4
