"""The award end to end through the API (issue 8): tender → bids → opening → evaluation →
proposal → competition register query → approval by a second officer → information letters
(sealed PDF, mail, platform) → standstill end by the job → contract → awarded → completed, with
a moving clock; dispatch on a Friday with the period ending on a public holiday, before a
holiday with the period ending on a Saturday, and late at night across the change from summer
to winter time."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.mail.models import Mail
from procurement.award.models import AwardProposal
from tests.procurement.award_support import (
    LOSER,
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

LOSER_MAIL, LOSER_CONTACT = "owner@deichbau.example", "info@deichbauag.example"
WINNER_CONTACT = "info@musterbaugmbh.example"


class Case:
    def __init__(self, dispatch: str, last_day: date, contract_from: date, moment: str) -> None:
        self.dispatch = datetime.fromisoformat(dispatch)
        self.last_day = last_day
        self.contract_from = contract_from
        self.moment = datetime.fromisoformat(moment)


CASES = {
    # Friday 15 May 2026: the period 16–25 May ends on Whit Monday, a holiday; by default
    # (VK Bund, VK 2-77/21) the end does not move: contract from Tuesday 26 May.
    "friday-ending-on-a-holiday": Case(
        "2026-05-15T10:00:00+02:00", date(2026, 5, 25), date(2026, 5, 26), "2026-05-25T22:00Z"
    ),
    # Wednesday 13 May 2026, the day before Ascension Day: the holiday counts like any day;
    # the period 14–23 May ends on a Saturday, contract from Sunday 24 May.
    "before-a-holiday": Case(
        "2026-05-13T16:45:00+02:00", date(2026, 5, 23), date(2026, 5, 24), "2026-05-23T22:00Z"
    ),
    # 00:30 on Saturday 17 October 2026 in Bremen is still Friday in UTC: the local day
    # counts; the period 18–27 October spans the return to winter time on the 25th, and the
    # contract day begins at 23:00 UTC.
    "across-the-time-change": Case(
        "2026-10-16T22:30:00+00:00", date(2026, 10, 27), date(2026, 10, 28), "2026-10-27T23:00Z"
    ),
}


async def _at(world: World, moment: datetime) -> None:
    world.clock.set(moment)
    await world.log_in_again(*world.clients.keys() - {"anonymous"})


async def _mails(sessions: async_sessionmaker[AsyncSession], subject: str) -> list[Mail]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Mail).where(Mail.subject.startswith(subject)).order_by(Mail.to_address)
        )
        return list(rows)


async def _actions(sessions: async_sessionmaker[AsyncSession], action: str) -> int:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEvent.action).where(AuditEvent.action == action))
        return len(list(rows))


def _seal(pdf: bytes) -> tuple[int, int]:
    """The PDF's signatures and document timestamps (the platform's seal is PAdES B-LTA)."""
    reader = PdfFileReader(BytesIO(pdf))
    return len(reader.embedded_regular_signatures), len(reader.embedded_timestamp_signatures)


class TestAwardEndToEnd:
    @pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
    async def test_from_ranking_to_completed_contract(
        self, world: World, sessions: async_sessionmaker[AsyncSession], case: Case
    ) -> None:
        # Given a tender whose two bids are opened, admitted, scored and ranked
        tender = await ranked_tender(world)
        await _at(world, case.dispatch - timedelta(hours=1))
        # When an officer proposes the award (the first-ranked bid in each lot)
        proposed = await propose(world, tender)
        assert proposed["stage"] == "proposed"
        assert [(w["lot"], w["company_name"]) for w in proposed["winners"]] == [
            (1, WINNER),
            (2, WINNER),
        ]
        assert proposed["winners"][0]["value"] == "512345.67"
        assert proposed["winners"][0]["register_query_required"] is True
        # And the bidders learn nothing yet
        pending = await _json(
            await world.clients["stranger"].get(result_url(world, tender, "other_company"))
        )
        assert (pending["result"], pending["letters"]) == ("pending", [])
        # And the approval waits for the competition register (§ 6 WRegG)
        early = await world.clients["officer2"].post(
            f"{award_url(world, tender)}/approval", json={}
        )
        assert problem(early, 409, "award-refused")["reason"] == "register-query-missing"
        queried = await query_register(world, tender)
        (query,) = queried["register_queries"]
        assert (query["company_name"], query["entries"], query["adapter"]) == (
            WINNER,
            False,
            "development",
        )
        assert query["reference"].startswith("DEV-WR-")
        # And the proposer cannot approve their own proposal
        own = await world.clients["officer"].post(f"{award_url(world, tender)}/approval", json={})
        problem(own, 403, "four-eyes-required")
        # When a second officer approves it at the moment of dispatch
        await _at(world, case.dispatch)
        approved = await approve(world, tender)
        assert approved["tender_status"] == "award_proposed"
        assert approved["approved_by"] == "Otto Zweit"

        async def dispatched() -> bool:
            return (await award_of(world, tender))["stage"] == "standstill"

        await world.run_jobs(dispatched, "the information letters are sent")
        view = await award_of(world, tender)
        # Then the unsuccessful bidder got one sealed letter naming the standstill
        (letter,) = view["letters"]
        assert letter["company_name"] == LOSER
        assert letter["contract_from"] == case.contract_from.isoformat()
        standstill = view["standstill"]
        assert standstill["last_day"] == case.last_day.isoformat()
        assert standstill["contract_from"] == case.contract_from.isoformat()
        assert datetime.fromisoformat(standstill["contract_from_moment"]) == case.moment
        assert datetime.fromisoformat(standstill["dispatched_at"]) == case.dispatch
        # by mail to the company and the person who submitted, with the sealed PDF attached
        sent = await _mails(sessions, "Information nach § 134 GWB")
        assert sorted(m.to_address for m in sent) == sorted({LOSER_MAIL, LOSER_CONTACT})
        mail = sent[0]
        assert mail.attachment is not None
        assert _seal(mail.attachment) == (1, 1)
        assert {m.attachment for m in sent} == {mail.attachment}
        assert case.contract_from.strftime("%d.%m.%Y") in mail.body
        # and on the platform, for that company only
        result = await _json(
            await world.clients["stranger"].get(result_url(world, tender, "other_company"))
        )
        assert result["result"] == "unsuccessful"
        assert result["contract_from"] == case.contract_from.isoformat()
        pdf = await world.clients["stranger"].get(
            f"{result_url(world, tender, 'other_company')}/letters/{letter['id']}"
        )
        assert pdf.status_code == 200
        assert pdf.content == mail.attachment
        other = await world.clients["owner"].get(
            f"{result_url(world, tender)}/letters/{letter['id']}"
        )
        problem(other, 404, "letter-not-found")
        winner = await _json(await world.clients["owner"].get(result_url(world, tender)))
        assert (winner["result"], winner["awarded_lots"], winner["letters"]) == (
            "to-be-awarded",
            [1, 2],
            [],
        )
        # And no contract is possible during the standstill
        contract = {"lot": 1, "concluded_on": case.dispatch.date().isoformat()}
        running = await world.clients["officer"].post(
            f"{award_url(world, tender)}/contracts", json=contract
        )
        assert problem(running, 409, "award-refused")["reason"] == "standstill-running"
        # When the clock reaches the last instant of the period, the job is not yet due
        await _at(world, case.moment - timedelta(seconds=1))
        await world.worker.scheduler(world.engine).tick()
        assert (await award_of(world, tender))["stage"] == "standstill"
        # When the day of contract begins, the job makes the contract possible
        await _at(world, case.moment)

        async def ended() -> bool:
            return (await award_of(world, tender))["stage"] == "contract-possible"

        await world.run_jobs(ended, "the standstill has ended")
        officers = await _mails(sessions, "Stillhaltefrist abgelaufen")
        assert sorted(m.to_address for m in officers) == [
            "officer2@immobilien.bremen.example",
            "officer@immobilien.bremen.example",
        ]
        # And a contract dated before the day of contract is refused
        before = await world.clients["officer"].post(
            f"{award_url(world, tender)}/contracts",
            json={"lot": 1, "concluded_on": case.last_day.isoformat()},
        )
        problem(before, 422, "invalid-award")
        # When the contracts of both lots are recorded on the day of contract
        for lot in (1, 2):
            view = await _json(
                await world.clients["officer"].post(
                    f"{award_url(world, tender)}/contracts",
                    json={"lot": lot, "concluded_on": case.contract_from.isoformat()},
                ),
                201,
            )
        # Then the tender is awarded, the winner told, the bidder sees it
        assert (view["tender_status"], view["stage"]) == ("awarded", "awarded")
        assert [c["value"] for c in view["contracts"]] == ["512345.67", "98000.00"]
        (told,) = await _mails(sessions, "Zuschlag erteilt")
        assert told.to_address == WINNER_CONTACT
        winner = await _json(await world.clients["owner"].get(result_url(world, tender)))
        assert (winner["result"], winner["awarded_lots"]) == ("awarded", [1, 2])
        # And the award data are ready for publication
        notice = await _json(
            await world.clients["evaluator"].get(f"{award_url(world, tender)}/publication")
        )
        assert notice["bids_received"] == 2
        assert [(lot["company_name"], lot["concluded_on"]) for lot in notice["lots"]] == [
            (WINNER, case.contract_from.isoformat()),
            (WINNER, case.contract_from.isoformat()),
        ]
        # When the officer completes the tender
        done = await _json(
            await world.clients["officer"].post(f"{award_url(world, tender)}/completion")
        )
        assert (done["tender_status"], done["stage"]) == ("completed", "completed")
        # Then every step is in the audit trail once
        for action in (
            "tender.award_propose",
            "tender.register_query",
            "tender.award_approve",
            "tender.information_sent",
            "tender.standstill_end",
            "tender.awarded",
            "tender.complete",
        ):
            assert await _actions(sessions, action) == 1, action
        async with sessions() as session:
            proposal = await session.get(AwardProposal, uuid.UUID(tender["id"]))
        assert proposal is not None
        assert proposal.standstill_ended_at == case.moment
