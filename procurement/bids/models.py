"""Bid tables: the sealed bid of a company on a tender, its documents, its submissions with their
receipts, the tender's wrapped data key and the two-person opening.

What is in clear and what is sealed (§ 54 VgV, Directive 2014/24/EU Annex IV): the rows say
*that* a company has a bid on a tender, its state and the moments of its submissions, because
the platform must prove receipt in time and the authority may know the number of bids. Every
word of content is sealed with the tender's data key (AES-256-GCM, :mod:`procurement.bids.vault`):
the lots and prices, the self-declarations, the certificate referred to, each document's name,
type, hash and signature result, and the document files themselves. The receipt PDF, which
names the documents, and the minutes of the opening, which name the prices, are sealed too; only
the SHA-256 of the whole bid is kept in clear, as the receipt's fingerprint (it is the hash of a
manifest that holds the hashes of the documents, so it cannot be guessed from a price).

One bid per company and tender: a resubmission replaces its content and adds a submission row,
so every receipt survives. Money in the sealed content is a decimal string (net EUR).
"""

from __future__ import annotations

__all__ = [
    "Bid",
    "BidDocument",
    "BidStatus",
    "Opening",
    "Submission",
    "SubmissionKind",
    "TenderKey",
]

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime


class BidStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class SubmissionKind(enum.StrEnum):
    SUBMISSION = "submission"
    RESUBMISSION = "resubmission"
    WITHDRAWAL = "withdrawal"


class TenderKey(Base):
    """A tender's data key, wrapped by the key-encryption key named ``kek_id``."""

    __tablename__ = "bid_tender_keys"

    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    )
    kek_id: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class Bid(Base):
    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("tender_id", "organisation_id", name="uq_bids_tender_id_organisation_id"),
        Index("ix_bids_tender_id_status", "tender_id", "status"),
        Index("ix_bids_organisation_id_updated_at", "organisation_id", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(20), default=BidStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised by every change of the draft; a change names the version it was made on."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
    """The sealed working copy (:class:`procurement.bids.schemas.BidContent` as JSON)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """Receipt time of the submission in force (``None``: never submitted or withdrawn)."""
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    """How many submission rows (submissions, resubmissions, withdrawals) the bid has."""


class BidDocument(Base):
    """A document of a bid; its name, type, hash and signature result are sealed in ``meta``."""

    __tablename__ = "bid_documents"
    __table_args__ = (Index("ix_bid_documents_bid_id", "bid_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    meta: Mapped[bytes] = mapped_column(LargeBinary)
    """Sealed :class:`procurement.bids.schemas.DocumentMeta`."""
    stored_bytes: Mapped[int] = mapped_column(Integer)
    """Size of the sealed file (for quotas; the content's size to within 28 bytes)."""
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """Taken out of the working copy; the file stays while a submission names it."""
    checked: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Sealed signature result (:class:`procurement.bids.schemas.SignatureSummary`), written by
    the job ``procurement.check_bid_document`` when the tender requires signatures."""


class Submission(Base):
    """One submission, resubmission or withdrawal, with its receipt."""

    __tablename__ = "bid_submissions"
    __table_args__ = (
        UniqueConstraint("bid_id", "sequence", name="uq_bid_submissions_bid_id_sequence"),
        UniqueConstraint(
            "bid_id", "idempotency_key", name="uq_bid_submissions_bid_id_idempotency_key"
        ),
        Index("ix_bid_submissions_tender_id", "tender_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    receipt_number: Mapped[str] = mapped_column(String(60), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    """The exact time of receipt, taken in the transaction that stored the submission."""
    by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    bid_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the sealed manifest's plain text (the receipt's fingerprint of the bid)."""
    manifest: Mapped[bytes] = mapped_column(LargeBinary)
    """Sealed :class:`procurement.bids.schemas.Manifest`: the bid as submitted."""
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """Replaced by a later resubmission or withdrawal."""
    receipt_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The sealed receipt PDF, itself sealed with the data key (it names the documents)."""


class Opening(Base):
    """The two-person opening of a tender's bids (§ 55 VgV)."""

    __tablename__ = "bid_openings"

    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    started_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    """The second officer must confirm before this."""
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """The moment of opening."""
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    minutes_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The minutes, written by the job ``procurement.write_minutes``: an electronically sealed
    PDF, itself sealed with the data key (it names every price)."""
