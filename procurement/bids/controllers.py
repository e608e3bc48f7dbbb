"""The bid API of a company: its bids, the working copy and its documents, submission,
withdrawal and receipts. Everything is under the company's own path; another company's bid is
not found (404), whatever its id."""

from __future__ import annotations

__all__ = [
    "NO_STORE",
    "CompanyBids",
    "attachment",
    "bid_sealing",
    "company",
    "company_bid_view",
    "routes",
]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, HeaderParameter, JSONBody
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.http import DbSession
from infra.identity.guards import member_of, principal_of
from infra.identity.models import Role
from infra.settings import Settings
from procurement.bids import drafting, submission, vault
from procurement.bids.drafting import Sealing
from procurement.bids.models import Bid, BidDocument, Submission
from procurement.bids.schemas import (
    BidContent,
    BidDocumentView,
    BidSummary,
    BidView,
    DraftUpdate,
    ReceiptView,
    Withdrawal,
)
from procurement.errors import (
    BidNotFound,
    DocumentNotFound,
    InvalidBid,
    ReceiptNotReady,
    TenderNotFound,
)
from procurement.tenders.models import Tender, TenderStatus
from signatures.controllers import MULTIPART

Req = Request[Any, Any, Any]
NO_STORE = {"cache-control": "no-store"}
company = member_of(Role.OWNER, Role.MEMBER, "token", scope="bids:write")
"""People of the company in the path, or its API tokens with ``bids:write``."""
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=100,
        description="The same key twice submits once and answers with the first receipt.",
    ),
]


class DocumentUpload(msgspec.Struct, kw_only=True):
    document: UploadFile
    requirement: str = "offer"
    """``offer``, ``other`` or the code of an evidence type the tender asks for."""


class SubmissionForm(msgspec.Struct, kw_only=True):
    """A submission: of the working copy as it is (only ``version``), or in one step with the
    bid's content (JSON text of :class:`procurement.bids.schemas.BidContent`) and documents."""

    version: int | None = None
    content: str | None = None
    documents: list[UploadFile] = []
    requirements: str | None = None
    """JSON list: what each of ``documents`` is for, in order (default: the first ``offer``,
    the others ``other``)."""


def _state(request: Req) -> Any:
    return request.app.state


def bid_sealing(settings: Settings) -> Sealing:
    return Sealing(
        kek=vault.kek_from_settings(settings), files=vault.BidFiles(settings.storage.root)
    )


def _requirement(value: str) -> str:
    value = value.strip().lower()
    if not value or len(value) > 60 or not all(c.isalnum() or c == "-" for c in value):
        raise InvalidBid(
            "A document's purpose is 'offer', 'other' or an evidence type's code.",
            errors=[{"field": "requirement", "message": "not a purpose"}],
        )
    return value


async def company_bid_view(
    session: AsyncSession, settings: Settings, bid: Bid, tender: Tender, base: str
) -> BidView:
    """The company's own bid, opened for it."""
    key = await vault.data_key(
        session, vault.kek_from_settings(settings), tender.id, now=bid.updated_at, create=False
    )
    assert key is not None
    content = drafting.content_of(bid, key)
    documents = await drafting.documents_of(session, bid, key)
    metas = [meta for _, meta in documents]
    submissions = (
        await session.scalars(
            select(Submission).where(Submission.bid_id == bid.id).order_by(Submission.sequence)
        )
    ).all()
    missing = submission.missing_for_submission(tender, content, metas)
    return BidView(
        id=bid.id,
        tender_id=tender.id,
        tender_number=tender.number,
        tender_title=tender.title,
        submission_deadline=tender.submission_deadline,
        status=bid.status,
        version=bid.version,
        content=content,
        documents=[
            BidDocumentView(
                id=row.id,
                filename=meta.filename,
                media_type=meta.media_type,
                size=meta.size,
                sha256=meta.sha256,
                requirement=meta.requirement,
                uploaded_at=row.uploaded_at,
            )
            for row, meta in documents
        ],
        submitted_at=bid.submitted_at,
        receipts=[
            submission.receipt_view(
                s,
                vault.manifest_of(s, key),
                tender_number=tender.number,
                timezone=settings.profile.instance.timezone,
                base=base,
            )
            for s in submissions
        ],
        missing=missing,
    )


