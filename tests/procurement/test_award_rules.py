"""The award's rules and bad input (issue 8, items 3, 5 and 8): four eyes, the competition
register before an award of EUR 30,000 and more, the choice of a bid other than the first with a
note, contracts only after the standstill and within its dates, review applications that hold
the contract; every refusal a clear problem that changes nothing, and nobody outside the
authority reads the award or another company's result."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.identity.models import User
from infra.identity.principal import Principal
from infra.settings import Settings
from procurement.award import proposals
from procurement.award.award_schemas import ManualRegisterAnswer
from procurement.award.models import AwardProposal, RegisterQuery
from procurement.award.register import Company, DevelopmentRegister, PortalRegister
from procurement.errors import InvalidAward
from procurement.tenders.models import Tender
from tests.procurement.award_support import (
    LOSER,
    REASONS,
    WINNER,
    approve,
    award_of,
    award_url,
    propose,
    query_register,
    ranked_tender,
    result_url,
)
from tests.procurement.bid_checks import problem
from tests.procurement.test_tenders import _json
from tests.worlds import World


async def _count(sessions: async_sessionmaker[AsyncSession], *where: Any) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
        )


class TestProposal:
    async def test_no_proposal_without_a_ranking_and_not_by_an_evaluator(
        self, world: World
    ) -> None:
        tender = await ranked_tender(world)
        url = f"{award_url(world, tender)}/proposal"
        # an evaluator does not propose
        refused = await world.clients["evaluator"].post(url, json={"reasons": REASONS})
        assert refused.status_code == 403
        # a change of points drops the ranking and the proposal made from it
        assert (await propose(world, tender))["stage"] == "proposed"
        evaluation = f"{award_url(world, tender).removesuffix('/award')}/evaluation"
        (criterion,) = [c for c in tender["criteria"] if c["kind"] == "quality"]
        await _json(
            await world.clients["evaluator"].put(
                f"{evaluation}/bids/{tender['bids'][LOSER]}/scores",
                json={
                    "lot": 1,
                    "scores": [{"criterion": criterion["position"], "points": "7"}],
                },
            )
        )
        stale = await world.clients["officer"].post(url, json={"reasons": REASONS})
        assert problem(stale, 409, "evaluation-refused")["reason"] == "not-ranked"
        dropped = await award_of(world, tender)
        assert (dropped["stage"], dropped["winners"]) == ("evaluation", [])

    async def test_reasons_are_required_and_a_freely_chosen_bid_needs_a_note(
        self, world: World
    ) -> None:
        tender = await ranked_tender(world)
        url = f"{award_url(world, tender)}/proposal"
        short = await world.clients["officer"].post(url, json={"reasons": "gut"})
        assert short.status_code == 422
        second = {"lot": 1, "bid_id": tender["bids"][LOSER]}
        bare = await world.clients["officer"].post(
            url, json={"reasons": REASONS, "winners": [second]}
        )
        assert "lot 1" in str(problem(bare, 422, "invalid-award")["errors"])
        unknown = await world.clients["officer"].post(
            url, json={"reasons": REASONS, "winners": [{**second, "lot": 9}]}
        )
        problem(unknown, 422, "invalid-award")
        assert (await award_of(world, tender))["stage"] == "evaluation"
        # with a note the second-ranked bid may be chosen (the first withdrew, say)
        noted = await _json(
            await world.clients["officer"].post(
                url,
                json={
                    "reasons": REASONS,
                    "winners": [{**second, "note": "Die Muster Bau GmbH hat Los 1 abgesagt."}],
                },
            ),
            201,
        )
        assert [(w["lot"], w["company_name"], w["rank"]) for w in noted["winners"]] == [
            (1, LOSER, 2),
            (2, WINNER, 1),
        ]
        # and a new proposal replaces an unapproved one
        again = await propose(world, tender)
        assert [w["company_name"] for w in again["winners"]] == [WINNER, WINNER]

    async def test_the_largest_price_a_bid_may_state_is_awarded_in_full(self, world: World) -> None:
        # The company's lot 1 costs just under EUR 10 trillion, the most a bid may state;
        # the officer chooses it all the same (with a note) and it wins lot 2 as well
        tender = await ranked_tender(world, lot1="9999999999999.99")
        largest = {
            "lot": 1,
            "bid_id": tender["bids"][WINNER],
            "note": "Nur dieses Angebot erfüllt die Anforderungen an die Bauzeit.",
        }
        proposed = await _json(
            await world.clients["officer"].post(
                f"{award_url(world, tender)}/proposal",
                json={"reasons": REASONS, "winners": [largest]},
            ),
            201,
        )
        assert [(w["lot"], w["value"]) for w in proposed["winners"]] == [
            (1, "9999999999999.99"),
            (2, "98000.00"),
        ]
        # and the register query records the sum of both
        (query,) = (await query_register(world, tender))["register_queries"]
        assert query["value"] == "10000000097999.99"


class TestApproval:
    async def test_four_eyes_the_proposer_never_approves(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await ranked_tender(world)
        await propose(world, tender, role="officer2")
        await query_register(world, tender)
        own = await world.clients["officer2"].post(f"{award_url(world, tender)}/approval", json={})
        problem(own, 403, "four-eyes-required")
        view = await award_of(world, tender)
        assert (view["stage"], view["approved_at"]) == ("proposed", None)
        assert await _count(sessions, AuditEvent.action == "tender.award_approve") == 0
        # an evaluator is no officer
        evaluator = await world.clients["evaluator"].post(
            f"{award_url(world, tender)}/approval", json={}
        )
        assert evaluator.status_code == 403
        # the other officer approves
        assert (await approve(world, tender, role="officer"))["stage"] == "dispatching"
        twice = await world.clients["officer2"].post(
            f"{award_url(world, tender)}/approval", json={}
        )
        assert problem(twice, 409, "award-refused")["reason"] == "approved"

    async def test_register_entries_need_a_note_on_self_cleaning(
        self, world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        tender = await ranked_tender(world)
        await propose(world, tender)
        # the register reports entries about the company to be awarded
        async with sessions() as session, session.begin():
            row = await session.get(Tender, uuid.UUID(tender["id"]))
            assert row is not None
            officer = await _principal(session, world, "officer")
            (query,) = await proposals.query_register(
                session,
                profile=settings.profile,
                tender=row,
                adapter=DevelopmentRegister(frozenset({WINNER})),
                answers=[],
                by=officer,
                now=world.clock.now(),
            )
            assert query.entries is True
        url = f"{award_url(world, tender)}/approval"
        bare = await world.clients["officer2"].post(url, json={})
        assert problem(bare, 409, "award-refused")["reason"] == "register-entries"
        noted = await _json(
            await world.clients["officer2"].post(
                url,
                json={"register_note": "Selbstreinigung nach § 125 GWB nachgewiesen (Anlage 3)."},
            )
        )
        assert noted["tender_status"] == "award_proposed"

    async def test_a_query_before_a_new_proposal_does_not_count(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await ranked_tender(world)
        await propose(world, tender)
        await query_register(world, tender)
        world.clock.advance(timedelta(minutes=5))
        await propose(world, tender)
        stale = await world.clients["officer2"].post(
            f"{award_url(world, tender)}/approval", json={}
        )
        assert problem(stale, 409, "award-refused")["reason"] == "register-query-missing"
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(RegisterQuery)) == 1


class TestRegisterAdapters:
    COMPANY = Company(
        legal_name=WINNER,
        register_court="Bremen",
        register_number="HRB 12345",
        vat_id="DE123456789",
        city="Bremen",
    )

    async def test_the_development_register_records_a_reproducible_reference(self) -> None:
        moment = datetime(2026, 5, 4, 9, tzinfo=UTC)
        one = await DevelopmentRegister().query(
            self.COMPANY, value=Decimal("40000"), at=moment, manual=None
        )
        two = await DevelopmentRegister().query(
            self.COMPANY, value=Decimal("40000"), at=moment, manual=None
        )
        assert one == two
        assert one.entries is False
        assert '"entries":[]' in one.answer
        listed = await DevelopmentRegister(frozenset({"DE123456789"})).query(
            self.COMPANY, value=Decimal("40000"), at=moment, manual=None
        )
        assert listed.entries is True

    async def test_the_portal_adapter_takes_the_answer_the_officer_received(self) -> None:
        moment = datetime(2026, 5, 4, 9, tzinfo=UTC)
        with pytest.raises(InvalidAward, match="portal"):
            await PortalRegister().query(
                self.COMPANY, value=Decimal("40000"), at=moment, manual=None
            )
        manual = ManualRegisterAnswer(
            organisation_id=uuid.uuid4(), reference="WR-2026-0815", entries=False, answer="{}"
        )
        answer = await PortalRegister().query(
            self.COMPANY, value=Decimal("40000"), at=moment, manual=manual
        )
        assert (answer.reference, answer.entries) == ("WR-2026-0815", False)


class TestWhoSeesWhat:
    async def test_outsiders_read_no_award_and_companies_only_their_own_result(
        self, world: World
    ) -> None:
        tender = await ranked_tender(world)
        await propose(world, tender)
        # another authority's officer finds no such tender; a company has no office access
        foreign = await world.clients["other_officer"].get(
            award_url(world, tender, "other_authority")
        )
        assert foreign.status_code == 404
        company = await world.clients["owner"].get(award_url(world, tender))
        assert company.status_code in (403, 404)
        anonymous = await world.clients["anonymous"].get(award_url(world, tender))
        assert anonymous.status_code == 401
        # a company reads its own result only, and a company without a bid has none
        other = await world.clients["owner"].get(result_url(world, tender, "other_company"))
        assert other.status_code == 404
        none = await world.clients["owner"].get(
            f"/api/v1/organisations/{world.organisations['company']}/bids/{uuid.uuid4()}/result"
        )
        assert none.status_code == 404


class TestContractsAndReviews:
    async def test_bad_contracts_and_reviews_change_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await ranked_tender(world)
        url = award_url(world, tender)
        # before any decision: no review, no contract, no completion
        for path, body in (
            ("/reviews", {"applicant": LOSER, "reference": "VK 1/26", "received_on": "2026-04-24"}),
            ("/contracts", {"lot": 1, "concluded_on": "2026-04-24"}),
            ("/completion", None),
        ):
            early = await world.clients["officer"].post(f"{url}{path}", json=body)
            problem(early, 409, "award-refused")
        await propose(world, tender)
        await query_register(world, tender)
        await approve(world, tender)

        async def dispatched() -> bool:
            return (await award_of(world, tender))["stage"] == "standstill"

        await world.run_jobs(dispatched, "the letters are sent")
        today = world.clock.now().date()
        # a review notice from the future, malformed values, unknown review
        future = await world.clients["officer"].post(
            f"{url}/reviews",
            json={"applicant": LOSER, "reference": "VK 1/26", "received_on": "2099-01-01"},
        )
        problem(future, 422, "invalid-award")
        for body in (
            {"applicant": LOSER},
            {"applicant": LOSER, "reference": "VK 1/26", "received_on": "gestern"},
            {"applicant": LOSER, "reference": "VK 1/26", "received_on": "2026-04-24", "x": 1},
        ):
            bad = await world.clients["officer"].post(f"{url}/reviews", json=body)
            problem(bad, 422, "invalid")
        malformed = await world.clients["officer"].post(
            f"{url}/reviews",
            content=b'{"applicant": ',
            headers={"content-type": "application/json"},
        )
        problem(malformed, 400, "malformed")
        unknown = await world.clients["officer"].post(
            f"{url}/reviews/{uuid.uuid4()}/resolution", json={"outcome": "dismissed"}
        )
        problem(unknown, 422, "invalid-award")
        assert (await award_of(world, tender))["reviews"] == []
        # a review application holds the contract past the end of the period
        held = await _json(
            await world.clients["officer"].post(
                f"{url}/reviews",
                json={"applicant": LOSER, "reference": "VK 1/26", "received_on": str(today)},
            ),
            201,
        )
        (review,) = held["reviews"]
        assert held["stage"] == "held"
        moment = held["standstill"]["contract_from_moment"]
        world.clock.set(datetime.fromisoformat(moment) + timedelta(hours=1))
        await world.log_in_again(*world.clients.keys() - {"anonymous"})
        await world.worker.scheduler(world.engine).tick()
        contract = {"lot": 1, "concluded_on": held["standstill"]["contract_from"]}

        async def still_held() -> bool:
            async with sessions() as session:
                proposal = await session.get(AwardProposal, uuid.UUID(tender["id"]))
                return proposal is not None and proposal.standstill_ended_at is None

        await world.run_jobs(still_held, "the standstill job ran and held")
        refused = await world.clients["officer"].post(f"{url}/contracts", json=contract)
        assert problem(refused, 409, "award-refused")["reason"] == "review-pending"
        # the chamber dismisses it: the contract becomes possible at once
        resolved = await _json(
            await world.clients["officer"].post(
                f"{url}/reviews/{review['id']}/resolution",
                json={"outcome": "dismissed", "note": "Antrag unzulässig."},
            )
        )
        assert resolved["stage"] == "contract-possible"
        again = await world.clients["officer"].post(
            f"{url}/reviews/{review['id']}/resolution", json={"outcome": "withdrawn"}
        )
        assert problem(again, 409, "award-refused")["reason"] == "resolved"
        # contracts with bad values or dates, or for a lot not awarded, are refused
        for body, status in (
            ({"lot": 1, "concluded_on": "2026-01-01"}, 422),
            ({"lot": 1, "concluded_on": "2099-01-01"}, 422),
            ({"lot": 3, "concluded_on": contract["concluded_on"]}, 422),
            ({**contract, "value": "-5"}, 422),
            ({**contract, "value": "10.001"}, 422),
            ({**contract, "value": "NaN"}, 422),
            ({"lot": "eins", "concluded_on": contract["concluded_on"]}, 422),
        ):
            bad = await world.clients["officer"].post(f"{url}/contracts", json=body)
            assert bad.status_code == status, (body, bad.text)
        assert (await award_of(world, tender))["contracts"] == []
        # an evaluator records no contract
        evaluator = await world.clients["evaluator"].post(f"{url}/contracts", json=contract)
        assert evaluator.status_code == 403
        # one contract, then the same lot again is refused
        await _json(await world.clients["officer"].post(f"{url}/contracts", json=contract), 201)
        twice = await world.clients["officer"].post(f"{url}/contracts", json=contract)
        assert problem(twice, 409, "award-refused")["reason"] == "concluded"
        # not completed before every lot has its contract
        unfinished = await world.clients["officer"].post(f"{url}/completion")
        assert problem(unfinished, 409, "award-refused")["reason"] == "not-awarded"


async def _principal(session: AsyncSession, world: World, role: str) -> Principal:
    user = await session.scalar(select(User).where(User.email == world.emails[role]))
    assert user is not None
    return Principal(kind="user", user_id=user.id, email=user.email, name=user.name)
