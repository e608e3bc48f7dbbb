"""A tender's life with the clock moving (issue 6, "Done when", and item 6): create → publish →
a company downloads → question → answer → amendment → close, with the mails checked; and the
cancellation (Aufhebung) with its ground, its mail, and no closing afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.jobs.models import Job, JobState
from procurement.tenders import closing
from procurement.tenders.cancellation import legal_basis
from procurement.tenders.models import Tender
from tests.procurement.test_amendments import amend, closing_job, stored
from tests.procurement.test_clarifications import answer, ask, download, mails
from tests.procurement.test_tenders import _count, _json, base_url, draft, published
from tests.worlds import World

NEW_DEADLINE = "2026-05-08T12:00:00+02:00"


async def _jobs_settled(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Every job released to the worker has finished."""
    async with sessions() as session:
        busy = await session.scalar(
            select(Job.id).where(Job.state.in_((JobState.QUEUED, JobState.RUNNING))).limit(1)
        )
        return busy is None


def _status(
    sessions: async_sessionmaker[AsyncSession], tender_id: str, status: str
) -> Callable[[], Awaitable[bool]]:
    async def done() -> bool:
        async with sessions() as session:
            row = await session.get(Tender, uuid.UUID(tender_id))
            return row is not None and row.status == status

    return done


async def cancel(
    world: World,
    tender: dict[str, Any],
    *,
    ground: str = "fundamental-change",
    reason: str = "Der Schulstandort wird aufgegeben; der Bedarf ist entfallen.",
    version: int | None = None,
    role: str = "officer",
    organisation: str = "authority",
    status: int = 200,
) -> Any:
    response = await world.clients[role].post(
        f"{base_url(world, organisation)}/{tender['id']}/cancel",
        json={
            "version": tender["version"] if version is None else version,
            "ground": ground,
            "reason": reason,
        },
    )
    return await _json(response, status)


class TestLifecycle:
    async def test_create_publish_question_answer_amend_close(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Friday 27 March, 10:00 in Bremen: the officer writes and publishes
        tender = await published(world)
        assert tender["status"] == "published"
        old_deadline = datetime.fromisoformat(tender["submission_deadline"])

        # a week later a company downloads the documents, another one asks
        world.clock.set(datetime.fromisoformat("2026-04-03T09:00:00+02:00"))
        await world.log_in_again("officer", "owner", "stranger")
        await download(world, tender, "stranger")
        question = await ask(world, tender, "Darf die Baustraße mitbenutzt werden?")
        [notice] = await mails(sessions, world.emails["officer"])
        assert "Darf die Baustraße mitbenutzt werden?" in notice.body

        # the officer answers the next Monday: the downloader hears, without the asker
        world.clock.set(datetime.fromisoformat("2026-04-07T10:00:00+02:00"))
        await world.log_in_again("officer")
        result = await answer(
            world, tender, question["id"], "Ja, nach Absprache mit der Bauleitung."
        )
        assert result["late"] is False
        [answered] = await mails(sessions, world.emails["stranger"])
        assert "Ja, nach Absprache mit der Bauleitung." in answered.body
        assert "Darf die Baustraße mitbenutzt werden?" in answered.body
        for secret in ("Muster Bau", "Alice Muster", world.emails["owner"]):
            assert secret not in answered.body
        public = await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}/answers")
        assert "Muster Bau" not in public.text
        assert [a["number"] for a in public.json()] == [1]

        # two days later the deadline is extended by amendment
        world.clock.set(datetime.fromisoformat("2026-04-09T15:00:00+02:00"))
        await world.log_in_again("officer")
        current = await _json(
            await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}")
        )
        amended = await amend(
            world,
            current,
            {"submission_deadline": NEW_DEADLINE, "binding_until": "2026-07-31"},
            summary="Wegen der Osterferien wird die Angebotsfrist um zwei Wochen verlängert.",
        )
        assert amended["amendment"]["number"] == 1
        for role in ("stranger", "owner"):  # who downloaded, and who asked
            subjects = [m.subject for m in await mails(sessions, world.emails[role])]
            assert f"Änderung Nr. 1: {tender['number']} / Amendment no. 1" in subjects
        job = await closing_job(sessions, tender["id"])
        assert job.run_at == datetime.fromisoformat(NEW_DEADLINE)

        # the old deadline passes: the jobs due run, and the tender stays open
        world.clock.set(old_deadline)
        await world.run_jobs(lambda: _jobs_settled(sessions), "the mails were sent")
        assert (await stored(sessions, tender["id"])).status == "published"
        async with sessions() as session, session.begin():
            assert not await closing.close(
                session, tender_id=uuid.UUID(tender["id"]), now=world.clock.now()
            )
        job = await closing_job(sessions, tender["id"])
        assert job.state == JobState.PENDING

        # the new deadline passes: the job closes it
        world.clock.set(datetime.fromisoformat(NEW_DEADLINE))
        await world.run_jobs(
            _status(sessions, tender["id"], "closed"), "the tender closed at its new deadline"
        )
        row = await stored(sessions, tender["id"])
        assert row.closed_at == datetime.fromisoformat(NEW_DEADLINE)
        for mail in await mails(sessions):
            assert mail.sent_at is not None, mail.subject
        actions = [
            action
            for action in (await _audit_actions(sessions, tender["id"]))
            if action != "tender.document_download"
        ]
        assert actions == [
            "tender.create",
            "tender.document_add",
            "tender.publish",
            "tender.question_ask",
            "tender.question_answer",
            "tender.amend",
            "tender.close",
        ]
        # after closing, no more questions
        await world.log_in_again("owner")
        problem = await ask(world, tender, "Noch eine Frage?", status=409)
        assert problem["code"] == "clarification-closed"


