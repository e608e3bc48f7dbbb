"""The opening of the bids (§ 55 VgV, Annex IV (c)–(e)): two officers, jointly, after the deadline.

The first officer of the tender's authority starts the opening; a second, different officer of
the same authority confirms it within the opening window (settings, default 30 minutes). Only
the confirmation opens: the tender becomes ``opened``, the data key may be unwrapped for the
authority from then on, and the job ``procurement.write_minutes`` writes and seals the minutes.
Before that, the authority learns nothing but the number of bids (:func:`bid_count`), and every
attempt to read more is refused (:class:`procurement.errors.BidsSealed`) and recorded. After it,
every read of a bid's content or documents is recorded in the audit trail
(:func:`opened_bids`, :func:`opened_document`).
"""

from __future__ import annotations

__all__ = [
    "WRITE_MINUTES",
    "WriteMinutes",
    "bid_count",
    "confirm",
    "opened_bids",
    "opened_document",
    "opening_view",
    "start",
]

import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Organisation, User
from infra.identity.principal import Principal
from infra.jobs import outbox
from procurement.bids import drafting, vault
from procurement.bids.models import Bid, BidDocument, BidStatus, Opening, Submission
from procurement.bids.schemas import (
    BidCount,
    DocumentMeta,
    OpenedBid,
    OpenedDocument,
    OpenedLot,
    OpeningView,
    SignatureSummary,
)
from procurement.errors import BidNotFound, BidsSealed, DocumentNotFound, OpeningRefused
from procurement.tenders.models import Lot, Tender, TenderStatus

WRITE_MINUTES = "procurement.write_minutes"
_OPENED = (
    TenderStatus.OPENED,
    TenderStatus.IN_EVALUATION,
    TenderStatus.AWARD_PROPOSED,
    TenderStatus.AWARDED,
    TenderStatus.COMPLETED,
)


class WriteMinutes(msgspec.Struct, frozen=True, kw_only=True):
    tender_id: str


async def _name(session: AsyncSession, user_id: uuid.UUID | None) -> str:
    user = await session.get(User, user_id) if user_id else None
    return (user.name or user.email) if user else "—"


async def opening_view(session: AsyncSession, opening: Opening | None) -> OpeningView | None:
    if opening is None:
        return None
    return OpeningView(
        started_at=opening.started_at,
        started_by=await _name(session, opening.started_by),
        expires_at=opening.expires_at,
        confirmed_at=opening.confirmed_at,
        confirmed_by=await _name(session, opening.confirmed_by) if opening.confirmed_by else None,
        minutes_ready=opening.minutes_pdf is not None,
    )


async def bid_count(session: AsyncSession, tender: Tender) -> BidCount:
    """The number of submitted bids in force: all the authority may know before the opening."""
    count = await session.scalar(
        select(func.count())
        .select_from(Bid)
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
    )
    return BidCount(
        tender_id=tender.id,
        tender_status=tender.status,
        submission_deadline=tender.submission_deadline,
        bids=count or 0,
        opening=await opening_view(session, await session.get(Opening, tender.id)),
    )


def _refuse(reason: str, detail: str) -> OpeningRefused:
    return OpeningRefused(detail, reason=reason)


def _check_openable(tender: Tender, now: datetime) -> None:
    if tender.status in _OPENED:
        raise _refuse("already-opened", "The bids of this tender have been opened already.")
    if tender.status == TenderStatus.CANCELLED:
        raise _refuse("cancelled", "The tender is cancelled; its bids are not opened.")
    deadline = tender.submission_deadline
    if tender.status not in (TenderStatus.PUBLISHED, TenderStatus.CLOSED) or deadline is None:
        raise _refuse("not-published", "Only the bids of a published tender can be opened.")
    if now < deadline:
        raise _refuse(
            "deadline-not-passed",
            f"The bids can be opened only after the submission deadline ({deadline.isoformat()}).",
        )


async def _audit(
    session: AsyncSession, tender: Tender, action: str, by: Principal, now: datetime, **after: str
) -> None:
    await record(
        session,
        now=now,
        action=action,
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"number": tender.number, **after},
    )


async def start(
    session: AsyncSession, *, tender: Tender, by: Principal, now: datetime, window: timedelta
) -> Opening:
    """The first officer starts the opening (again, if an earlier start ran out unconfirmed)."""
    _check_openable(tender, now)
    opening = (
        await session.scalars(
            select(Opening).where(Opening.tender_id == tender.id).with_for_update()
        )
    ).first()
    if opening is not None and opening.expires_at > now:
        if opening.started_by == by.user_id:
            return opening
        raise _refuse(
            "started-by-other",
            "Another officer has started the opening; confirm it as the second officer.",
        )
    if opening is None:
        opening = Opening(tender_id=tender.id)
        session.add(opening)
    opening.started_at = now
    opening.started_by = by.user_id
    opening.expires_at = now + window
    await session.flush()
    await _audit(
        session, tender, "tender.opening_start", by, now, expires_at=str(opening.expires_at)
    )
    return opening


