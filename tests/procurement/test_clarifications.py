"""Clarifications through the API (issue 6, items 4 and 9): companies ask before the deadline for
questions, only the authority sees who asked, an answer reaches everyone interested by mail and
the public list without the asker, and § 20 Abs. 3 VgV flags a late answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.mail.models import Mail
from procurement.tenders.models import Question
from tests.procurement.test_tenders import _count, _json, base_url, draft, published
from tests.worlds import World

EU_TENDER: dict[str, Any] = {
    "procedure": "open",
    "estimated_value": "5404000.00",
    "clarification_deadline": "2026-04-30T12:00:00+02:00",
    "submission_deadline": "2026-05-08T12:00:00+02:00",
    "binding_until": "2026-07-31",
}
"""An open EU procedure: 30 days from 27 March end with 27 April; answers are due six days
before 8 May, by the start of 2 May (Berlin)."""


def questions_url(world: World, organisation: str = "company") -> str:
    return f"/api/v1/organisations/{world.organisations[organisation]}/tender-questions"


async def ask(
    world: World, tender: dict[str, Any], text: str, role: str = "owner", status: int = 201
) -> Any:
    response = await world.clients[role].post(
        questions_url(world), json={"tender_id": tender["id"], "text": text}
    )
    return await _json(response, status)


async def answer(
    world: World,
    tender: dict[str, Any],
    question_id: str,
    text: str,
    role: str = "officer",
    status: int = 200,
) -> Any:
    url = f"{base_url(world)}/{tender['id']}/questions/{question_id}/answer"
    return await _json(await world.clients[role].post(url, json={"text": text}), status)


async def download(world: World, tender: dict[str, Any], role: str) -> None:
    """``role`` downloads the tender's first document: their company becomes interested."""
    document = tender["documents"][0]["id"]
    response = await world.clients[role].get(f"/api/v1/tenders/{tender['id']}/documents/{document}")
    assert response.status_code == 200, response.text


async def mails(sessions: async_sessionmaker[AsyncSession], to: str | None = None) -> list[Mail]:
    async with sessions() as session:
        query = select(Mail).order_by(Mail.created_at, Mail.to_address)
        if to is not None:
            query = query.where(Mail.to_address == to)
        return list((await session.scalars(query)).all())


