"""Submitting, resubmitting and withdrawing a bid, with a receipt for each (§ 54 VgV, Annex IV).

A submission is accepted if and only if its receipt time is before the submission deadline, and
that is decided here, in the transaction that stores it (DESIGN.md §3), never by a job: the
tender row is locked ``FOR SHARE`` (the deadline cannot move and the tender cannot close while
the submission is stored), the time is taken after everything else has been checked, and the
submission row, the receipt's facts, the receipt mail and the job that seals the receipt PDF
commit together. A resubmission replaces the submission in force in the same transaction; the
earlier receipt stays. The same ``Idempotency-Key`` twice gives the first receipt again.
"""

from __future__ import annotations

__all__ = [
    "SEAL_RECEIPT",
    "SealReceipt",
    "eligibility_problems",
    "missing_for_submission",
    "receipt_view",
    "submit",
    "withdraw",
]

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from prequalification.certificates import status_at
from prequalification.models import Certificate, CertificateScope, CertificateStatus
from procurement.bids import drafting, vault
from procurement.bids.drafting import Sealing
from procurement.bids.models import Bid, BidStatus, Submission, SubmissionKind
from procurement.bids.receipts import queue_receipt_mail
from procurement.bids.schemas import (
    BidContent,
    DocumentMeta,
    Manifest,
    ManifestDocument,
    ReceiptDocumentView,
    ReceiptView,
)
from procurement.errors import BidChanged, EligibilityMissing, WrongTenderState
from procurement.tenders.models import Tender

SEAL_RECEIPT = "procurement.seal_receipt"
CHECK_BID_DOCUMENT = "procurement.check_bid_document"
_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SealReceipt(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: str


class CheckBidDocument(msgspec.Struct, frozen=True, kw_only=True):
    document_id: str
    required: str
    """``advanced`` or ``qualified``."""


class Upload(msgspec.Struct, frozen=True, kw_only=True):
    """A document sent with a one-step submission."""

    filename: str
    media_type: str
    data: bytes
    requirement: str


def _codes(raw: str) -> list[str]:
    return msgspec.json.decode(raw, type=list[str])


async def _covering_certificate(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    organisation_id: uuid.UUID,
    named: str | None,
    now: datetime,
) -> tuple[Certificate | None, str | None]:
    """A valid certificate of the company covering the tender's scope (the one named, or any),
    and, when there is none, why."""
    statement = select(Certificate).where(Certificate.organisation_id == organisation_id)
    if named:
        statement = statement.where(Certificate.number == named)
    certificates = list(await session.scalars(statement.order_by(Certificate.valid_to.desc())))
    if named and not certificates:
        return None, f"The company holds no certificate {named}."
    categories, divisions = set(_codes(tender.pq_categories)), set(_codes(tender.pq_divisions))
    reason = "The company holds no valid pre-qualification certificate."
    for certificate in certificates:
        status = await status_at(session, profile, certificate, now)
        if status != CertificateStatus.VALID:
            reason = f"Certificate {certificate.number} is {status or 'not yet valid'}."
            continue
        scopes = list(
            await session.scalars(
                select(CertificateScope).where(CertificateScope.certificate_id == certificate.id)
            )
        )
        lacking = sorted(categories - {s.category for s in scopes}) + sorted(
            divisions - {s.division for s in scopes}
        )
        if not lacking:
            return certificate, None
        reason = f"Certificate {certificate.number} does not cover {', '.join(lacking)}."
    return None, reason


async def eligibility_problems(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    organisation_id: uuid.UUID,
    content: BidContent,
    documents: list[DocumentMeta],
    now: datetime,
) -> tuple[list[str], str | None]:
    """What is missing to prove suitability, and the certificate number that proves it.

    A certificate covering the tender's scope proves it (§ 122 (3) GWB); without one, the
    documents of each evidence type the tender names do (DESIGN.md §3: a certificate is a means
    of proof, not a condition). A tender naming a scope but no evidence types takes only
    pre-qualified companies.
    """
    wants_certificate = bool(_codes(tender.pq_categories) or _codes(tender.pq_divisions))
    evidence = _codes(tender.evidence_types)
    if not wants_certificate and not evidence:
        return [], content.certificate_number
    reason = None
    if wants_certificate or content.certificate_number:
        certificate, reason = await _covering_certificate(
            session,
            profile=profile,
            tender=tender,
            organisation_id=organisation_id,
            named=content.certificate_number,
            now=now,
        )
        if certificate is not None:
            return [], certificate.number
    given = {document.requirement for document in documents}
    lacking = [code for code in evidence if code not in given]
    if evidence and not lacking:
        return [], None
    missing = [reason] if reason else []
    if evidence:
        names = ", ".join(
            profile.prequalification.evidence_type(code).name["en"] for code in lacking
        )
        missing.append(
            "Without a certificate covering the tender's scope, the bid must include these "
            f"documents: {names} ({', '.join(lacking)})."
        )
    return missing, None


def missing_for_submission(
    tender: Tender, content: BidContent, documents: list[DocumentMeta]
) -> list[str]:
    """What the bid lacks, eligibility aside (:func:`eligibility_problems`)."""
    missing = []
    if not content.lots:
        missing.append("Offer a price for at least one lot.")
    if not any(document.requirement == "offer" for document in documents):
        missing.append("Add the offer letter (a document for 'offer').")
    if content.declarations.no_exclusion_grounds is None:
        missing.append("Declare whether a ground for exclusion (§§ 123, 124 GWB) applies.")
    if tender.binding_until is not None and not content.declarations.binding_period_accepted:
        missing.append(
            f"Accept the binding period until {tender.binding_until.isoformat()} (Bindefrist)."
        )
    return missing


def _receipt_number(tender: Tender) -> str:
    token = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(8))
    return f"{tender.number}-E-{token}"


