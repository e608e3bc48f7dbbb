"""A company prepares its bid: the working copy (lots, prices, declarations, certificate) and its
documents, sealed from the first byte, and what it still lacks for a submission.

Everything here is the company's own: it reads its working copy back through
:func:`bid_view`; nobody else has a route to it. A bid can be prepared while the tender is
published and its deadline has not passed; after a withdrawal it can be prepared and submitted
again.
"""

from __future__ import annotations

__all__ = [
    "ANSWER_PREFIX",
    "Sealing",
    "add_document",
    "bid_for_update",
    "content_of",
    "documents_of",
    "open_tender",
    "own_bid",
    "price_problem",
    "refuse_late",
    "remove_document",
    "save_draft",
    "validate_content",
]

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import anyio.to_thread
import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from procurement.bids import vault
from procurement.bids.models import Bid, BidDocument, BidStatus
from procurement.bids.schemas import BidContent, DocumentMeta, DraftUpdate
from procurement.errors import (
    BidChanged,
    DeadlinePassed,
    DocumentNotFound,
    InvalidBid,
    InvalidDocument,
    TenderNotFound,
    WrongTenderState,
)
from procurement.tenders.authoring import safe_media_type
from procurement.tenders.models import Lot, Tender, TenderStatus

MAX_PRICE = Decimal(10) ** 13
_EMPTY = msgspec.json.encode(BidContent())


@dataclass(frozen=True)
class Sealing:
    """What sealing needs: the key-encryption key and where the files go."""

    kek: vault.KeyEncryptionKey
    files: vault.BidFiles


async def open_tender(
    session: AsyncSession, tender_id: uuid.UUID, *, now: datetime, share: bool = True
) -> Tender:
    """The published tender ``tender_id`` before its deadline, locked against a change of the
    deadline and against closing until the transaction ends (``FOR SHARE`` on PostgreSQL;
    SQLite writes one transaction at a time).

    Raises:
        TenderNotFound: no such public tender (drafts are nobody's business).
        WrongTenderState: closed, opened or cancelled.
        DeadlinePassed: published, but the deadline has passed.
    """
    statement = select(Tender).where(Tender.id == tender_id)
    if share:
        statement = statement.with_for_update(read=True)
    tender = (await session.scalars(statement)).first()
    if tender is None or tender.status == TenderStatus.DRAFT:
        raise TenderNotFound("There is no such tender.")
    if tender.status != TenderStatus.PUBLISHED:
        raise WrongTenderState(
            f"The tender is {tender.status}: bids are taken only while it is published.",
            status=tender.status,
        )
    refuse_late(tender, now)
    return tender


def refuse_late(tender: Tender, received_at: datetime) -> None:
    """Refuse what is received at or after the tender's submission deadline.

    Raises:
        DeadlinePassed: naming the deadline and the time of receipt.
    """
    deadline = tender.submission_deadline
    if deadline is not None and received_at >= deadline:
        raise DeadlinePassed(
            f"The submission deadline passed at {deadline.isoformat()}; "
            f"this request was received at {received_at.isoformat()}.",
            deadline=deadline.isoformat(),
            received_at=received_at.isoformat(),
        )


async def own_bid(
    session: AsyncSession,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Bid | None:
    statement = select(Bid).where(
        Bid.tender_id == tender_id, Bid.organisation_id == organisation_id
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def bid_for_update(
    session: AsyncSession,
    tender: Tender,
    organisation_id: uuid.UUID,
    *,
    key: bytes,
    by: Principal,
    now: datetime,
) -> Bid:
    """The company's bid on ``tender``, locked; created (empty) when there is none. Two
    requests creating it at once insert one row and both lock the row that won."""
    bid = await own_bid(session, tender.id, organisation_id, for_update=True)
    if bid is not None:
        return bid
    bid_id = uuid.uuid4()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Bid)
        .values(
            id=bid_id,
            tender_id=tender.id,
            organisation_id=organisation_id,
            status=BidStatus.DRAFT,
            version=1,
            content=vault.seal(key, _EMPTY, vault.content_context(bid_id)),
            created_at=now,
            created_by=by.user_id,
            updated_at=now,
            submissions=0,
        )
        .on_conflict_do_nothing(index_elements=["tender_id", "organisation_id"])
    )
    bid = await own_bid(session, tender.id, organisation_id, for_update=True)
    if bid is None:  # pragma: no cover - the row was just inserted or found
        raise BidChanged("The bid could not be created; try again.")
    await session.refresh(bid)
    return bid


def content_of(bid: Bid, key: bytes) -> BidContent:
    """The bid's working copy."""
    plain = vault.open_sealed(key, bid.content, vault.content_context(bid.id))
    return msgspec.json.decode(plain, type=BidContent)


