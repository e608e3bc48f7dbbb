"""Requests to a bidder during the evaluation, answered on the platform: missing or incomplete
documents (§ 56 Abs. 2 VgV) and the explanation of an abnormally low price (§ 60 Abs. 1 VgV).

An officer who has declared the absence of conflicts of interest asks, with a deadline; the
company is told by mail (without the text: it reads the request on the platform) and answers
there before the deadline, once. The answer is sealed with the tender's data key like the bid,
and each read of it by the authority is recorded. Whether the answer cures the finding is the
officer's decision (:func:`procurement.award.decisions.admit` with a note, or an exclusion).
"""

from __future__ import annotations

__all__ = ["answer", "create", "for_company", "for_tender"]

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Organisation, User
from infra.identity.principal import Principal
from infra.mail.outbox import queue_mail
from infra.profile import Profile
from procurement.award import conflicts, evaluation
from procurement.award.models import AssessmentStatus, EvaluationRequest
from procurement.award.schemas import AnswerDocument, CompanyRequestView, RequestIn, RequestView
from procurement.bids import drafting, vault
from procurement.bids.models import Bid, BidDocument, Submission
from procurement.bids.submission import Upload
from procurement.errors import (
    EvaluationRefused,
    InvalidDecision,
    InvalidDocument,
    RequestClosed,
    RequestNotFound,
)
from procurement.tenders.models import Tender, TenderStatus

_SUBJECT = {
    "documents": ("Nachforderung von Unterlagen", "Request for documents"),
    "explanation": ("Aufklärung des Angebotspreises", "Explanation of the price"),
}


def _context(request_id: uuid.UUID) -> bytes:
    return f"openvergabe/evaluation-request/{request_id}/answer".encode()


async def _key(session: AsyncSession, kek: vault.KeyEncryptionKey, tender: Tender) -> bytes:
    key = await vault.data_key(session, kek, tender.id, now=tender.updated_at, create=False)
    if key is None:
        raise EvaluationRefused("The tender has no sealed bids.", reason="no-bids")
    return key


async def _notify(
    session: AsyncSession,
    *,
    profile: Profile,
    public_url: str,
    tender: Tender,
    row: EvaluationRequest,
    submission_by: uuid.UUID | None,
    now: datetime,
) -> None:
    company = await session.get(Organisation, row.organisation_id)
    submitter = await session.get(User, submission_by) if submission_by else None
    addresses = {a for a in (company and company.contact_email, submitter and submitter.email) if a}
    local = row.deadline.astimezone(ZoneInfo(profile.instance.timezone)).strftime("%d.%m.%Y %H:%M")
    de, en = _SUBJECT[row.kind]
    url = f"{public_url.rstrip('/')}/angebote/{tender.id}"
    body = (
        f"Guten Tag,\n\ndie Vergabestelle bittet Sie zu Ihrem Angebot in der Ausschreibung "
        f"{tender.number} „{tender.title}“ um: {de}.\nBitte antworten Sie auf der Plattform "
        f"bis {local} Uhr:\n{url}\n\n----- English -----\n\nHello,\n\nthe contracting "
        f'authority asks you about your bid in the tender {tender.number} "{tender.title}": '
        f"{en.lower()}.\nPlease answer on the platform by {row.deadline.isoformat()}:\n{url}\n\n"
        f"-- \n{profile.instance.name['de']}\n"
    )
    for address in sorted(addresses):
        await queue_mail(
            session, to=address, subject=f"{de}: {tender.number} / {en}", body=body, now=now
        )