def manifest_bytes(manifest: Manifest) -> bytes:
    return msgspec.json.encode(manifest, order="sorted")


async def _store_submission(
    session: AsyncSession,
    *,
    tender: Tender,
    bid: Bid,
    key: bytes,
    kind: SubmissionKind,
    content: BidContent,
    documents: list[tuple[uuid.UUID, DocumentMeta]],
    received_at: datetime,
    by: Principal,
    idempotency_key: str | None,
) -> Submission:
    previous = (
        await session.scalars(
            select(Submission).where(
                Submission.bid_id == bid.id, Submission.superseded_at.is_(None)
            )
        )
    ).all()
    for earlier in previous:
        earlier.superseded_at = received_at
    submission_id = uuid.uuid4()
    manifest = Manifest(
        tender_id=tender.id,
        organisation_id=bid.organisation_id,
        bid_id=bid.id,
        sequence=bid.submissions + 1,
        receipt_number=_receipt_number(tender),
        received_at=received_at,
        content=content,
        documents=[
            ManifestDocument(
                id=document_id,
                filename=meta.filename,
                media_type=meta.media_type,
                size=meta.size,
                sha256=meta.sha256,
                requirement=meta.requirement,
            )
            for document_id, meta in documents
        ],
    )
    plain = manifest_bytes(manifest)
    submission = Submission(
        id=submission_id,
        bid_id=bid.id,
        tender_id=tender.id,
        sequence=manifest.sequence,
        kind=kind,
        receipt_number=manifest.receipt_number,
        received_at=received_at,
        by=by.user_id,
        idempotency_key=idempotency_key,
        bid_sha256=hashlib.sha256(plain).hexdigest(),
        manifest=vault.seal(key, plain, vault.manifest_context(submission_id)),
    )
    session.add(submission)
    bid.submissions = manifest.sequence
    bid.updated_at = received_at
    await outbox.enqueue(
        session,
        SEAL_RECEIPT,
        SealReceipt(submission_id=str(submission_id)),
        run_at=received_at,
        now=received_at,
        dedupe_key=f"bid-receipt:{submission_id}",
        max_attempts=12,
    )
    return submission


