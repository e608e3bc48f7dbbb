"""Tender tables: the tender with its lots, award criteria, documents, amendments, questions and
the record of who downloaded which document.

A tender (DESIGN.md §2) moves ``draft → published → closed → opened → in_evaluation →
award_proposed → awarded → completed``, or to ``cancelled`` from any open state. Until it is
published everything in it may change; afterwards each change is an amendment, numbered and
logged with what it changed. CPV codes are kept as JSON text (the main code first), the same on
SQLite and PostgreSQL; money is ``Numeric`` (net EUR), times are UTC. Documents are files in the
storage, named by their id and described here by name, size, SHA-256 and version: a new version
of a document is a new row that supersedes the older one, which stays downloadable for the
record. Tender numbers come from a counter per year, taken in the creating transaction.
"""

from __future__ import annotations

__all__ = [
    "Amendment",
    "AwardCriterion",
    "Download",
    "Lot",
    "Question",
    "Tender",
    "TenderCpv",
    "TenderDocument",
    "TenderNumberCounter",
    "TenderStatus",
]

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime, made_outside_models

MONEY = Numeric(15, 2)


class TenderStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    OPENED = "opened"
    IN_EVALUATION = "in_evaluation"
    AWARD_PROPOSED = "award_proposed"
    AWARDED = "awarded"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (
    TenderStatus.DRAFT,
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.OPENED,
    TenderStatus.IN_EVALUATION,
    TenderStatus.AWARD_PROPOSED,
)
"""From these a tender can be cancelled (Aufhebung)."""

PUBLIC_STATUSES = tuple(s for s in TenderStatus if s != TenderStatus.DRAFT)
"""Everything but a draft is public."""


class TenderNumberCounter(Base):
    """The last tender number given out in a year (``HB-V-2026-000042``)."""

    __tablename__ = "tender_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Tender(Base):
    __tablename__ = "tenders"
    __table_args__ = (
        Index("ix_tenders_status_submission_deadline", "status", "submission_deadline"),
        Index("ix_tenders_status_published_at", "status", "published_at"),
        Index("ix_tenders_authority_id_status", "authority_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(20), default=TenderStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str] = mapped_column(String(30))
    """``open``, ``restricted``, ``negotiated``, ``competitive-dialogue`` (EU) or
    ``public-tender``, ``restricted-tender``, ``negotiated-award`` (national)."""
    contract_kind: Mapped[str] = mapped_column(String(20))
    """``works``, ``supplies`` or ``services``."""
    authority_kind: Mapped[str] = mapped_column(String(20), default="sub_central")
    estimated_value: Mapped[Decimal] = mapped_column(MONEY)
    """Net EUR; decides the regime by the thresholds in force at publication."""
    regime: Mapped[str | None] = mapped_column(String(10))
    """``eu`` or ``national``, decided at publication (a draft shows the preview)."""
    cpv_codes: Mapped[str] = mapped_column(Text)
    """JSON list of CPV codes with check digit, the main code first."""
    nuts_code: Mapped[str] = mapped_column(String(5))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency_reason: Mapped[str | None] = mapped_column(Text)
    clarification_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    submission_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    binding_until: Mapped[date | None] = mapped_column(Date)
    """The last day bidders are bound to their bids (Bindefrist)."""
    pq_categories: Mapped[str] = mapped_column(Text, default="[]")
    """Eligibility: the pre-qualification scope (JSON list of categories) that proves it."""
    pq_divisions: Mapped[str] = mapped_column(Text, default="[]")
    """Eligibility: the CPV divisions (JSON list) the certificate must cover."""
    evidence_types: Mapped[str] = mapped_column(Text, default="[]")
    """Eligibility: the evidence types (profile codes, JSON list) a bid without a certificate
    must include."""
    bid_signature: Mapped[str] = mapped_column(String(10), default="text")
    """``text``, ``advanced`` or ``qualified``: the form bids must take (§ 53 VgV)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    published_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    cancellation_reason: Mapped[str | None] = mapped_column(Text)


class Lot(Base):
    __tablename__ = "tender_lots"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    estimated_value: Mapped[Decimal] = mapped_column(MONEY)
    cpv_codes: Mapped[str] = mapped_column(Text)


class AwardCriterion(Base):
    __tablename__ = "tender_criteria"
    __table_args__ = (UniqueConstraint("tender_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    """``price`` or ``quality``."""
    weight: Mapped[int] = mapped_column(Integer)
    """Percent; the weights of a tender sum to 100."""
    method: Mapped[str] = mapped_column(String(30))
    """Price: ``lowest-price-ratio`` or ``linear``; quality: ``points``."""
    max_points: Mapped[int] = mapped_column(Integer)


class TenderDocument(Base):
    __tablename__ = "tender_documents"
    __table_args__ = (Index("ix_tender_documents_tender_id_key", "tender_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    key: Mapped[uuid.UUID] = mapped_column(Uuid)
    """The same for every version of one document."""
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """Removed by an amendment (or deleted from a draft): no longer part of the tender."""
    amendment_number: Mapped[int | None] = mapped_column(Integer)
    """The amendment that added this version; ``None``: part of the published tender."""


class Download(Base):
    """Who downloaded which document: they hear of amendments and answers."""

    __tablename__ = "tender_downloads"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id"),
        Index("ix_tender_downloads_tender_id_organisation_id", "tender_id", "organisation_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tender_documents.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class Amendment(Base):
    """A change after publication (Änderung der Vergabeunterlagen), logged and announced."""

    __tablename__ = "tender_amendments"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    """What changed and why, in the officer's words (announced to the interested)."""
    changes: Mapped[str] = mapped_column(Text)
    """JSON: each changed field with its value before and after."""
    material: Mapped[bool] = mapped_column(Boolean, default=False)
    """A material change: bidders who already submitted may submit again."""


class Question(Base):
    """A bidder's question (Bieterfrage) and the authority's answer."""

    __tablename__ = "tender_questions"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    """Numbered per tender in the order asked (answers are published by number, never by
    who asked)."""
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class TenderCpv(Base):
    """One CPV code (its eight digits) of a public tender or of one of its lots, for the search
    by code prefix (:mod:`procurement.tenders.search`): written at publication and by
    :func:`procurement.tenders.search.reindex` whenever the codes change."""

    __tablename__ = "tender_cpv"
    __table_args__ = (Index("ix_tender_cpv_code8_tender_id", "code8", "tender_id"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    )
    code8: Mapped[str] = mapped_column(String(8), primary_key=True)


Index("ix_tenders_published_at_id", Tender.published_at, Tender.id)
"""The order of the public search (newest publication first) across every public state."""


# The full text of the tender search (migration 0010): SQLite's FTS5 table with its shadow
# tables, PostgreSQL's generated tsvector column and its GIN index.
made_outside_models("table", "tenders_fts")
made_outside_models("column", "tenders.fulltext")
made_outside_models("index", "ix_tenders_fulltext")
