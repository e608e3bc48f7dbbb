"""The API of a published tender's life: questions and answers, amendments, cancellation.

Officers of the tender's authority work under the authority's path (another authority's tender
answers 404); a company asks under its own path, like every supplier route, so that it is clear
for which company a person asks; the published answers are public and never name who asked.
"""

from __future__ import annotations

__all__ = [
    "AnswersPublic",
    "CompanyQuestions",
    "DocumentAmendment",
    "TenderChanges",
    "routes",
]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from infra.errors import AUDIT_REFUSALS
from infra.http import DbSession
from infra.identity.guards import member_of, principal_of, public
from infra.identity.models import Role
from infra.settings import Settings
from procurement.errors import TenderNotFound
from procurement.tenders import amendments, authoring, cancellation, clarifications
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.models import PUBLIC_STATUSES, Amendment, Tender
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import (
    AmendmentIn,
    AmendmentResult,
    AnswerIn,
    AnswerResult,
    Cancellation,
    Check,
    PublishedAnswer,
    QuestionAsk,
    QuestionReceipt,
    QuestionView,
    Summary,
    TenderView,
)
from signatures.controllers import MULTIPART, upload_body_limit

Req = Request[Any, Any, Any]
NO_STORE = {"cache-control": "no-store"}
officers = member_of(Role.OFFICER)
"""Officers of the authority in the path, in person."""
company_people = member_of(Role.OWNER, Role.MEMBER)
"""Owners and members of the company in the path, in person."""


class DocumentAmendment(msgspec.Struct, kw_only=True):
    """The multipart form of a document added to (or replaced in) a published tender."""

    document: UploadFile
    version: int
    """The version of the tender the officer saw."""
    summary: Summary
    """What the document is and why it comes now (announced to the interested)."""
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""
    replaces: uuid.UUID | None = None
    """The key of the document this is the next version of."""
    material: bool = False


def _state(request: Req) -> Any:
    return request.app.state


async def _public_tender(
    session: DbSession, tender_id: uuid.UUID, *, for_update: bool = False
) -> Tender:
    tender = await TenderRepository(session).tender(tender_id, for_update=for_update)
    if tender is None or tender.status not in PUBLIC_STATUSES or tender.published_at is None:
        raise TenderNotFound("There is no such tender.")
    return tender


async def _result(
    request: Req,
    session: DbSession,
    tender: Tender,
    amendment: Amendment,
    warnings: list[Check],
) -> AmendmentResult:
    state = _state(request)
    view = await authoring.tender_view(session, state.settings.profile, tender, state.clock.now())
    return AmendmentResult(
        amendment=amendments.amendment_view(amendment), tender=view, warnings=warnings
    )