async def _audit_actions(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> list[str]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.object_id == tender_id)
                    .order_by(AuditEvent.seq)
                )
            ).all()
        )


class TestCancellation:
    async def test_a_cancelled_tender_is_announced_and_never_closes(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "stranger")
        view = await cancel(world, tender)
        assert view["status"] == "cancelled"
        assert view["version"] == tender["version"] + 1
        assert view["cancellation_reason"] == (
            "§ 17 Abs. 1 Nr. 2 VOB/A (wesentliche Änderung der Grundlage des Vergabeverfahrens): "
            "Der Schulstandort wird aufgegeben; der Bedarf ist entfallen."
        )
        assert view["cancelled_at"] is not None
        [mail] = await mails(sessions, world.emails["stranger"])
        assert mail.subject == f"Aufhebung: {tender['number']} / Tender cancelled"
        assert "§ 17 Abs. 1 Nr. 2 VOB/A" in mail.body
        assert "der Bedarf ist entfallen" in mail.body
        job = await closing_job(sessions, tender["id"])
        assert job.state == JobState.CANCELLED
        # the deadline passes: nothing closes it
        world.clock.set(datetime.fromisoformat(tender["submission_deadline"]))
        await world.run_jobs(lambda: _jobs_settled(sessions), "the mail was sent")
        async with sessions() as session, session.begin():
            assert await closing.close_overdue(session, now=world.clock.now()) == 0
        assert (await stored(sessions, tender["id"])).status == "cancelled"
        # and nobody asks any more
        await world.log_in_again("owner")
        assert (await ask(world, tender, "Und jetzt?", status=409))["code"] == (
            "clarification-closed"
        )
        public = await _json(
            await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}")
        )
        assert public["status"] == "cancelled"

    async def test_cancelling_twice_has_one_effect(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "owner")
        first = await cancel(world, tender)
        again = await cancel(world, tender, ground="no-economic-result", reason="Ein zweites Mal.")
        assert (again["status"], again["version"]) == ("cancelled", first["version"])
        assert again["cancellation_reason"] == first["cancellation_reason"]
        assert len(await mails(sessions, world.emails["owner"])) == 1
        assert (
            await _count(
                sessions,
                AuditEvent,
                AuditEvent.action == "tender.cancel",
                AuditEvent.object_id == tender["id"],
            )
            == 1
        )

    async def test_refused_cancellations_change_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "owner")
        theirs = await cancel(
            world, tender, role="other_officer", organisation="other_authority", status=404
        )
        assert theirs["code"] == "tender-not-found"
        ours = await cancel(world, tender, role="other_officer", status=404)
        assert ours["code"] == "organisation-not-found"
        for role in ("evaluator", "owner"):
            response = await world.clients[role].post(
                f"{base_url(world)}/{tender['id']}/cancel",
                json={
                    "version": tender["version"],
                    "ground": "fundamental-change",
                    "reason": "Keine Befugnis dazu.",
                },
            )
            assert response.status_code in (403, 404), role
        stale = await cancel(world, tender, version=tender["version"] - 1, status=409)
        assert stale["code"] == "tender-changed"
        for bad in ({"reason": "zu kurz"}, {"reason": " " * 20}, {"ground": "keine Lust"}):
            await cancel(world, tender, **bad, status=422)
        unpublished = await draft(world)
        problem = await cancel(world, unpublished, status=409)
        assert problem["code"] == "wrong-tender-state"
        for tender_id in (tender["id"], unpublished["id"]):
            row = await stored(sessions, tender_id)
            assert row.cancelled_at is None
            assert row.status in ("published", "draft")
        assert (await closing_job(sessions, tender["id"])).state == JobState.PENDING
        assert await mails(sessions, world.emails["owner"]) == []


class TestLegalBasis:
    def test_each_ground_is_cited_for_the_regime_and_kind_of_contract(self) -> None:
        def tender(regime: str, kind: str) -> Tender:
            return Tender(regime=regime, contract_kind=kind)

        assert legal_basis(tender("eu", "services"), "no-economic-result") == (
            "§ 63 Abs. 1 Satz 1 Nr. 3 VgV"
        )
        assert legal_basis(tender("national", "supplies"), "no-suitable-tender") == (
            "§ 48 Abs. 1 Nr. 1 UVgO"
        )
        assert legal_basis(tender("eu", "works"), "other-serious-reasons") == (
            "§ 17 EU Abs. 1 Nr. 3 VOB/A"
        )
        assert legal_basis(tender("national", "works"), "fundamental-change") == (
            "§ 17 Abs. 1 Nr. 2 VOB/A"
        )