async def _tender(session: AsyncSession, tender_id: uuid.UUID) -> Tender:
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.status == TenderStatus.DRAFT:
        raise TenderNotFound("There is no such tender.")
    return tender


class CompanyBids(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/bids"
    tags = ("bids",)
    guards = (company,)

    @get("", operation_id="bid_list_own")
    async def list_own(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> Response[list[BidSummary]]:
        """The company's bids, the most recently changed first."""
        rows = await session.execute(
            select(Bid, Tender)
            .join(Tender, Tender.id == Bid.tender_id)
            .where(Bid.organisation_id == organisation_id)
            .order_by(Bid.updated_at.desc(), Bid.id)
        )
        summaries = []
        for bid, tender in rows:
            latest = (
                await session.scalars(
                    select(Submission.receipt_number)
                    .where(Submission.bid_id == bid.id)
                    .order_by(Submission.sequence.desc())
                    .limit(1)
                )
            ).first()
            summaries.append(
                BidSummary(
                    id=bid.id,
                    tender_id=tender.id,
                    tender_number=tender.number,
                    tender_title=tender.title,
                    tender_status=tender.status,
                    submission_deadline=tender.submission_deadline,
                    status=bid.status,
                    submitted_at=bid.submitted_at,
                    receipt_number=latest,
                )
            )
        return Response(summaries, headers=NO_STORE)

    @get("/{tender_id:uuid}", operation_id="bid_get_own")
    async def read(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[BidView]:
        """The company's bid on the tender: its working copy, documents, what it still lacks,
        and every receipt."""
        tender = await _tender(session, tender_id)
        bid = await drafting.own_bid(session, tender_id, organisation_id)
        if bid is None:
            raise BidNotFound("The company has no bid on this tender.")
        view = await company_bid_view(
            session, _state(request).settings, bid, tender, request.url.path
        )
        return Response(view, headers=NO_STORE)

    @put("/{tender_id:uuid}", operation_id="bid_save_draft")
    async def save(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[DraftUpdate],
    ) -> Response[BidView]:
        """Save the working copy (lots with prices, declarations, certificate), naming the
        version you saw (0 for a new bid; 409 ``bid-changed`` otherwise). Nothing is submitted."""
        state = _state(request)
        bid = await drafting.save_draft(
            session,
            sealing=bid_sealing(state.settings),
            tender_id=tender_id,
            organisation_id=organisation_id,
            update=data,
            by=principal_of(request),
            now=state.clock.now(),
        )
        tender = await _tender(session, tender_id)
        view = await company_bid_view(session, state.settings, bid, tender, request.url.path)
        return Response(view, headers=NO_STORE)

    @post(
        "/{tender_id:uuid}/documents",
        operation_id="bid_document_add",
        status_code=201,
        opt={"accepts": MULTIPART},
    )
    async def add_document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: Annotated[DocumentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> BidDocumentView:
        """Add a document to the working copy; it is sealed before it is stored."""
        state = _state(request)
        settings = state.settings
        sealing = bid_sealing(settings)
        written: list[uuid.UUID] = []
        payload = await data.document.read(settings.signatures.max_document_bytes + 1)
        try:
            _bid, row = await drafting.add_document(
                session,
                sealing=sealing,
                tender_id=tender_id,
                organisation_id=organisation_id,
                filename=data.document.filename or "dokument",
                media_type=data.document.content_type or "application/octet-stream",
                data=payload,
                requirement=_requirement(data.requirement),
                limit=settings.signatures.max_document_bytes,
                max_documents=settings.bids.max_documents,
                by=principal_of(request),
                now=state.clock.now(),
                written=written,
            )
            await session.flush()
        except BaseException:
            _remove(sealing, tender_id, written)
            raise
        meta = drafting.meta_of(row, await _key(session, settings, tender_id, state.clock.now()))
        return BidDocumentView(
            id=row.id,
            filename=meta.filename,
            media_type=meta.media_type,
            size=meta.size,
            sha256=meta.sha256,
            requirement=meta.requirement,
            uploaded_at=row.uploaded_at,
        )

    @delete(
        "/{tender_id:uuid}/documents/{document_id:uuid}",
        operation_id="bid_document_remove",
        status_code=204,
    )
    async def remove_document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> None:
        """Take a document out of the working copy."""
        await drafting.remove_document(
            session,
            tender_id=tender_id,
            organisation_id=organisation_id,
            document_id=document_id,
            by=principal_of(request),
            now=_state(request).clock.now(),
        )

    @get(
        "/{tender_id:uuid}/documents/{document_id:uuid}",
        operation_id="bid_document_get_own",
        media_type="application/octet-stream",
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """A document of the company's own bid."""
        state = _state(request)
        bid = await drafting.own_bid(session, tender_id, organisation_id)
        row = await session.get(BidDocument, document_id) if bid is not None else None
        if bid is None or row is None or row.bid_id != bid.id:
            raise DocumentNotFound("The bid has no such document.")
        key = await _key(session, state.settings, tender_id, state.clock.now())
        meta = drafting.meta_of(row, key)
        files = vault.BidFiles(state.settings.storage.root)
        data = vault.open_sealed(
            key, files.read(tender_id, document_id), vault.document_context(document_id)
        )
        return attachment(data, meta.filename, meta.media_type)

    @post(
        "/{tender_id:uuid}/submission",
        operation_id="bid_submit",
        status_code=201,
        opt={"accepts": MULTIPART},
    )
    async def submit(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: Annotated[SubmissionForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ReceiptView]:
        """Submit the bid before the deadline and get the receipt (201; 200 with the first
        receipt when the ``Idempotency-Key`` was used before). 409 ``deadline-passed`` says
        when the deadline passed and when the request was received; 422 ``invalid-bid`` and
        ``eligibility-missing`` say what the bid lacks. A resubmission replaces the bid in
        force; its earlier receipt stays."""
        state = _state(request)
        settings = state.settings
        sealing = bid_sealing(settings)
        content = _decode(data.content, BidContent, "content") if data.content else None
        requirements = (
            _decode(data.requirements, list[str], "requirements") if data.requirements else []
        )
        uploads = []
        for index, upload in enumerate(data.documents):
            default = "offer" if index == 0 else "other"
            uploads.append(
                submission.Upload(
                    filename=upload.filename or "dokument",
                    media_type=upload.content_type or "application/octet-stream",
                    data=await upload.read(settings.signatures.max_document_bytes + 1),
                    requirement=_requirement(
                        requirements[index] if index < len(requirements) else default
                    ),
                )
            )
        written: list[uuid.UUID] = []
        try:
            stored, new = await submission.submit(
                session,
                sealing=sealing,
                profile=settings.profile,
                public_url=settings.public_url,
                tender_id=tender_id,
                organisation_id=organisation_id,
                version=data.version,
                content=content,
                uploads=uploads,
                limit=settings.signatures.max_document_bytes,
                max_documents=settings.bids.max_documents,
                idempotency_key=idempotency_key,
                by=principal_of(request),
                clock=state.clock.now,
                written=written,
            )
            await session.flush()
        except BaseException:
            _remove(sealing, tender_id, written)
            raise
        view = await _receipt(session, settings, stored, _bid_base(request, tender_id))
        return Response(view, status_code=201 if new else 200, headers=NO_STORE)

    @post("/{tender_id:uuid}/withdrawal", operation_id="bid_withdraw", status_code=201)
    async def withdraw(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[Withdrawal],
    ) -> Response[ReceiptView]:
        """Withdraw the submitted bid before the deadline (it will not be opened); the receipt
        of the withdrawal."""
        state = _state(request)
        settings = state.settings
        stored = await submission.withdraw(
            session,
            sealing=bid_sealing(settings),
            profile=settings.profile,
            public_url=settings.public_url,
            tender_id=tender_id,
            organisation_id=organisation_id,
            version=data.version,
            by=principal_of(request),
            clock=state.clock.now,
        )
        await session.flush()
        view = await _receipt(session, settings, stored, _bid_base(request, tender_id))
        return Response(view, status_code=201, headers=NO_STORE)

    @get("/{tender_id:uuid}/receipts/{submission_id:uuid}", operation_id="bid_receipt_get")
    async def receipt(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        submission_id: FromPath[uuid.UUID],
    ) -> Response[ReceiptView]:
        """A receipt of the company's bid."""
        stored = await _own_submission(session, organisation_id, tender_id, submission_id)
        view = await _receipt(
            session, _state(request).settings, stored, _bid_base(request, tender_id)
        )
        return Response(view, headers=NO_STORE)

    @get(
        "/{tender_id:uuid}/receipts/{submission_id:uuid}/pdf",
        operation_id="bid_receipt_pdf",
        media_type="application/pdf",
    )
    async def receipt_pdf(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        submission_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The sealed receipt PDF (409 ``receipt-not-ready`` for the few seconds until the
        worker has sealed it)."""
        state = _state(request)
        stored = await _own_submission(session, organisation_id, tender_id, submission_id)
        if stored.receipt_pdf is None:
            raise ReceiptNotReady("The receipt is being sealed; try again in a few seconds.")
        key = await _key(session, state.settings, tender_id, state.clock.now())
        pdf = vault.open_sealed(key, stored.receipt_pdf, vault.receipt_context(stored.id))
        return attachment(pdf, f"{stored.receipt_number}.pdf", "application/pdf")


def _remove(sealing: Sealing, tender_id: uuid.UUID, written: list[uuid.UUID]) -> None:
    """Remove the files a failed request wrote (its rows were rolled back)."""
    for document_id in written:
        sealing.files.remove(tender_id, document_id)


def _decode(text: str, type_: Any, field: str) -> Any:
    try:
        return msgspec.json.decode(text, type=type_)
    except msgspec.ValidationError as exc:
        raise InvalidBid(f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]) from exc
    except msgspec.DecodeError as exc:
        raise InvalidBid(
            f"{field} is not JSON.", errors=[{"field": field, "message": "not JSON"}]
        ) from exc


def _bid_base(request: Req, tender_id: uuid.UUID) -> str:
    path = request.url.path
    return path[: path.index(str(tender_id)) + len(str(tender_id))]


async def _key(session: AsyncSession, settings: Settings, tender_id: uuid.UUID, now: Any) -> bytes:
    key = await vault.data_key(
        session, vault.kek_from_settings(settings), tender_id, now=now, create=False
    )
    if key is None:
        raise BidNotFound("The company has no bid on this tender.")
    return key


async def _own_submission(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    tender_id: uuid.UUID,
    submission_id: uuid.UUID,
) -> Submission:
    bid = await drafting.own_bid(session, tender_id, organisation_id)
    stored = await session.get(Submission, submission_id) if bid is not None else None
    if bid is None or stored is None or stored.bid_id != bid.id:
        raise BidNotFound("The bid has no such receipt.")
    return stored


async def _receipt(
    session: AsyncSession, settings: Settings, stored: Submission, base: str
) -> ReceiptView:
    tender = await session.get(Tender, stored.tender_id)
    assert tender is not None
    key = await _key(session, settings, stored.tender_id, stored.received_at)
    return submission.receipt_view(
        stored,
        vault.manifest_of(stored, key),
        tender_number=tender.number,
        timezone=settings.profile.instance.timezone,
        base=base,
    )


def attachment(data: bytes, filename: str, media_type: str) -> Response[bytes]:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(
        data,
        media_type=media_type,
        headers={
            **NO_STORE,
            "content-disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(filename)}",
            "x-content-type-options": "nosniff",
        },
    )


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The bid API; uploads and one-step submissions get a body limit of four documents."""
    from procurement.bids import controllers_office

    return [
        Router(
            path="/",
            route_handlers=[CompanyBids, *controllers_office.ROUTES],
            request_max_body_size=4 * settings.signatures.max_document_bytes + 256 * 1024,
        )
    ]