async def create(
    session: AsyncSession,
    *,
    profile: Profile,
    public_url: str,
    tender: Tender,
    bid_id: uuid.UUID,
    data: RequestIn,
    by: Principal,
    now: datetime,
) -> RequestView:
    """Ask the bidder for documents or an explanation, with a deadline.

    Raises:
        EvaluationRefused: not in evaluation, or the bid is excluded.
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
        InvalidDecision: the deadline has no offset or is not in the future.
    """
    evaluation.require_in_evaluation(tender)
    await conflicts.require_declaration(session, tender, by)
    if data.deadline.tzinfo is None or data.deadline <= now:
        raise InvalidDecision(
            "Give a deadline in the future, with its offset (ISO 8601).",
            errors=[{"field": "deadline", "message": "a future time with offset"}],
        )
    assessment = await evaluation.assessment_for_update(session, tender, bid_id)
    if assessment.status == AssessmentStatus.EXCLUDED:
        raise EvaluationRefused("The bid is excluded.", reason="excluded")
    row = EvaluationRequest(
        id=uuid.uuid4(),
        tender_id=tender.id,
        bid_id=bid_id,
        organisation_id=assessment.organisation_id,
        kind=data.kind,
        text=data.text.strip(),
        deadline=data.deadline,
        created_at=now,
        created_by=by.user_id,
    )
    session.add(row)
    await session.flush()
    submission = await session.get(Submission, assessment.submission_id)
    await _notify(
        session,
        profile=profile,
        public_url=public_url,
        tender=tender,
        row=row,
        submission_by=submission.by if submission else None,
        now=now,
    )
    await record(
        session,
        now=now,
        action="bid.request",
        object_type="bid",
        object_id=str(bid_id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"request": str(row.id), "kind": row.kind, "deadline": row.deadline.isoformat()},
    )
    company = await session.get(Organisation, row.organisation_id)
    return _view(row, company.legal_name if company else "", None)


async def _documents(
    session: AsyncSession, row: EvaluationRequest, key: bytes
) -> list[AnswerDocument]:
    """The documents supplied with the answer to ``row``, in the order they were given."""
    if row.answered_at is None:
        return []
    requirement = f"{drafting.ANSWER_PREFIX}{row.id}"
    found = []
    for document in await session.scalars(
        select(BidDocument)
        .where(BidDocument.bid_id == row.bid_id, BidDocument.uploaded_at == row.answered_at)
        .order_by(BidDocument.id)
    ):
        meta = drafting.meta_of(document, key)
        if meta.requirement == requirement:
            found.append(
                AnswerDocument(
                    id=document.id,
                    filename=meta.filename,
                    media_type=meta.media_type,
                    size=meta.size,
                    sha256=meta.sha256,
                )
            )
    return found


def _view(
    row: EvaluationRequest,
    company: str,
    text: str | None,
    documents: list[AnswerDocument] | None = None,
) -> RequestView:
    return RequestView(
        id=row.id,
        bid_id=row.bid_id,
        company_name=company,
        kind=row.kind,
        text=row.text,
        deadline=row.deadline,
        created_at=row.created_at,
        answered_at=row.answered_at,
        answer=text,
        documents=documents or [],
    )


