"""Bids through the API (issue 7): preparing, submitting in time and not after, resubmitting,
withdrawing, the receipt, the two-person opening, the opened bids and the minutes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.identity.models import User
from infra.identity.principal import Principal
from infra.settings import Settings
from procurement.bids import submission
from procurement.bids.controllers import bid_sealing
from procurement.bids.models import Bid, BidDocument, Submission
from procurement.bids.schemas import BidContent
from procurement.errors import DeadlinePassed
from tests.procurement.bid_checks import problem
from tests.procurement.bid_support import (
    INSURANCE,
    OFFER,
    bid_content,
    bid_url,
    bids_url,
    deadline_of,
    declare_no_conflict,
    office_url,
    open_bids,
    pass_deadline,
    submit,
)
from tests.procurement.test_clarifications import mails
from tests.procurement.test_tenders import _count, _json, published
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.worlds import World


async def _receipt_sealed(sessions: async_sessionmaker[AsyncSession], receipt_id: str) -> bool:
    async with sessions() as session:
        row = await session.get(Submission, uuid.UUID(receipt_id))
        return row is not None and row.receipt_pdf is not None


class TestSubmitting:
    async def test_two_companies_submit_and_two_officers_open_with_minutes(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a published tender and two companies' bids before the deadline
        tender = await published(world)
        first = await submit(world, tender)
        world.clock.advance(timedelta(seconds=30))
        second = await submit(world, tender, role="stranger")
        # Then each gets a receipt with the time, every document's hash and the bid's hash
        assert first["kind"] == "submission"
        assert first["received_at"] < tender["submission_deadline"].replace("+02:00", "")
        assert first["received_at_local"] == "2026-03-27T10:00:00+01:00"
        assert [d["sha256"] for d in first["documents"]] == [
            hashlib.sha256(OFFER).hexdigest(),
            hashlib.sha256(INSURANCE).hexdigest(),
        ]
        assert first["lots"] == [1, 2]
        assert len(first["bid_sha256"]) == 64
        # And a mail that names neither documents nor prices
        (mail,) = await mails(sessions, world.emails["owner"])
        assert first["receipt_number"] in mail.body
        assert first["bid_sha256"] in mail.body
        assert "612345" not in mail.body
        assert "angebot.pdf" not in mail.body
        # And the sealed receipt PDF is made by the worker
        await world.run_jobs(lambda: _receipt_sealed(sessions, first["id"]), "receipt sealed")
        pdf = await world.clients["owner"].get(
            f"{bid_url(world, tender)}/receipts/{first['id']}/pdf"
        )
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        # Before the deadline the authority sees the number of bids and nothing else
        count = await _json(await world.clients["officer"].get(f"{office_url(world, tender)}/bids"))
        assert count["bids"] == 2
        sealed = await world.clients["officer"].get(f"{office_url(world, tender)}/bids/opened")
        assert sealed.status_code == 409
        assert sealed.json()["code"] == "bids-sealed"
        # When the deadline passes and two officers open the bids
        await pass_deadline(world, tender, timedelta(minutes=5))
        opened = await open_bids(world, tender)
        assert opened["confirmed_by"] == "Otto Zweit"
        assert opened["started_by"] == "Olga Vergabe"
        # Then an evaluator reads nothing before declaring no conflict of interest (§ 6 VgV)
        opened_url = f"{office_url(world, tender)}/bids/opened"
        problem(await world.clients["evaluator"].get(opened_url), 403, "declaration-required")
        # and then the bids with prices, each read recorded
        await declare_no_conflict(world, tender)
        bids = await _json(await world.clients["evaluator"].get(opened_url))
        assert [b["company_name"] for b in bids] == ["Muster Bau GmbH", "Deichbau AG"]
        assert [lot["price"] for lot in bids[0]["lots"]] == ["612345.67", "98000.00"]
        document = bids[1]["documents"][0]
        response = await world.clients["evaluator"].get(
            f"{office_url(world, tender)}/bids/{bids[1]['id']}/documents/{document['id']}"
        )
        assert response.status_code == 200
        assert response.content == OFFER
        assert await _count(sessions, AuditEvent, AuditEvent.action == "bid.read") == 2
        assert await _count(sessions, AuditEvent, AuditEvent.action == "bid.document_read") == 1
        # And the minutes are sealed by the worker

        async def minutes_ready() -> bool:
            response = await world.clients["officer"].get(
                f"{office_url(world, tender)}/opening/minutes"
            )
            return response.status_code == 200

        await world.run_jobs(minutes_ready, "minutes sealed")
        assert second["receipt_number"] != first["receipt_number"]

    async def test_a_submission_after_the_deadline_is_refused_and_nothing_is_stored(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        world.clock.set(deadline_of(tender))
        await world.log_in_again("owner")
        problem = await submit(world, tender, status=409)
        assert problem["code"] == "deadline-passed"
        assert problem["deadline"].startswith("2026-04-24T10:00:00")
        assert await _count(sessions, Submission) == 0
        assert await _count(sessions, BidDocument) == 0

    async def test_the_same_idempotency_key_submits_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        first = await submit(world, tender, idempotency_key="abc-1")
        again = await submit(world, tender, idempotency_key="abc-1", status=200)
        assert again["id"] == first["id"]
        assert await _count(sessions, Submission) == 1

    async def test_a_resubmission_replaces_the_bid_and_the_first_receipt_survives(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        first = await submit(world, tender)
        second = await submit(
            world, tender, content=bid_content(lots=[{"lot": 1, "price": "1.00"}])
        )
        assert second["kind"] == "resubmission"
        bid = await _json(await world.clients["owner"].get(bid_url(world, tender)))
        assert [r["in_force"] for r in bid["receipts"]] == [False, True]
        assert bid["receipts"][0]["id"] == first["id"]
        assert await _count(sessions, Bid) == 1

    async def test_a_withdrawn_bid_is_not_counted_and_not_opened(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await submit(world, tender)
        bid = await _json(await world.clients["owner"].get(bid_url(world, tender)))
        receipt = await _json(
            await world.clients["owner"].post(
                f"{bid_url(world, tender)}/withdrawal", json={"version": bid["version"]}
            ),
            201,
        )
        assert receipt["kind"] == "withdrawal"
        count = await _json(await world.clients["officer"].get(f"{office_url(world, tender)}/bids"))
        assert count["bids"] == 0
        await pass_deadline(world, tender, timedelta(minutes=1))
        await open_bids(world, tender)
        bids = await _json(
            await world.clients["officer"].get(f"{office_url(world, tender)}/bids/opened")
        )
        assert bids == []


class TestOpening:
    @pytest.mark.parametrize("who", ["officer"])
    async def test_one_officer_cannot_open_alone(self, world: World, who: str) -> None:
        tender = await published(world)
        await submit(world, tender)
        await pass_deadline(world, tender, timedelta(minutes=1))
        url = f"{office_url(world, tender)}/opening"
        await _json(await world.clients[who].post(url), 201)
        problem = await _json(await world.clients[who].post(f"{url}/confirmation"), 409)
        assert problem["reason"] == "same-officer"

    async def test_nobody_opens_before_the_deadline(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        url = f"{office_url(world, tender)}/opening"
        problem = await _json(await world.clients["officer"].post(url), 409)
        assert problem["reason"] == "deadline-not-passed"
        async with sessions() as session:
            refused = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "tender.refused")
                )
            ).all()
        assert [event.object_id for event in refused] == [tender["id"]]

    async def test_the_draft_is_the_companys_alone(self, world: World) -> None:
        tender = await published(world)
        await submit(world, tender)
        other = await world.clients["stranger"].get(f"{bids_url(world, 'company')}/{tender['id']}")
        assert other.status_code == 404
        own = await _json(await world.clients["member"].get(bid_url(world, tender)))
        assert own["content"]["lots"][0]["price"] == "612345.67"


class TestSignatures:
    async def test_signatures_are_checked_at_receipt_and_shown_only_after_the_opening(
        self,
        world: World,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        pki: TestPki,
    ) -> None:
        # Given a tender asking for qualified signatures, and a bid with one signed document
        install_test_trust(settings, pki)
        signed = sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")
        tender = await published(world, bid_signature="qualified")
        assert tender["bid_signature"] == "qualified"
        await submit(
            world,
            tender,
            documents=[
                ("angebot.pdf", signed, "offer"),
                ("haftpflicht.pdf", INSURANCE, "liability-insurance"),
            ],
        )

        # When the worker has checked both documents
        async def checked() -> bool:
            async with sessions() as session:
                rows = (await session.scalars(select(BidDocument))).all()
                return len(rows) == 2 and all(row.checked is not None for row in rows)

        await world.run_jobs(checked, "bid documents checked")
        # Then the result is sealed: no signer name in the row before the opening
        async with sessions() as session:
            for row in (await session.scalars(select(BidDocument))).all():
                assert row.checked is not None
                assert b"Alice" not in row.checked
                assert b"accepted" not in row.checked
        # And after the opening the evaluators see it per document
        await pass_deadline(world, tender, timedelta(minutes=1))
        await open_bids(world, tender)
        await declare_no_conflict(world, tender)
        (bid,) = await _json(
            await world.clients["evaluator"].get(f"{office_url(world, tender)}/bids/opened")
        )
        offer, insurance = bid["documents"]
        assert offer["signature"]["meets_requirement"] is True
        assert offer["signature"]["label"] == "QESig"
        assert offer["signature"]["signers"] == ["Alice Muster"]
        assert insurance["signature"]["meets_requirement"] is False


class TestReceiptTime:
    async def test_the_receipt_time_is_taken_last_and_a_late_one_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        # Given a submission that starts 1 µs before the deadline and is stored at it
        tender = await published(world)
        deadline = deadline_of(tender)
        moments = iter([deadline - timedelta(microseconds=1), deadline])
        async with sessions() as session:
            owner = await session.scalar(select(User).where(User.email == world.emails["owner"]))
        assert owner is not None
        by = Principal(kind="user", user_id=owner.id, email=owner.email)
        sealing = bid_sealing(settings)
        written: list[uuid.UUID] = []
        # Then it is refused, naming the deadline and the time of receipt
        with pytest.raises(DeadlinePassed) as refused:
            async with sessions() as session, session.begin():
                await submission.submit(
                    session,
                    sealing=sealing,
                    profile=settings.profile,
                    public_url=settings.public_url,
                    tender_id=uuid.UUID(tender["id"]),
                    organisation_id=world.organisations["company"],
                    version=None,
                    content=msgspec.convert(bid_content(), BidContent),
                    uploads=[
                        submission.Upload(
                            filename="angebot.pdf",
                            media_type="application/pdf",
                            data=OFFER,
                            requirement="offer",
                        ),
                        submission.Upload(
                            filename="haftpflicht.pdf",
                            media_type="application/pdf",
                            data=INSURANCE,
                            requirement="liability-insurance",
                        ),
                    ],
                    limit=settings.signatures.max_document_bytes,
                    max_documents=settings.bids.max_documents,
                    idempotency_key=None,
                    by=by,
                    clock=lambda: next(moments),
                    written=written,
                )
        assert refused.value.extra["received_at"] == deadline.isoformat()
        # And nothing was stored
        assert await _count(sessions, Submission) == 0