def price_problem(price: Decimal) -> str | None:
    """What is wrong with a net price in euros (positive, plausible, cents at most), if
    anything."""
    if not price.is_finite() or price <= 0:
        return "A price is a positive number of euros."
    if price >= MAX_PRICE:
        return "The price is implausibly large."
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return "A price has at most two decimal places (cents)."
    return None


def validate_content(content: BidContent, lots: list[Lot]) -> list[dict[str, str]]:
    """What is wrong with ``content`` against the tender's lots (a tender without lots is one
    lot, number 1)."""
    problems: list[dict[str, str]] = []
    numbers = {lot.number for lot in lots} or {1}
    seen: set[int] = set()
    for index, offer in enumerate(content.lots):
        field = f"lots[{index}]"
        if offer.lot not in numbers:
            problems.append(
                {"field": f"{field}.lot", "message": f"The tender has no lot {offer.lot}."}
            )
        elif offer.lot in seen:
            problems.append(
                {"field": f"{field}.lot", "message": f"Lot {offer.lot} is listed twice."}
            )
        seen.add(offer.lot)
        if (problem := price_problem(offer.price)) is not None:
            problems.append({"field": f"{field}.price", "message": problem})
    declarations = content.declarations
    if declarations.no_exclusion_grounds is False and not declarations.self_cleaning.strip():
        problems.append(
            {
                "field": "declarations.self_cleaning",
                "message": "Where a ground for exclusion applies, describe the self-cleaning "
                "measures (§ 125 GWB).",
            }
        )
    return problems


def refuse_invalid(problems: list[dict[str, str]]) -> None:
    if problems:
        raise InvalidBid(
            "The bid breaks "
            + ("a rule" if len(problems) == 1 else f"{len(problems)} rules")
            + ": "
            + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            errors=problems,
        )


async def lots_of(session: AsyncSession, tender_id: uuid.UUID) -> list[Lot]:
    return list(
        await session.scalars(select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.number))
    )


def _reopen(bid: Bid) -> None:
    """A change to a withdrawn bid starts a new draft (a submitted one stays submitted until
    it is submitted again: the submission in force is not touched by a change of the copy)."""
    if bid.status == BidStatus.WITHDRAWN:
        bid.status = BidStatus.DRAFT


async def save_draft(
    session: AsyncSession,
    *,
    sealing: Sealing,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    update: DraftUpdate,
    by: Principal,
    now: datetime,
) -> Bid:
    """Replace the working copy's content (the documents stay)."""
    tender = await open_tender(session, tender_id, now=now)
    key = await vault.data_key(session, sealing.kek, tender.id, now=now, create=True)
    assert key is not None
    existing = await own_bid(session, tender.id, organisation_id, for_update=True)
    if (existing.version if existing is not None else 0) != update.version:
        raise BidChanged(
            "The bid was changed in the meantime; reload it and apply your change again.",
            version=existing.version if existing is not None else 0,
        )
    bid = await bid_for_update(session, tender, organisation_id, key=key, by=by, now=now)
    content = BidContent(
        lots=update.lots,
        certificate_number=update.certificate_number,
        declarations=update.declarations,
    )
    refuse_invalid(validate_content(content, await lots_of(session, tender.id)))
    bid.content = vault.seal(key, msgspec.json.encode(content), vault.content_context(bid.id))
    bid.version += 1
    bid.updated_at = now
    _reopen(bid)
    await _audit(session, bid, "bid.draft_save", by, now)
    return bid


async def documents_of(
    session: AsyncSession, bid: Bid, key: bytes
) -> list[tuple[BidDocument, DocumentMeta]]:
    """The documents of the working copy, oldest first, with their metadata (not the
    documents supplied later with an answer to a request, :data:`ANSWER_PREFIX`)."""
    rows = await session.scalars(
        select(BidDocument)
        .where(BidDocument.bid_id == bid.id, BidDocument.removed_at.is_(None))
        .order_by(BidDocument.uploaded_at, BidDocument.id)
    )
    pairs = [(row, meta_of(row, key)) for row in rows]
    return [(row, meta) for row, meta in pairs if not meta.requirement.startswith(ANSWER_PREFIX)]


ANSWER_PREFIX = "request:"
"""The requirement of a document a company supplies with its answer to a request of the
authority after the opening (§ 56 Abs. 2 VgV): ``request:<request id>``. Such documents belong
to the bid (sealed with its key, read like its other documents) but not to its submission."""


def meta_of(document: BidDocument, key: bytes) -> DocumentMeta:
    plain = vault.open_sealed(key, document.meta, vault.meta_context(document.id))
    return msgspec.json.decode(plain, type=DocumentMeta)


def check_upload(data: bytes, limit: int) -> None:
    if not data:
        raise InvalidDocument("The document is empty.", reason="empty")
    if len(data) > limit:
        raise InvalidDocument(
            f"The document is larger than {limit // (1 << 20)} MB.",
            reason="too-large",
            limit_bytes=limit,
        )


