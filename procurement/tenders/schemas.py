"""Msgspec structs the tender API takes and returns.

Times are aware datetimes (RFC 3339 with offset; stored in UTC, shown in Europe/Berlin), money is
a decimal string of net EUR. The draft is sent whole: ``PUT`` replaces its content, with the
version the officer saw.
"""

from __future__ import annotations

__all__ = [
    "AmendmentView",
    "CriterionIn",
    "CriterionView",
    "DocumentView",
    "LotIn",
    "LotView",
    "PublicationCheck",
    "TenderContent",
    "TenderSummary",
    "TenderView",
]

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

ProcedureType = Literal[
    "open",
    "restricted",
    "negotiated",
    "competitive-dialogue",
    "public-tender",
    "restricted-tender",
    "negotiated-award",
]
TenderKind = Literal["works", "supplies", "services"]
AuthorityKind = Literal["sub_central", "central", "sector"]
CriterionKind = Literal["price", "quality"]
ScoringMethod = Literal["lowest-price-ratio", "linear", "points"]
Category = Literal["works", "supplies", "services"]

Title = Annotated[str, msgspec.Meta(min_length=3, max_length=300)]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Amount = Annotated[Decimal, msgspec.Meta(description="Net EUR, without VAT")]
CpvCode = Annotated[str, msgspec.Meta(max_length=10, examples=["45210000-2"])]
NutsCode = Annotated[str, msgspec.Meta(max_length=5, examples=["DE501"])]
Division = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
EvidenceCode = Annotated[str, msgspec.Meta(max_length=60)]


class LotIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    title: Title
    description: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    estimated_value: Amount
    cpv_codes: Annotated[list[CpvCode], msgspec.Meta(min_length=1, max_length=20)]


class CriterionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    kind: CriterionKind
    weight: Annotated[int, msgspec.Meta(ge=1, le=100)]
    """Percent; the weights of a tender sum to 100."""
    method: ScoringMethod
    """Price: ``lowest-price-ratio`` (lowest ÷ price × maximum) or ``linear``; quality:
    ``points`` given by each evaluator."""
    max_points: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class TenderContent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What an officer writes into a tender (a new draft, or the whole of a draft's content)."""

    title: Title
    description: Description
    procedure: ProcedureType
    contract_kind: TenderKind
    estimated_value: Amount
    cpv_codes: Annotated[list[CpvCode], msgspec.Meta(min_length=1, max_length=20)]
    """The main code first."""
    nuts_code: NutsCode
    authority_kind: AuthorityKind = "sub_central"
    urgent: bool = False
    urgency_reason: Annotated[str, msgspec.Meta(max_length=5_000)] | None = None
    clarification_deadline: datetime | None = None
    submission_deadline: datetime | None = None
    binding_until: date | None = None
    lots: Annotated[list[LotIn], msgspec.Meta(max_length=200)] = []
    criteria: Annotated[list[CriterionIn], msgspec.Meta(max_length=30)] = []
    pq_categories: Annotated[list[Category], msgspec.Meta(max_length=3)] = []
    pq_divisions: Annotated[list[Division], msgspec.Meta(max_length=50)] = []
    evidence_types: Annotated[list[EvidenceCode], msgspec.Meta(max_length=50)] = []
    bid_signature: Literal["text", "advanced", "qualified"] = "text"
    """The form bids take: ``text`` (text form, § 126b BGB: no signature, § 53 (1) VgV),
    ``advanced`` or ``qualified`` electronic signature or seal (§ 53 (3) VgV)."""


class DraftUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int
    content: TenderContent


class LotView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    title: str
    description: str
    estimated_value: Decimal
    cpv_codes: list[str]


class CriterionView(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    name: str
    kind: str
    weight: int
    method: str
    max_points: int


class DocumentView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    key: uuid.UUID
    version: int
    title: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    amendment_number: int | None


class AmendmentView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    at: datetime
    summary: str
    changes: dict[str, dict[str, object]]
    material: bool


class TenderSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A tender in a list or search result."""

    id: uuid.UUID
    number: str
    title: str
    authority_name: str
    procedure: str
    contract_kind: str
    regime: str | None
    cpv_codes: list[str]
    nuts_code: str
    status: str
    published_at: datetime | None
    submission_deadline: datetime | None


class TenderView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: str
    authority_id: uuid.UUID
    authority_name: str
    status: str
    version: int
    title: str
    description: str
    procedure: str
    contract_kind: str
    authority_kind: str
    estimated_value: Decimal
    regime: str | None
    """Decided at publication; for a draft the regime it would have if published today."""
    cpv_codes: list[str]
    nuts_code: str
    urgent: bool
    urgency_reason: str | None
    clarification_deadline: datetime | None
    submission_deadline: datetime | None
    binding_until: date | None
    lots: list[LotView]
    criteria: list[CriterionView]
    pq_categories: list[str]
    pq_divisions: list[str]
    evidence_types: list[str]
    bid_signature: str
    documents: list[DocumentView]
    amendments: list[AmendmentView]
    published_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """One item of the publication checklist."""

    code: str
    ok: bool
    refuses: bool
    """Not ok and publishing is refused because of it; not ok and ``False``: a warning."""
    legal_basis: str | None = None
    message_de: str
    message_en: str
    earliest: datetime | None = None


class PublicationCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The legal checks of a draft as if it were published now."""

    regime: Literal["eu", "national"] | None
    threshold: Decimal | None
    can_publish: bool
    checks: list[Check]


class Publish(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int
    """The version the officer checked; a draft changed since is not published."""


# Clarifications, amendments and cancellation (procurement.tenders.clarifications,
# .amendments, .cancellation).

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=r"\S")]
"""A question or an answer: not blank, at most 10,000 characters."""
Summary = Annotated[str, msgspec.Meta(min_length=3, max_length=5_000, pattern=r"\S")]
CancellationGround = Literal[
    "no-suitable-tender",
    "fundamental-change",
    "no-economic-result",
    "other-serious-reasons",
]
"""The grounds of § 63 Abs. 1 Satz 1 Nr. 1–4 VgV (§ 48 Abs. 1 UVgO; for works § 17 (EU)
Abs. 1 VOB/A, which knows no ground of its own for the economic result)."""


class QuestionAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A company's question on a published tender (Bieterfrage)."""

    tender_id: uuid.UUID
    text: Text


class QuestionReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """What the asking company hears back: its question is in, under this number."""

    id: uuid.UUID
    tender_id: uuid.UUID
    number: int
    asked_at: datetime
    answer_expected_by: datetime | None
    """In EU procedures, the latest time for the answer (§ 20 Abs. 3 Satz 1 Nr. 1 VgV)."""


class QuestionView(msgspec.Struct, frozen=True, kw_only=True):
    """A question in the authority's inbox: only the authority sees who asked."""

    id: uuid.UUID
    number: int
    text: str
    asked_at: datetime
    organisation_id: uuid.UUID
    organisation_name: str
    answer: str | None
    answered_at: datetime | None


class AnswerIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    text: Text


class AnswerResult(msgspec.Struct, frozen=True, kw_only=True):
    """The answered question, and whether the answer came later than § 20 Abs. 3 VgV allows."""

    question: QuestionView
    late: bool
    """Given after ``answer_due``: the submission deadline must be extended (§ 20 Abs. 3
    Satz 1 Nr. 1 VgV) — the answer is published all the same."""
    answer_due: datetime | None
    """The latest time for answers in an EU procedure (six days, four when urgent, before the
    submission deadline); ``None`` below the thresholds."""
    legal_basis: str | None
    message_de: str | None
    message_en: str | None


class PublishedAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """An answer as every company reads it: never who asked."""

    number: int
    question: str
    answer: str
    answered_at: datetime


class AmendmentIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A change of a published tender: the whole content as it shall be, with the version the
    officer saw and what the change is about in the officer's words."""

    version: int
    content: TenderContent
    summary: Summary
    material: bool = False
    """A material change: bidders who already submitted may submit again."""


class AmendmentResult(msgspec.Struct, frozen=True, kw_only=True):
    amendment: AmendmentView
    tender: TenderView
    warnings: list[Check]
    """Checks that do not refuse but should be looked at (the time for answers, a material
    change without an extension of the deadline)."""


class Cancellation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Cancelling a tender (Aufhebung) with its ground and reason."""

    version: int
    ground: CancellationGround
    """The ground of § 63 Abs. 1 Satz 1 VgV (or its national counterpart) the cancellation
    rests on."""
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=5_000, pattern=r"\S")]
    """The reasons, told to the interested companies (§ 63 Abs. 2 VgV)."""
