"""The bid API's input and output, and the sealed forms of a bid (content, manifest, document
metadata), as msgspec structs."""

from __future__ import annotations

__all__ = [
    "BidContent",
    "BidCount",
    "BidDocumentView",
    "BidSummary",
    "BidView",
    "Declarations",
    "DocumentMeta",
    "DraftUpdate",
    "LotOffer",
    "Manifest",
    "ManifestDocument",
    "OpenedBid",
    "OpenedDocument",
    "OpenedLot",
    "OpeningView",
    "ReceiptDocumentView",
    "ReceiptView",
    "SignatureSummary",
    "Withdrawal",
]

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from procurement.bids.models import SubmissionKind

Text = Annotated[str, msgspec.Meta(max_length=5000)]
Requirement = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")]
"""What a document is for: ``offer`` (the offer letter and price sheet), ``other``, or the code
of an evidence type the tender asks of companies without a certificate."""


class LotOffer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    lot: Annotated[int, msgspec.Meta(ge=1, le=999, description="The lot's number.")]
    price: Decimal
    """Net EUR, at most two decimal places."""


class Declarations(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The company's self-declarations in the bid."""

    no_exclusion_grounds: bool | None = None
    """No ground of exclusion of §§ 123, 124 GWB applies (``False``: one applies, and
    ``self_cleaning`` says what the company did, § 125 GWB)."""
    self_cleaning: Text = ""
    binding_period_accepted: bool = False
    """The company is bound to the bid until the end of the binding period."""


class BidContent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a company states in its bid (the sealed working copy)."""

    lots: Annotated[list[LotOffer], msgspec.Meta(max_length=200)] = []
    certificate_number: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    """The company's pre-qualification certificate it relies on for its suitability."""
    declarations: Declarations = Declarations()


class DraftUpdate(BidContent, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=0)] = 0
    """The bid version the change was made on (0: there is no bid yet)."""


class Withdrawal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]


class DocumentMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Sealed in ``bid_documents.meta``."""

    filename: str
    media_type: str
    size: int
    sha256: str
    requirement: str


class ManifestDocument(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    requirement: str


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """The bid as submitted, sealed on the submission; its SHA-256 is the bid's fingerprint."""

    format: str = "openvergabe.bid.v1"
    tender_id: uuid.UUID
    organisation_id: uuid.UUID
    bid_id: uuid.UUID
    sequence: int
    receipt_number: str
    received_at: datetime
    content: BidContent
    documents: list[ManifestDocument]


class SignatureSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A bid document's signature result, sealed until the opening."""

    verdict: str | None
    """``accepted``, ``rejected``, ``needs_review`` or ``None`` (unreadable)."""
    label: str | None
    signers: list[str]
    required: str
    """``advanced`` or ``qualified``: what the tender requires."""
    meets_requirement: bool
    reason: str | None = None


class BidDocumentView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    requirement: str
    uploaded_at: datetime


class ReceiptDocumentView(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    filename: str
    size: int
    sha256: str


class ReceiptView(msgspec.Struct, frozen=True, kw_only=True):
    """A receipt: what the company gets for each submission or withdrawal."""

    id: uuid.UUID
    receipt_number: str
    kind: SubmissionKind
    tender_id: uuid.UUID
    tender_number: str
    received_at: datetime
    """UTC."""
    received_at_local: str
    """The same moment in the instance's time zone, e.g. ``2026-04-24T11:59:58.123456+02:00``."""
    bid_sha256: str
    lots: list[int]
    documents: list[ReceiptDocumentView]
    in_force: bool
    """Not replaced by a later resubmission or withdrawal."""
    pdf_ready: bool
    """The sealed PDF is there (it is sealed by a job within seconds)."""
    pdf_url: str


class BidView(msgspec.Struct, frozen=True, kw_only=True):
    """A company's own bid: the working copy, its documents and every receipt."""

    id: uuid.UUID
    tender_id: uuid.UUID
    tender_number: str
    tender_title: str
    submission_deadline: datetime | None
    status: str
    version: int
    content: BidContent
    documents: list[BidDocumentView]
    submitted_at: datetime | None
    receipts: list[ReceiptView]
    missing: list[str]
    """What the bid still lacks for a submission (empty: it can be submitted)."""


class BidSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    tender_id: uuid.UUID
    tender_number: str
    tender_title: str
    tender_status: str
    submission_deadline: datetime | None
    status: str
    submitted_at: datetime | None
    receipt_number: str | None


class OpeningView(msgspec.Struct, frozen=True, kw_only=True):
    started_at: datetime
    started_by: str
    expires_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    minutes_ready: bool


class BidCount(msgspec.Struct, frozen=True, kw_only=True):
    """What the authority may know of the bids before the opening: how many there are."""

    tender_id: uuid.UUID
    tender_status: str
    submission_deadline: datetime | None
    bids: int
    """Submitted bids in force (drafts and withdrawn bids do not count)."""
    opening: OpeningView | None


class OpenedLot(msgspec.Struct, frozen=True, kw_only=True):
    lot: int
    title: str
    price: Decimal


class OpenedDocument(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    requirement: str
    signature: SignatureSummary | None


class OpenedBid(msgspec.Struct, frozen=True, kw_only=True):
    """A bid after the opening, as the authority's officers and evaluators read it."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    company_name: str
    receipt_number: str
    received_at: datetime
    bid_sha256: str
    lots: list[OpenedLot]
    certificate_number: str | None
    declarations: Declarations
    documents: list[OpenedDocument]
