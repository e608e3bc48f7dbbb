"""Clarifications (Bieterfragen): companies ask, the authority answers, everyone interested reads.

A person of a company asks while the tender is published and before its deadline for questions
(without one: before the submission deadline). Questions are numbered per tender under the
tender row's lock. Only the authority sees who asked (its inbox names the company); an answer
goes by mail to everyone interested — who downloaded the documents or asked — and onto the
tender's public list, with the question's number and text and never the asker.

§ 20 Abs. 3 Satz 1 Nr. 1 VgV: in an EU procedure, additional information asked for in time must
be given at the latest six days (four in duly substantiated urgency) before the submission
deadline, or the deadline must be extended. A later answer is not blocked — withholding it would
help nobody — but the result says it is late, so the officer extends the deadline by amendment.
The days are counted back by whole local days, as the publication checklist does
(:func:`procurement.periods.check_deadlines`).
"""

from __future__ import annotations

__all__ = [
    "AnswerTiming",
    "answer",
    "answer_due",
    "ask",
    "inbox",
    "published_answers",
    "question_view",
]

import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.errors import AccessDenied
from infra.identity.models import OrganisationKind
from infra.identity.principal import Principal
from infra.profile import Profile
from procurement import periods
from procurement.errors import ClarificationClosed, QuestionAnswered, QuestionNotFound
from procurement.tenders import messages
from procurement.tenders.amendments import require_open
from procurement.tenders.models import Question, Tender, TenderStatus
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import PublishedAnswer, QuestionView


class AnswerTiming(msgspec.Struct, frozen=True, kw_only=True):
    """Whether an answer is in time for § 20 Abs. 3 Satz 1 Nr. 1 VgV."""

    due: datetime | None
    """The latest time for answers; ``None`` below the thresholds (no fixed period)."""
    late: bool
    """Given after ``due``."""
    legal_basis: str | None
    message_de: str | None
    message_en: str | None


def answer_due(profile: Profile, tender: Tender) -> datetime | None:
    """The latest time answers are due in an EU procedure: the start of the sixth (urgent:
    fourth) local day before the day of the submission deadline; ``None`` otherwise."""
    if tender.regime != "eu" or tender.submission_deadline is None:
        return None
    urgent = tender.urgent and tender.procedure != "competitive-dialogue"
    days = periods.ANSWER_DAYS_URGENT if urgent else periods.ANSWER_DAYS
    calendar = periods.Calendar(profile)
    day = calendar.local_date(tender.submission_deadline) - timedelta(days=days)
    return calendar.start_of_day(day)


def _timing(profile: Profile, tender: Tender, now: datetime) -> AnswerTiming:
    due = answer_due(profile, tender)
    if due is None or now <= due:
        return AnswerTiming(due=due, late=False, legal_basis=None, message_de=None, message_en=None)
    return AnswerTiming(
        due=due,
        late=True,
        legal_basis="§ 20 Abs. 3 Satz 1 Nr. 1 VgV",
        message_de=(
            "Die Antwort kommt später als sechs (bei Dringlichkeit vier) Tage vor Ablauf der "
            "Angebotsfrist: die Frist ist angemessen zu verlängern (Änderung)."
        ),
        message_en=(
            "The answer comes later than six (urgent: four) days before the submission "
            "deadline: extend the deadline appropriately (amendment)."
        ),
    )


def _question_deadline(tender: Tender) -> datetime | None:
    return tender.clarification_deadline or tender.submission_deadline


async def ask(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    tender: Tender,
    organisation_id: uuid.UUID,
    by: Principal,
    text: str,
    now: datetime,
) -> Question:
    """Take a company's question (the caller holds the tender row's lock) and tell the
    authority's officers.

    Raises:
        AccessDenied: ``by`` is not an owner or member of the company ``organisation_id``.
        ClarificationClosed: the tender is not published, or questions are closed.
    """
    membership = by.role_in(organisation_id)
    if by.user_id is None or membership is None or membership.kind != OrganisationKind.SUPPLIER:
        raise AccessDenied("Only a person of a company can ask about a tender.")
    deadline = _question_deadline(tender)
    if tender.status != TenderStatus.PUBLISHED or deadline is None:
        raise ClarificationClosed(
            f"The tender is {tender.status}: it takes no questions.", status=tender.status
        )
    if now >= deadline:
        raise ClarificationClosed(
            f"Questions were taken until {deadline.isoformat()}.", deadline=deadline.isoformat()
        )
    repo = TenderRepository(session)
    question = Question(
        id=uuid.uuid4(),
        tender_id=tender.id,
        number=await repo.next_question_number(tender.id),
        organisation_id=organisation_id,
        user_id=by.user_id,
        text=text.strip(),
        asked_at=now,
    )
    session.add(question)
    await session.flush()
    await record(
        session,
        now=now,
        action="tender.question_ask",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        after={"number": tender.number, "question": question.number, "text": question.text},
    )
    mail = messages.question_mail(
        tender,
        number=question.number,
        text=question.text,
        url=messages.link(public_url, tender),
    )
    await messages.send(session, profile, await repo.officers_of(tender.authority_id), mail, now)
    return question


async def answer(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    tender: Tender,
    question_id: uuid.UUID,
    text: str,
    by: Principal,
    now: datetime,
) -> tuple[Question, AnswerTiming]:
    """Answer a question of ``tender`` once, and send question and answer to everyone
    interested (without the asker). The tender must be published with its deadline ahead.

    Raises:
        QuestionNotFound: the tender has no such question.
        QuestionAnswered: it has been answered already (a correction is an amendment).
        WrongTenderState: the tender is not published, or its deadline has passed.
    """
    repo = TenderRepository(session)
    question = await repo.question(question_id)
    if question is None or question.tender_id != tender.id:
        raise QuestionNotFound("The tender has no such question.")
    require_open(tender, now, "questions are answered")
    if question.answered_at is not None:
        raise QuestionAnswered(
            f"Question {question.number} was answered on {question.answered_at.isoformat()}."
        )
    question.answer = text.strip()
    question.answered_at = now
    question.answered_by = by.user_id
    timing = _timing(profile, tender, now)
    await record(
        session,
        now=now,
        action="tender.question_answer",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "number": tender.number,
            "question": question.number,
            "answer": question.answer,
            "late": timing.late,
        },
    )
    mail = messages.answer_mail(
        tender,
        number=question.number,
        question=question.text,
        answer=question.answer,
        url=messages.link(public_url, tender),
    )
    await messages.send(session, profile, await repo.interested_users(tender.id), mail, now)
    return question, timing


async def inbox(session: AsyncSession, tender: Tender) -> list[QuestionView]:
    """Every question of the tender with the asking company: for its authority only."""
    repo = TenderRepository(session)
    questions = await repo.questions(tender.id)
    names = await repo.organisation_names({q.organisation_id for q in questions})
    return [question_view(q, names.get(q.organisation_id, "")) for q in questions]


def question_view(question: Question, organisation_name: str) -> QuestionView:
    return QuestionView(
        id=question.id,
        number=question.number,
        text=question.text,
        asked_at=question.asked_at,
        organisation_id=question.organisation_id,
        organisation_name=organisation_name,
        answer=question.answer,
        answered_at=question.answered_at,
    )


async def published_answers(session: AsyncSession, tender: Tender) -> list[PublishedAnswer]:
    """The answered questions as every company reads them: number, question, answer, time."""
    return [
        PublishedAnswer(
            number=q.number,
            question=q.text,
            answer=q.answer or "",
            answered_at=q.answered_at,
        )
        for q in await TenderRepository(session).questions(tender.id, answered_only=True)
        if q.answered_at is not None
    ]
