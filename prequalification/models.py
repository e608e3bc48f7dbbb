"""Pre-qualification tables: offices, applications, evidence, self-declarations, certificates.

An application (DESIGN.md §2) moves ``draft → submitted → in_review ⇄ changes_requested →
approved | rejected``; its scope (categories and CPV divisions) is kept as JSON text, the same
on SQLite and PostgreSQL. Each evidence item is one uploaded PDF with its issue date, expiry
and the signature report the validation job stored (signature checks of the public page are
purged after a day; evidence keeps its own). Approval issues a certificate whose scope is also
kept row by row (``pq_certificate_scopes``) for the register search, and whose every change of
status is an event, so that "was X pre-qualified for Y at T" is answered from the history.
Certificate numbers come from a counter per year, taken inside the approving transaction.

The register searches organisations by a substring of their name or city and by postal code;
those indexes of the ``organisations`` table are declared here, with the register they serve
(:data:`REGISTER_SEARCH_INDEXES`). On PostgreSQL the substring matches use trigram (``pg_trgm``)
GIN indexes; SQLite has no use for them and skips them (migration 0008).
"""

from __future__ import annotations

__all__ = [
    "REGISTER_SEARCH_INDEXES",
    "Application",
    "ApplicationStatus",
    "Certificate",
    "CertificateEvent",
    "CertificateScope",
    "CertificateStatus",
    "Evidence",
    "EvidenceStatus",
    "NumberCounter",
    "PrequalificationOffice",
    "SelfDeclarationRecord",
]

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime
from infra.identity.models import Organisation


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


OPEN_STATUSES = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.CHANGES_REQUESTED,
)
"""An organisation may hold one open application at a time for overlapping scope."""


class EvidenceStatus(enum.StrEnum):
    CHECKING = "checking"
    """Uploaded; the signature job has not run yet."""
    CHECKED = "checked"
    """The signature report is there; awaiting the officer."""
    UNREADABLE = "unreadable"
    """The file could not be read as a PDF (the reason is kept)."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    """Replaced by a newer upload of the same type; kept for the record."""


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"


class PrequalificationOffice(Base):
    """An authority designated to review applications and issue certificates."""

    __tablename__ = "pq_offices"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    designated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    designated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class Application(Base):
    __tablename__ = "pq_applications"
    __table_args__ = (Index("ix_pq_applications_status_submitted", "status", "submitted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.DRAFT)
    categories: Mapped[str] = mapped_column(Text)
    """JSON list of ``works``/``supplies``/``services``."""
    cpv_divisions: Mapped[str] = mapped_column(Text)
    """JSON list of two-digit CPV divisions."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was (last) submitted: the queue is ordered by it, oldest first."""
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    change_request: Mapped[str | None] = mapped_column(Text)
    """What the officer asked to fix, as sent to the supplier."""
    changes_due: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised by every change, so that two officers cannot decide the same state twice."""


class Evidence(Base):
    __tablename__ = "pq_evidence"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pq_applications.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    type_code: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=EvidenceStatus.CHECKING)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    stated_expiry: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    """From the type's validity rule; ``None``: does not expire."""
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    verdict: Mapped[str | None] = mapped_column(String(20))
    """The signature verdict (``accepted``, ``rejected``, ``needs_review``, ``no_signature``)."""
    label: Mapped[str | None] = mapped_column(String(40))
    """The best qualification label among its signatures (``QESig`` …)."""
    signers: Mapped[str | None] = mapped_column(Text)
    """JSON list of signer names, for the officer's view."""
    report: Mapped[str | None] = mapped_column(Text)
    """The signature report (JSON) the job stored."""
    flags: Mapped[str | None] = mapped_column(Text)
    """JSON list of findings for the officer (``qes-missing``, ``signer-not-representative``…)."""
    failure_reason: Mapped[str | None] = mapped_column(String(20))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    review_reason: Mapped[str | None] = mapped_column(Text)
    reminded_days: Mapped[str | None] = mapped_column(String(40))
    """Reminders sent (``30,14``): each is sent once."""


class SelfDeclarationRecord(Base):
    __tablename__ = "pq_self_declarations"

    application_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pq_applications.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[str] = mapped_column(Text)
    """The answers per ground (JSON)."""
    outcome: Mapped[str] = mapped_column(String(20))
    """``pass``, ``fail`` or ``discretionary``: fail and discretionary go to a person."""
    findings: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    """``form`` or ``espd``."""
    sme_size: Mapped[str | None] = mapped_column(String(10))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declared_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    review_status: Mapped[str | None] = mapped_column(String(20))
    """``accepted`` or ``rejected`` by the officer."""
    review_reason: Mapped[str | None] = mapped_column(Text)


class NumberCounter(Base):
    """The last certificate number handed out per year."""

    __tablename__ = "pq_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Certificate(Base):
    __tablename__ = "pq_certificates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pq_applications.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The sealed certificate (PDF)."""
    document_json: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The machine-readable certificate (canonical JSON)."""
    document_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The detached CAdES seal over ``document_json``."""
    revocation_ground: Mapped[str | None] = mapped_column(String(60))
    excluded_until: Mapped[date | None] = mapped_column(Date)


class CertificateScope(Base):
    """One category and CPV division a certificate covers (the register searches these)."""

    __tablename__ = "pq_certificate_scopes"
    __table_args__ = (
        UniqueConstraint("certificate_id", "category", "division", name="uq_pq_scope"),
        Index("ix_pq_certificate_scopes_division", "division"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    certificate_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pq_certificates.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(10))
    division: Mapped[str] = mapped_column(String(2))


class CertificateEvent(Base):
    """A change of a certificate's status; the history answers "valid at T?"."""

    __tablename__ = "pq_certificate_events"
    __table_args__ = (
        # The last event up to a moment: one index scan (prequalification.certificates).
        Index("ix_pq_certificate_events_certificate_id_at", "certificate_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    certificate_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pq_certificates.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    """The status from ``at`` on."""
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


_organisations = Organisation.__table__.c
REGISTER_SEARCH_INDEXES = (
    Index(
        "ix_organisations_legal_name_trgm",
        func.lower(_organisations.legal_name).label("legal_name_lower"),
        postgresql_using="gin",
        postgresql_ops={"legal_name_lower": "gin_trgm_ops"},
    ),
    Index(
        "ix_organisations_city_trgm",
        func.lower(_organisations.city).label("city_lower"),
        postgresql_using="gin",
        postgresql_ops={"city_lower": "gin_trgm_ops"},
    ),
    Index("ix_organisations_postal_code", _organisations.postal_code),
)
"""The register search's indexes on ``organisations``: ``lower(legal_name) LIKE '%…%'`` and
``lower(city) LIKE '%…%'`` (trigram GIN, PostgreSQL only), ``postal_code =`` (b-tree)."""