def _clean_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "dokument"


async def store_document(
    session: AsyncSession,
    *,
    sealing: Sealing,
    bid: Bid,
    key: bytes,
    filename: str,
    media_type: str,
    data: bytes,
    requirement: str,
    by: Principal,
    now: datetime,
    written: list[uuid.UUID],
    document_id: uuid.UUID | None = None,
) -> BidDocument:
    """Seal ``data`` into a file and add the document row (the caller counts and limits).
    The file's id is appended to ``written``, so that a caller whose transaction fails can
    remove what it wrote. Documents stored at the same moment are listed in the order of their
    ids (:func:`documents_of`): a caller storing several gives them ascending ids."""
    document_id = document_id or uuid.uuid4()
    tender_id = bid.tender_id

    def seal_and_write() -> tuple[str, int]:
        """Hash, seal, write and fsync: off the event loop, which other requests share."""
        sealed = vault.seal(key, data, vault.document_context(document_id))
        sealing.files.write(tender_id, document_id, sealed)
        return hashlib.sha256(data).hexdigest(), len(sealed)

    written.append(document_id)  # before the write: a failed write leaves nothing to remove
    sha256, stored_bytes = await anyio.to_thread.run_sync(seal_and_write)
    meta = DocumentMeta(
        filename=_clean_name(filename),
        media_type=safe_media_type(media_type),
        size=len(data),
        sha256=sha256,
        requirement=requirement,
    )
    document = BidDocument(
        id=document_id,
        bid_id=bid.id,
        tender_id=bid.tender_id,
        meta=vault.seal(key, msgspec.json.encode(meta), vault.meta_context(document_id)),
        stored_bytes=stored_bytes,
        uploaded_at=now,
        uploaded_by=by.user_id,
    )
    session.add(document)
    return document


async def count_documents(session: AsyncSession, bid: Bid) -> int:
    rows = await session.scalars(
        select(BidDocument.id).where(BidDocument.bid_id == bid.id, BidDocument.removed_at.is_(None))
    )
    return len(rows.all())


def refuse_too_many(count: int, limit: int) -> None:
    if count > limit:
        raise InvalidDocument(
            f"A bid holds at most {limit} documents.", reason="too-many", limit=limit
        )


async def add_document(
    session: AsyncSession,
    *,
    sealing: Sealing,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    filename: str,
    media_type: str,
    data: bytes,
    requirement: str,
    limit: int,
    max_documents: int,
    by: Principal,
    now: datetime,
    written: list[uuid.UUID],
) -> tuple[Bid, BidDocument]:
    """Seal and add a document to the working copy."""
    check_upload(data, limit)
    tender = await open_tender(session, tender_id, now=now)
    key = await vault.data_key(session, sealing.kek, tender.id, now=now, create=True)
    assert key is not None
    bid = await bid_for_update(session, tender, organisation_id, key=key, by=by, now=now)
    refuse_too_many(await count_documents(session, bid) + 1, max_documents)
    document = await store_document(
        session,
        sealing=sealing,
        bid=bid,
        key=key,
        filename=filename,
        media_type=media_type,
        data=data,
        requirement=requirement,
        by=by,
        now=now,
        written=written,
    )
    bid.version += 1
    bid.updated_at = now
    _reopen(bid)
    await session.flush()
    await _audit(session, bid, "bid.document_add", by, now, document=str(document.id))
    return bid, document


async def remove_document(
    session: AsyncSession,
    *,
    tender_id: uuid.UUID,
    organisation_id: uuid.UUID,
    document_id: uuid.UUID,
    by: Principal,
    now: datetime,
) -> Bid:
    """Take a document out of the working copy (a submission naming it keeps its file)."""
    await open_tender(session, tender_id, now=now)
    bid = await own_bid(session, tender_id, organisation_id, for_update=True)
    document = await session.get(BidDocument, document_id) if bid is not None else None
    if bid is None or document is None or document.bid_id != bid.id or document.removed_at:
        raise DocumentNotFound("The bid has no such document.")
    document.removed_at = now
    bid.version += 1
    bid.updated_at = now
    _reopen(bid)
    await _audit(session, bid, "bid.document_remove", by, now, document=str(document_id))
    return bid


async def _audit(
    session: AsyncSession, bid: Bid, action: str, by: Principal, now: datetime, **after: Any
) -> None:
    """An event naming the bid and its version, never its content."""
    await record(
        session,
        now=now,
        action=action,
        object_type="bid",
        object_id=str(bid.id),
        actor_user_id=by.user_id,
        organisation_id=bid.organisation_id,
        after={"tender": str(bid.tender_id), "version": bid.version, **after},
    )