async def for_tender(
    session: AsyncSession,
    *,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> list[RequestView]:
    """The tender's requests with the answers (each answer read is recorded)."""
    await conflicts.require_declaration(session, tender, by)
    rows = list(
        await session.scalars(
            select(EvaluationRequest)
            .where(EvaluationRequest.tender_id == tender.id)
            .order_by(EvaluationRequest.created_at, EvaluationRequest.id)
        )
    )
    key = await _key(session, kek, tender) if any(r.answer for r in rows) else b""
    views = []
    for row in rows:
        company = await session.get(Organisation, row.organisation_id)
        text = None
        if row.answer is not None:
            text = vault.open_sealed(key, row.answer, _context(row.id)).decode()
            await record(
                session,
                now=now,
                action="bid.answer_read",
                object_type="bid",
                object_id=str(row.bid_id),
                actor_user_id=by.user_id,
                organisation_id=tender.authority_id,
                after={"request": str(row.id)},
            )
        documents = await _documents(session, row, key) if row.answer is not None else []
        views.append(_view(row, company.legal_name if company else "", text, documents))
    return views


def _company_view(
    row: EvaluationRequest,
    tender: Tender,
    text: str | None,
    now: datetime,
    documents: list[AnswerDocument] | None = None,
) -> CompanyRequestView:
    return CompanyRequestView(
        id=row.id,
        tender_id=tender.id,
        tender_number=tender.number,
        tender_title=tender.title,
        kind=row.kind,
        text=row.text,
        deadline=row.deadline,
        created_at=row.created_at,
        answered_at=row.answered_at,
        answer=text,
        documents=documents or [],
        open=row.answered_at is None and now < row.deadline,
    )


async def for_company(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    tender_id: uuid.UUID,
    kek: vault.KeyEncryptionKey,
    now: datetime,
) -> list[CompanyRequestView]:
    """The requests to the company on a tender (none: an empty list, whatever the tender)."""
    tender = await session.get(Tender, tender_id)
    if tender is None:
        return []
    rows = list(
        await session.scalars(
            select(EvaluationRequest)
            .where(
                EvaluationRequest.tender_id == tender_id,
                EvaluationRequest.organisation_id == organisation_id,
            )
            .order_by(EvaluationRequest.created_at, EvaluationRequest.id)
        )
    )
    key = await _key(session, kek, tender) if any(r.answer for r in rows) else b""
    return [
        _company_view(
            row,
            tender,
            vault.open_sealed(key, row.answer, _context(row.id)).decode() if row.answer else None,
            now,
            await _documents(session, row, key) if row.answer else [],
        )
        for row in rows
    ]


async def answer(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    tender_id: uuid.UUID,
    request_id: uuid.UUID,
    text: str,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
    documents: Sequence[Upload] = (),
    files: vault.BidFiles | None = None,
    limit: int = 0,
    max_documents: int = 0,
    written: list[uuid.UUID] | None = None,
) -> CompanyRequestView:
    """The company answers a request, once, before its deadline, in words and with the
    ``documents`` asked for (sealed like the bid's documents into ``files``; their ids are
    appended to ``written`` so that a caller whose transaction fails removes them).

    Raises:
        RequestNotFound: no such request to this company on this tender.
        RequestClosed: answered already, the deadline has passed, or the evaluation is over.
        InvalidDocument: an empty or too large document, or more than ``max_documents``.
    """
    row = (
        await session.scalars(
            select(EvaluationRequest)
            .where(
                EvaluationRequest.id == request_id,
                EvaluationRequest.tender_id == tender_id,
                EvaluationRequest.organisation_id == organisation_id,
            )
            .with_for_update()
        )
    ).first()
    tender = await session.get(Tender, tender_id)
    if row is None or tender is None:
        raise RequestNotFound("There is no such request.")
    if row.answered_at is not None:
        raise RequestClosed("The request has been answered already.", reason="answered")
    if now >= row.deadline:
        raise RequestClosed(
            "The deadline of the request has passed.",
            reason="deadline-passed",
            deadline=row.deadline.isoformat(),
        )
    if tender.status != TenderStatus.IN_EVALUATION:
        raise RequestClosed("The evaluation is over.", reason="finished")
    if not text.strip() and not documents:
        raise InvalidDocument("Answer in words or with documents.", reason="empty-answer")
    if len(documents) > max_documents:
        raise InvalidDocument(
            f"An answer carries at most {max_documents} documents.", reason="too-many"
        )
    for upload in documents:
        drafting.check_upload(upload.data, limit)
    key = await _key(session, kek, tender)
    row.answer = vault.seal(key, text.encode(), _context(row.id))
    row.answered_at = now
    row.answered_by = by.user_id
    await session.flush()
    bid = await session.get(Bid, row.bid_id)
    assert bid is not None
    stored: list[BidDocument] = []
    ids = sorted(uuid.uuid4() for _ in documents)  # listed in the order given
    for upload, document_id in zip(documents, ids, strict=True):
        assert files is not None
        assert written is not None
        document = await drafting.store_document(
            session,
            sealing=drafting.Sealing(kek=kek, files=files),
            bid=bid,
            key=key,
            filename=upload.filename,
            media_type=upload.media_type,
            data=upload.data,
            requirement=f"{drafting.ANSWER_PREFIX}{row.id}",
            by=by,
            now=now,
            written=written,
            document_id=document_id,
        )
        stored.append(document)
    await session.flush()
    await record(
        session,
        now=now,
        action="bid.request_answer",
        object_type="bid",
        object_id=str(row.bid_id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        after={
            "request": str(row.id),
            "tender": str(tender_id),
            "documents": [str(d.id) for d in stored],
        },
    )
    return _company_view(row, tender, text, now, await _documents(session, row, key))