class TenderChanges(Controller):
    """The officers' side: the question inbox, answers, amendments and cancellation."""

    path = "/api/v1/organisations/{organisation_id:uuid}/tenders/{tender_id:uuid}"
    tags = ("tenders",)
    guards = (officers,)

    @get("/questions", operation_id="tender_questions_list")
    async def questions(
        self,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[list[QuestionView]]:
        """Every question of the tender with the company that asked (the authority only)."""
        tender = await authoring.get_tender_of(session, organisation_id, tender_id)
        return Response(await clarifications.inbox(session, tender), headers=NO_STORE)

    @post(
        "/questions/{question_id:uuid}/answer",
        operation_id="tender_question_answer",
        status_code=200,
    )
    async def answer(
        self,
        *,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        question_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
    ) -> AnswerResult:
        """Answer a question once; it goes by mail to everyone interested and onto the public
        list, without the asker. ``late``: given later than § 20 Abs. 3 VgV allows — extend the
        deadline by amendment (409 ``question-answered`` for a second answer)."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        question, timing = await clarifications.answer(
            session,
            public_url=state.settings.public_url,
            profile=state.settings.profile,
            tender=tender,
            question_id=question_id,
            text=data.text,
            by=principal_of(request),
            now=state.clock.now(),
        )
        names = await TenderRepository(session).organisation_names({question.organisation_id})
        return AnswerResult(
            question=clarifications.question_view(
                question, names.get(question.organisation_id, "")
            ),
            late=timing.late,
            answer_due=timing.due,
            legal_basis=timing.legal_basis,
            message_de=timing.message_de,
            message_en=timing.message_en,
        )

    @post(
        "/amendments",
        operation_id="tender_amend",
        status_code=201,
        opt={AUDIT_REFUSALS: "tender"},
    )
    async def amend(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[AmendmentIn],
    ) -> AmendmentResult:
        """Change a published tender: the whole content as it shall be, with the version you
        saw (409 ``tender-changed``) and a summary; 422 ``amendment-refused`` for no change,
        another procedure, or deadlines below the minimum period counted from publication."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        amendment, warnings = await amendments.amend(
            session,
            public_url=state.settings.public_url,
            profile=state.settings.profile,
            tender=tender,
            version=data.version,
            content=data.content,
            summary=data.summary,
            material=data.material,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return await _result(request, session, tender, amendment, warnings)

    @post(
        "/amendments/documents",
        operation_id="tender_amend_document",
        status_code=201,
        opt={"accepts": MULTIPART},
    )
    async def amend_document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: Annotated[DocumentAmendment, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AmendmentResult:
        """Add a document to a published tender, or its next version (``replaces``: the
        document's key), as an amendment of its own, announced with ``summary``."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        amendment, _document = await amendments.amend_document(
            session,
            public_url=state.settings.public_url,
            profile=state.settings.profile,
            files=DocumentFiles(state.settings.storage.root),
            tender=tender,
            version=data.version,
            title=data.title,
            filename=(data.document.filename or "dokument")[:255],
            media_type=(data.document.content_type or "application/octet-stream")[:100],
            stream=data.document.file,
            limit=state.settings.signatures.max_document_bytes,
            replaces=data.replaces,
            summary=data.summary,
            material=data.material,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return await _result(request, session, tender, amendment, [])

    @post("/cancel", operation_id="tender_cancel", status_code=200)
    async def cancel(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[Cancellation],
    ) -> TenderView:
        """Cancel the procedure (Aufhebung) on a ground of § 63 Abs. 1 VgV with its reasons,
        told to everyone interested; a second call changes nothing."""
        state = _state(request)
        now = state.clock.now()
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        await cancellation.cancel(
            session,
            public_url=state.settings.public_url,
            profile=state.settings.profile,
            tender=tender,
            version=data.version,
            ground=data.ground,
            reason=data.reason,
            by=principal_of(request),
            now=now,
        )
        return await authoring.tender_view(session, state.settings.profile, tender, now)


class CompanyQuestions(Controller):
    """A company's side: asking a question about a published tender."""

    path = "/api/v1/organisations/{organisation_id:uuid}/tender-questions"
    tags = ("tenders",)
    guards = (company_people,)

    @post("", operation_id="tender_question_ask", status_code=201)
    async def ask(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[QuestionAsk],
    ) -> QuestionReceipt:
        """Ask about a published tender for the company in the path, before the deadline for
        questions (409 ``clarification-closed`` after it). The authority sees who asked; the
        answer is published without it."""
        state = _state(request)
        tender = await _public_tender(session, data.tender_id, for_update=True)
        question = await clarifications.ask(
            session,
            public_url=state.settings.public_url,
            profile=state.settings.profile,
            tender=tender,
            organisation_id=organisation_id,
            by=principal_of(request),
            text=data.text,
            now=state.clock.now(),
        )
        return QuestionReceipt(
            id=question.id,
            tender_id=tender.id,
            number=question.number,
            asked_at=question.asked_at,
            answer_expected_by=clarifications.answer_due(state.settings.profile, tender),
        )


class AnswersPublic(Controller):
    """The published answers of a tender, for everyone."""

    path = "/api/v1/tenders/{tender_id:uuid}/answers"
    tags = ("tenders",)

    @get("", operation_id="tender_answers", guards=[public])
    async def answers(
        self, session: DbSession, tender_id: FromPath[uuid.UUID]
    ) -> list[PublishedAnswer]:
        """The answered questions of a published tender, by number (never who asked)."""
        tender = await _public_tender(session, tender_id)
        return await clarifications.published_answers(session, tender)


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """These routes; the officers' get the body limit of document uploads."""
    return [
        CompanyQuestions,
        AnswersPublic,
        Router(
            path="/",
            route_handlers=[TenderChanges],
            request_max_body_size=upload_body_limit(settings),
        ),
    ]