async def confirm(
    session: AsyncSession, *, tender: Tender, by: Principal, now: datetime
) -> Opening:
    """The second officer confirms: the bids are open."""
    _check_openable(tender, now)
    opening = (
        await session.scalars(
            select(Opening).where(Opening.tender_id == tender.id).with_for_update()
        )
    ).first()
    if opening is None:
        raise _refuse("not-started", "Nobody has started the opening; start it first.")
    if opening.expires_at <= now:
        raise _refuse(
            "expired",
            "The opening was started too long ago and ran out; start it again.",
        )
    if opening.started_by == by.user_id:
        raise _refuse(
            "same-officer",
            "The opening needs two different officers: another officer must confirm it.",
        )
    opening.confirmed_at = now
    opening.confirmed_by = by.user_id
    if tender.status == TenderStatus.PUBLISHED:
        tender.closed_at = now
    tender.status = TenderStatus.OPENED
    tender.version += 1
    tender.updated_at = now
    await outbox.enqueue(
        session,
        WRITE_MINUTES,
        WriteMinutes(tender_id=str(tender.id)),
        run_at=now,
        now=now,
        dedupe_key=f"bid-minutes:{tender.id}",
        max_attempts=12,
    )
    await session.flush()
    await _audit(
        session,
        tender,
        "tender.open",
        by,
        now,
        started_by=str(opening.started_by),
        confirmed_by=str(by.user_id),
    )
    return opening


def require_opened(tender: Tender) -> None:
    if tender.status not in _OPENED:
        raise BidsSealed(
            "The bids stay sealed until two officers of the authority have opened them after "
            "the submission deadline.",
            tender_status=tender.status,
        )


async def in_force(session: AsyncSession, tender_id: uuid.UUID) -> list[tuple[Bid, Submission]]:
    """The submitted bids with their submission in force, in order of receipt."""
    rows = await session.execute(
        select(Bid, Submission)
        .join(Submission, Submission.bid_id == Bid.id)
        .where(
            Bid.tender_id == tender_id,
            Bid.status == BidStatus.SUBMITTED,
            Submission.superseded_at.is_(None),
        )
        .order_by(Submission.received_at, Submission.id)
    )
    return [(bid, submission) for bid, submission in rows]


def _signature(document: BidDocument, key: bytes) -> SignatureSummary | None:
    if document.checked is None:
        return None
    plain = vault.open_sealed(key, document.checked, vault.check_context(document.id))
    return msgspec.json.decode(plain, type=SignatureSummary)


async def opened_bids(
    session: AsyncSession,
    *,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> list[OpenedBid]:
    """Every bid in force, opened; each read is recorded."""
    require_opened(tender)
    pairs = await in_force(session, tender.id)
    if not pairs:
        return []
    key = await vault.data_key(session, kek, tender.id, now=now, create=False)
    assert key is not None
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    result = []
    for bid, submission in pairs:
        manifest = vault.manifest_of(submission, key)
        company = await session.get(Organisation, bid.organisation_id)
        rows = {
            row.id: row
            for row in await session.scalars(
                select(BidDocument).where(BidDocument.bid_id == bid.id)
            )
        }
        result.append(
            OpenedBid(
                id=bid.id,
                organisation_id=bid.organisation_id,
                company_name=company.legal_name if company else "",
                receipt_number=submission.receipt_number,
                received_at=submission.received_at,
                bid_sha256=submission.bid_sha256,
                lots=[
                    OpenedLot(lot=o.lot, title=titles.get(o.lot, tender.title), price=o.price)
                    for o in manifest.content.lots
                ],
                certificate_number=manifest.content.certificate_number,
                declarations=manifest.content.declarations,
                documents=[
                    OpenedDocument(
                        id=d.id,
                        filename=d.filename,
                        media_type=d.media_type,
                        size=d.size,
                        sha256=d.sha256,
                        requirement=d.requirement,
                        signature=_signature(rows[d.id], key) if d.id in rows else None,
                    )
                    for d in manifest.documents
                ],
            )
        )
        await record(
            session,
            now=now,
            action="bid.read",
            object_type="bid",
            object_id=str(bid.id),
            actor_user_id=by.user_id,
            organisation_id=tender.authority_id,
            after={"tender": str(tender.id), "receipt_number": submission.receipt_number},
        )
    return result


async def opened_document(
    session: AsyncSession,
    *,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    files: vault.BidFiles,
    bid_id: uuid.UUID,
    document_id: uuid.UUID,
    by: Principal,
    now: datetime,
) -> tuple[DocumentMeta, bytes]:
    """A document of a bid in force, opened, or one supplied with an answer to a request of
    the authority; the read is recorded."""
    require_opened(tender)
    bid = await session.get(Bid, bid_id)
    if bid is None or bid.tender_id != tender.id or bid.status != BidStatus.SUBMITTED:
        raise BidNotFound("The tender has no such bid.")
    submission = (
        await session.scalars(
            select(Submission).where(
                Submission.bid_id == bid.id, Submission.superseded_at.is_(None)
            )
        )
    ).first()
    key = await vault.data_key(session, kek, tender.id, now=now, create=False)
    assert key is not None
    assert submission is not None
    row = await session.get(BidDocument, document_id)
    if row is None or row.bid_id != bid.id:
        raise DocumentNotFound("The bid has no such document.")
    meta = drafting.meta_of(row, key)
    in_submission = document_id in {d.id for d in vault.manifest_of(submission, key).documents}
    if not in_submission and not meta.requirement.startswith(drafting.ANSWER_PREFIX):
        raise DocumentNotFound("The bid has no such document.")
    data = vault.open_sealed(
        key, files.read(tender.id, document_id), vault.document_context(document_id)
    )
    await record(
        session,
        now=now,
        action="bid.document_read",
        object_type="bid",
        object_id=str(bid.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"tender": str(tender.id), "document": str(document_id), "sha256": meta.sha256},
    )
    return meta, data
