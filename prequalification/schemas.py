"""What the pre-qualification API takes and answers (msgspec structs)."""

from __future__ import annotations

__all__ = [
    "ApplicationCreate",
    "ApplicationSummary",
    "ApplicationView",
    "ChangeRequest",
    "ChecklistItem",
    "Decision",
    "DeclarationView",
    "EspdUpload",
    "EvidenceDecision",
    "EvidenceUpload",
    "EvidenceView",
    "QueueEntry",
    "ReasonText",
    "Rejection",
]

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

Category = Literal["works", "supplies", "services"]
ItemState = Literal["missing", "checking", "problem", "complete"]
Outcome = Literal["pass", "fail", "discretionary"]
Source = Literal["form", "espd"]
Division = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
ReasonText = Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]


class ApplicationCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A new application: the categories and CPV divisions the company wants certified."""

    categories: Annotated[list[Category], msgspec.Meta(min_length=1, max_length=3)]
    cpv_divisions: Annotated[list[Division], msgspec.Meta(min_length=1, max_length=60)]
    """Two-digit CPV divisions (``45`` construction work …); each must belong to one of the
    chosen categories."""


class EvidenceUpload(msgspec.Struct, kw_only=True):
    """The multipart form of one piece of evidence."""

    type_code: str
    """The evidence type from the catalogue (``GET /api/v1/prequalification/catalogue``)."""
    issued_on: date
    """The date the document was issued (Ausstellungsdatum)."""
    document: UploadFile
    """The PDF, signed as the type requires."""
    stated_expiry: date | None = None
    """The expiry the document states, for types valid "until the stated expiry"."""


class EspdUpload(msgspec.Struct, kw_only=True):
    """The multipart form of an ESPD import."""

    document: UploadFile
    """The ESPD response (XML, ESPD-EDM 4.1.0), at most 5 MB."""


class EvidenceView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    type_code: str
    status: str
    """``checking`` (signature job pending), ``checked``, ``unreadable``, ``accepted``,
    ``rejected`` or ``superseded``."""
    filename: str
    sha256: str
    size: int
    issued_on: date
    stated_expiry: date | None
    expires_on: date | None
    uploaded_at: datetime
    signature_verdict: str | None
    """``accepted``, ``rejected``, ``needs_review`` or ``no_signature``; ``None`` until checked."""
    signature_label: str | None
    signers: list[str]
    flags: list[str]
    """Findings for the officer: ``qualified-signature-missing``, ``signer-not-representative``,
    ``signature-rejected``, ``unreadable`` …"""
    review_reason: str | None


class DeclarationView(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    """Assessed automatically; ``fail`` and ``discretionary`` always go to an officer."""
    source: Source
    sme_size: str | None
    declared_at: datetime
    findings: list[dict[str, str]]
    answers: list[dict[str, object]]
    review_status: str | None
    review_reason: str | None


class ChecklistItem(msgspec.Struct, frozen=True, kw_only=True):
    type_code: str
    name_de: str
    name_en: str
    mandatory: bool
    required_items: int
    present_items: int
    state: ItemState
    problems: list[str]


class ApplicationView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    status: str
    categories: list[str]
    cpv_divisions: list[str]
    created_at: datetime
    submitted_at: datetime | None
    change_request: str | None
    changes_due: date | None
    decision_reason: str | None
    version: int
    evidence: list[EvidenceView]
    declaration: DeclarationView | None
    checklist: list[ChecklistItem]
    complete: bool
    """Every mandatory item is there: the application can be submitted."""
    certificate_number: str | None


class ApplicationSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    status: str
    categories: list[str]
    created_at: datetime
    submitted_at: datetime | None


class QueueEntry(msgspec.Struct, frozen=True, kw_only=True):
    """An application waiting for (or in) review."""

    id: uuid.UUID
    organisation_name: str
    status: str
    categories: list[str]
    submitted_at: datetime
    age_days: int
    """Whole days since submission: the queue is ordered oldest first."""
    reviewer_id: uuid.UUID | None


class EvidenceDecision(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    decision: Literal["accept", "reject"]
    reason: ReasonText
    version: int | None = None
    """The version of the application the officer saw; when sent, a decision on a changed
    application is refused (409 ``stale-version``)."""


class Decision(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Approve an application (the certificate is issued)."""

    version: int
    """The version the officer saw; a changed application is not approved blindly."""
    note: str | None = None


class ChangeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int
    message: ReasonText
    """What to fix, in the officer's words (the rejected items are listed automatically)."""


class Rejection(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int
    reason: ReasonText