class TestAsking:
    async def test_a_company_asks_numbered_and_the_officers_hear_of_it(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        first = await ask(world, tender, "Ist eine Baustelleneinrichtungsfläche vorhanden?")
        second = await ask(world, tender, "Gibt es ein Bodengutachten?", role="member")
        assert (first["number"], second["number"]) == (1, 2)
        assert first["tender_id"] == tender["id"]
        assert first["answer_expected_by"] is None  # national: no fixed period
        for officer in ("officer", "officer2"):
            subjects = sorted(m.subject for m in await mails(sessions, world.emails[officer]))
            assert subjects == [
                f"Neue Bieterfrage Nr. 1: {tender['number']} / New question no. 1",
                f"Neue Bieterfrage Nr. 2: {tender['number']} / New question no. 2",
            ]
        # (both mails bear the same moment: the first question's is found by its subject)
        officer_mail = next(
            mail
            for mail in await mails(sessions, world.emails["officer"])
            if "Nr. 1:" in mail.subject
        )
        assert "Baustelleneinrichtungsfläche" in officer_mail.body
        assert f"/ausschreibungen/{tender['id']}" in officer_mail.body
        assert await mails(sessions, world.emails["evaluator"]) == []
        inbox = await _json(
            await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}/questions")
        )
        assert [(q["number"], q["organisation_name"], q["answer"]) for q in inbox] == [
            (1, "Muster Bau GmbH", None),
            (2, "Muster Bau GmbH", None),
        ]
        assert (
            await _count(
                sessions,
                AuditEvent,
                AuditEvent.action == "tender.question_ask",
                AuditEvent.object_id == tender["id"],
            )
            == 2
        )

    async def test_a_question_after_the_clarification_deadline_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        world.clock.set(datetime.fromisoformat(tender["clarification_deadline"]))
        await world.log_in_again("owner")
        problem = await ask(world, tender, "Noch eine Frage?", status=409)
        assert problem["code"] == "clarification-closed"
        assert await _count(sessions, Question) == 0
        assert await mails(sessions) == []

    async def test_without_a_deadline_for_questions_they_end_with_the_submission_deadline(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world, clarification_deadline=None)
        deadline = datetime.fromisoformat(tender["submission_deadline"])
        world.clock.set(deadline - timedelta(minutes=1))
        await world.log_in_again("owner")
        assert (await ask(world, tender, "Kurz vor Schluss?"))["number"] == 1
        world.clock.set(deadline)
        await world.log_in_again("owner")
        problem = await ask(world, tender, "Zu spät?", status=409)
        assert problem["code"] == "clarification-closed"
        assert await _count(sessions, Question) == 1

    async def test_an_empty_a_blank_or_a_20_kb_question_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        for text in ("", "   \n\t ", "x" * 20_000):
            problem = await ask(world, tender, text, status=422)
            assert "text" in str(problem), problem
        missing = await world.clients["owner"].post(
            questions_url(world), json={"tender_id": tender["id"]}
        )
        assert missing.status_code == 422
        assert await _count(sessions, Question) == 0

    async def test_only_the_companys_people_ask_and_only_about_a_published_tender(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        body = {"tender_id": tender["id"], "text": "Eine Frage"}
        # a person of another company, through the company's path: not a member
        stranger = await world.clients["stranger"].post(questions_url(world), json=body)
        assert (stranger.status_code, stranger.json()["code"]) == (404, "organisation-not-found")
        # an officer through the authority's path: not a company's person
        officer = await world.clients["officer"].post(questions_url(world, "authority"), json=body)
        assert officer.status_code == 403
        anonymous = await world.clients["anonymous"].post(questions_url(world), json=body)
        assert anonymous.status_code == 401
        # a draft is not there, nor is a tender that does not exist
        unpublished = await draft(world)
        for tender_id in (unpublished["id"], str(uuid.uuid4())):
            problem = await ask(world, {"id": tender_id}, "Eine Frage", status=404)
            assert problem["code"] == "tender-not-found"
        assert await _count(sessions, Question) == 0


class TestAnswering:
    async def test_the_answer_reaches_everyone_interested_and_never_names_the_asker(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "stranger")
        question = await ask(world, tender, "Ist Sonntagsarbeit zulässig?")
        result = await answer(world, tender, question["id"], "Nein, nur werktags 7 bis 20 Uhr.")
        assert result["late"] is False
        assert result["answer_due"] is None
        assert result["question"]["answer"] == "Nein, nur werktags 7 bis 20 Uhr."
        # the downloader of another company and the asker hear of it; nobody else
        for role in ("stranger", "owner"):
            [mail] = [
                m for m in await mails(sessions, world.emails[role]) if "Antwort" in m.subject
            ]
            assert mail.subject == (
                f"Antwort auf Bieterfrage Nr. 1: {tender['number']} / Answer to question no. 1"
            )
            assert "Ist Sonntagsarbeit zulässig?" in mail.body
            assert "Nein, nur werktags 7 bis 20 Uhr." in mail.body
            for secret in ("Muster Bau", "Alice Muster", world.emails["owner"]):
                assert secret not in mail.body
        assert await mails(sessions, world.emails["member"]) == []
        # the public list: number, question, answer — never who asked
        response = await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}/answers")
        public = await _json(response)
        assert [set(a) for a in public] == [{"number", "question", "answer", "answered_at"}]
        assert (public[0]["number"], public[0]["answer"]) == (1, "Nein, nur werktags 7 bis 20 Uhr.")
        for secret in ("Muster Bau", str(world.organisations["company"]), "Alice"):
            assert secret not in response.text

    async def test_unanswered_questions_are_not_public(self, world: World) -> None:
        tender = await published(world)
        await ask(world, tender, "Noch offen?")
        public = await _json(
            await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}/answers")
        )
        assert public == []
        unpublished = await draft(world)
        hidden = await world.clients["anonymous"].get(
            f"/api/v1/tenders/{unpublished['id']}/answers"
        )
        assert hidden.status_code == 404

    async def test_a_question_is_answered_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        question = await ask(world, tender, "Welche Norm gilt?")
        await answer(world, tender, question["id"], "DIN 18331.")
        again = await answer(
            world, tender, question["id"], "DIN 1045.", role="officer2", status=409
        )
        assert again["code"] == "question-answered"
        async with sessions() as session:
            row = await session.get(Question, uuid.UUID(question["id"]))
            assert row is not None
            assert row.answer == "DIN 18331."
        missing = await answer(world, tender, str(uuid.uuid4()), "Antwort", status=404)
        assert missing["code"] == "question-not-found"

    async def test_an_officer_of_another_authority_cannot_see_or_answer(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        question = await ask(world, tender, "Wer darf antworten?")
        other = world.clients["other_officer"]
        theirs = f"{base_url(world, 'other_authority')}/{tender['id']}/questions"
        assert (await other.get(theirs)).status_code == 404
        response = await other.post(f"{theirs}/{question['id']}/answer", json={"text": "Ich."})
        assert (response.status_code, response.json()["code"]) == (404, "tender-not-found")
        ours = f"{base_url(world)}/{tender['id']}/questions/{question['id']}/answer"
        response = await other.post(ours, json={"text": "Ich."})
        assert (response.status_code, response.json()["code"]) == (404, "organisation-not-found")
        for role in ("evaluator", "owner"):
            assert (await world.clients[role].post(ours, json={"text": "Ich."})).status_code in (
                403,
                404,
            )
        async with sessions() as session:
            row = await session.get(Question, uuid.UUID(question["id"]))
            assert row is not None
            assert row.answered_at is None
        assert [m for m in await mails(sessions) if "Antwort" in m.subject] == []

    async def test_a_blank_answer_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        question = await ask(world, tender, "Leere Antwort?")
        await answer(world, tender, question["id"], "  ", status=422)
        async with sessions() as session:
            row = await session.get(Question, uuid.UUID(question["id"]))
            assert row is not None
            assert row.answer is None


class TestAnswerTiming:
    async def test_an_eu_answer_later_than_six_days_before_the_deadline_is_flagged(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world, **EU_TENDER)
        assert tender["regime"] == "eu"
        early = await ask(world, tender, "Frage eins?")
        late = await ask(world, tender, "Frage zwei?")
        assert early["answer_expected_by"] == "2026-05-01T22:00:00Z"
        in_time = await answer(world, tender, early["id"], "Antwort eins.")
        assert (in_time["late"], in_time["answer_due"]) == (False, "2026-05-01T22:00:00Z")
        # the first minute of 2 May in Berlin: less than six days before 8 May
        world.clock.set(datetime.fromisoformat("2026-05-02T00:01:00+02:00"))
        await world.log_in_again("officer")
        flagged = await answer(world, tender, late["id"], "Antwort zwei.")
        assert flagged["late"] is True
        assert flagged["legal_basis"] == "§ 20 Abs. 3 Satz 1 Nr. 1 VgV"
        assert "verlängern" in flagged["message_de"]
        # late, but given and published all the same
        public = await _json(
            await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}/answers")
        )
        assert [a["number"] for a in public] == [1, 2]