async def _replay(
    session: AsyncSession, bid: Bid | None, idempotency_key: str | None
) -> Submission | None:
    if bid is None or idempotency_key is None:
        return None
    return (
        await session.scalars(
            select(Submission).where(
                Submission.bid_id == bid.id, Submission.idempotency_key == idempotency_key
            )
        )
    ).first()


async def submit(
    session: AsyncSession,
    *,
    sealing: Sealing,
    profile: Profile,
    public_url: str,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    version: int | None,
    content: BidContent | None,
    uploads: list[Upload],
    limit: int,
    max_documents: int,
    idempotency_key: str | None,
    by: Principal,
    clock: Callable[[], datetime],
    written: list[uuid.UUID],
) -> tuple[Submission, bool]:
    """Submit the bid: the working copy, or ``content`` and ``uploads`` sent with the request
    (they become the working copy). The receipt time is taken last, just before the submission
    is stored. Returns the submission and whether it is new (``False``: an idempotent replay).

    Raises:
        DeadlinePassed: received at or after the deadline (nothing is stored).
        BidChanged: ``version`` is not the bid's version.
        InvalidBid, EligibilityMissing: what the bid lacks.
    """
    start = clock()
    replay = await _replay(
        session, await drafting.own_bid(session, tender_id, organisation_id), idempotency_key
    )
    if replay is not None:
        return replay, False
    tender = await drafting.open_tender(session, tender_id, now=start)
    key = await vault.data_key(session, sealing.kek, tender.id, now=start, create=True)
    assert key is not None
    bid = await drafting.bid_for_update(session, tender, organisation_id, key=key, by=by, now=start)
    replay = await _replay(session, bid, idempotency_key)  # a twin that won the lock
    if replay is not None:
        return replay, False
    if version is not None and version != bid.version:
        raise BidChanged(
            "The bid was changed in the meantime; check it and submit again.", version=bid.version
        )
    if content is not None:
        bid.content = vault.seal(key, msgspec.json.encode(content), vault.content_context(bid.id))
    current = drafting.content_of(bid, key)
    working = await drafting.documents_of(session, bid, key)
    if uploads:
        # The documents sent become the working copy's: they replace, not join, the earlier ones
        # (whose files stay while an earlier submission names them).
        for row, _meta in working:
            row.removed_at = start
        working = []
    documents = [(row.id, meta) for row, meta in working]
    drafting.refuse_too_many(len(documents) + len(uploads), max_documents)
    # The uploads share the moment of upload: ascending ids keep them in the order sent.
    ids = sorted(uuid.uuid4() for _ in uploads)
    for upload, document_id in zip(uploads, ids, strict=True):
        drafting.check_upload(upload.data, limit)
        row = await drafting.store_document(
            session,
            sealing=sealing,
            bid=bid,
            key=key,
            filename=upload.filename,
            media_type=upload.media_type,
            data=upload.data,
            requirement=upload.requirement,
            by=by,
            now=start,
            written=written,
            document_id=document_id,
        )
        documents.append((row.id, drafting.meta_of(row, key)))
    lots = await drafting.lots_of(session, tender.id)
    drafting.refuse_invalid(drafting.validate_content(current, lots))
    metas = [meta for _, meta in documents]
    missing = missing_for_submission(tender, current, metas)
    if missing:
        drafting.refuse_invalid([{"field": "bid", "message": text} for text in missing])
    lacking, certificate = await eligibility_problems(
        session,
        profile=profile,
        tender=tender,
        organisation_id=organisation_id,
        content=current,
        documents=metas,
        now=start,
    )
    if lacking:
        raise EligibilityMissing(
            "The bid does not prove the company's suitability: " + " ".join(lacking),
            missing=lacking,
        )
    if certificate != current.certificate_number:
        current = msgspec.structs.replace(current, certificate_number=certificate)
    # The receipt time: now, after every check. Before the deadline, or nothing is stored.
    received_at = clock()
    drafting.refuse_late(tender, received_at)  # the tender row is locked: only time moved
    kind = SubmissionKind.RESUBMISSION if bid.submitted_at else SubmissionKind.SUBMISSION
    submission = await _store_submission(
        session,
        tender=tender,
        bid=bid,
        key=key,
        kind=kind,
        content=current,
        documents=documents,
        received_at=received_at,
        by=by,
        idempotency_key=idempotency_key,
    )
    bid.status = BidStatus.SUBMITTED
    bid.submitted_at = received_at
    bid.version += 1
    if tender.bid_signature != "text":
        for document_id, _meta in documents:
            await outbox.enqueue(
                session,
                CHECK_BID_DOCUMENT,
                CheckBidDocument(document_id=str(document_id), required=tender.bid_signature),
                run_at=received_at,
                now=received_at,
                dedupe_key=f"bid-document-check:{document_id}",
            )
    await session.flush()
    await queue_receipt_mail(
        session,
        profile=profile,
        public_url=public_url,
        tender=tender,
        bid=bid,
        submission=submission,
        by=by,
    )
    await _audit(session, bid, submission, by)
    return submission, True


async def withdraw(
    session: AsyncSession,
    *,
    sealing: Sealing,
    profile: Profile,
    public_url: str,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    version: int,
    by: Principal,
    clock: Callable[[], datetime],
) -> Submission:
    """Withdraw the submitted bid before the deadline; it will not be opened."""
    start = clock()
    tender = await drafting.open_tender(session, tender_id, now=start)
    bid = await drafting.own_bid(session, tender.id, organisation_id, for_update=True)
    if bid is None or bid.status != BidStatus.SUBMITTED:
        raise WrongTenderState("There is no submitted bid to withdraw.", status="not-submitted")
    if version != bid.version:
        raise BidChanged("The bid was changed in the meantime.", version=bid.version)
    key = await vault.data_key(session, sealing.kek, tender.id, now=start, create=False)
    assert key is not None
    received_at = clock()
    drafting.refuse_late(tender, received_at)  # the tender row is locked: only time moved
    submission = await _store_submission(
        session,
        tender=tender,
        bid=bid,
        key=key,
        kind=SubmissionKind.WITHDRAWAL,
        content=BidContent(),
        documents=[],
        received_at=received_at,
        by=by,
        idempotency_key=None,
    )
    bid.status = BidStatus.WITHDRAWN
    bid.submitted_at = None
    bid.version += 1
    await session.flush()
    await queue_receipt_mail(
        session,
        profile=profile,
        public_url=public_url,
        tender=tender,
        bid=bid,
        submission=submission,
        by=by,
    )
    await _audit(session, bid, submission, by)
    return submission


async def _audit(session: AsyncSession, bid: Bid, submission: Submission, by: Principal) -> None:
    await record(
        session,
        now=submission.received_at,
        action=f"bid.{submission.kind}",
        object_type="bid",
        object_id=str(bid.id),
        actor_user_id=by.user_id,
        organisation_id=bid.organisation_id,
        after={
            "tender": str(bid.tender_id),
            "receipt_number": submission.receipt_number,
            "received_at": submission.received_at.isoformat(),
            "bid_sha256": submission.bid_sha256,
        },
    )


def receipt_view(
    submission: Submission, manifest: Manifest, *, tender_number: str, timezone: str, base: str
) -> ReceiptView:
    """The receipt of ``submission`` (``base``: the bid's API path, for the PDF's address)."""
    return ReceiptView(
        id=submission.id,
        receipt_number=submission.receipt_number,
        kind=SubmissionKind(submission.kind),
        tender_id=submission.tender_id,
        tender_number=tender_number,
        received_at=submission.received_at,
        received_at_local=submission.received_at.astimezone(ZoneInfo(timezone)).isoformat(),
        bid_sha256=submission.bid_sha256,
        lots=[offer.lot for offer in manifest.content.lots],
        documents=[
            ReceiptDocumentView(
                position=position,
                filename=document.filename,
                size=document.size,
                sha256=document.sha256,
            )
            for position, document in enumerate(manifest.documents, start=1)
        ],
        in_force=submission.superseded_at is None,
        pdf_ready=submission.receipt_pdf is not None,
        pdf_url=f"{base}/receipts/{submission.id}/pdf",
    )
