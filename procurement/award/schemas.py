"""The evaluation API's input and output as msgspec structs.

Points are decimals on the criterion's scale (at most two decimal places), money a decimal
string of net EUR, times aware datetimes (UTC in storage, any offset in input).
"""

from __future__ import annotations

__all__ = [
    "Admission",
    "Answer",
    "AnswerDocument",
    "AssessmentView",
    "CompanyRequestView",
    "CriterionPoints",
    "DeclarationIn",
    "DeclarationView",
    "EvaluationView",
    "Exclusion",
    "ExclusionGround",
    "LotRanking",
    "RankingEntry",
    "RankingView",
    "RequestIn",
    "RequestView",
    "ScoreIn",
    "ScoreSheet",
    "ScoreView",
]

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from procurement.award.models import AssessmentStatus
from procurement.bids.schemas import OpenedLot

Text = Annotated[str, msgspec.Meta(max_length=5000)]
Reason = Annotated[str, msgspec.Meta(min_length=10, max_length=5000)]
ExclusionGround = Literal[
    "late", "incomplete", "signature", "eligibility", "exclusion-grounds", "abnormally-low", "other"
]
"""Why a bid is excluded: received late (§ 57 Abs. 1 Nr. 1 VgV), incomplete or missing
documents not supplied (§ 57 Abs. 1 Nr. 2), not in the required form (§ 53), not suitable
(§ 122 GWB), a ground of §§ 123, 124 GWB, an abnormally low price not explained (§ 60 Abs. 3
VgV), or another reason given in words."""


class DeclarationIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A declaration on conflicts of interest for this tender (§ 6 VgV)."""

    conflict: bool = False
    """``False``: I declare that no conflict of interest exists for me in this procedure.
    ``True``: one exists (``details`` say which); I take no part in the evaluation."""
    details: Text = ""


class DeclarationView(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID
    name: str
    conflict: bool
    declared_at: datetime


class Admission(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    note: Text = ""
    """Required when a check found something wanting: why the bid is admitted all the same
    (for example the documents were supplied on request, § 56 VgV)."""


class Exclusion(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    ground: ExclusionGround
    reason: Reason
    """The recorded reason, in words (it goes into the procurement file and, later, into the
    notice to the bidder under § 134 GWB)."""


class AssessmentView(msgspec.Struct, frozen=True, kw_only=True):
    """A bid as the evaluation sees it: its checks, the decision on it, and its prices."""

    bid_id: uuid.UUID
    organisation_id: uuid.UUID
    company_name: str
    receipt_number: str
    received_at: datetime
    lots: list[OpenedLot]
    status: AssessmentStatus
    received_in_time: bool
    complete: bool
    signature: str
    """``not-required``, ``ok``, ``pending`` or ``failed``."""
    eligibility: str
    """``not-required``, ``certificate``, ``evidence`` (to be examined) or ``missing``."""
    certificate_number: str | None
    findings: list[str]
    """What the checks found wanting (empty: nothing)."""
    checks_passed: bool
    checked_at: datetime
    ground: str | None
    reason: str | None
    decided_at: datetime | None
    decided_by: str | None


class EvaluationView(msgspec.Struct, frozen=True, kw_only=True):
    """The state of a tender's evaluation; no bid content."""

    tender_id: uuid.UUID
    tender_status: str
    started_at: datetime | None
    started_by: str | None
    bids: int
    pending: int
    admitted: int
    excluded: int
    ranked_at: datetime | None
    declarations: list[DeclarationView]
    declared: bool
    """The caller has declared that no conflict of interest exists (and may read the bids)."""


class ScoreIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    criterion: Annotated[int, msgspec.Meta(ge=1, le=100)]
    """The award criterion's ``position``, as the tender lists its criteria."""
    points: Decimal
    """0 to the criterion's ``max_points``, at most two decimal places."""
    justification: Text = ""


class ScoreSheet(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One evaluator's points for one bid in one lot (replacing that evaluator's earlier points
    on the criteria named)."""

    lot: Annotated[int, msgspec.Meta(ge=1, le=999)] = 1
    scores: Annotated[list[ScoreIn], msgspec.Meta(min_length=1, max_length=50)]


class ScoreView(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: uuid.UUID
    lot: int
    criterion: int
    """The criterion's position in the tender."""
    criterion_name: str
    max_points: int
    points: Decimal
    justification: str
    given_at: datetime


class CriterionPoints(msgspec.Struct, frozen=True, kw_only=True):
    criterion: int
    """The criterion's position in the tender."""
    name: str
    kind: str
    weight: int
    max_points: int
    points: Decimal
    """Price: by the criterion's formula; quality: the mean of the evaluators' points."""


class RankingEntry(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: uuid.UUID
    company_name: str
    rank: int
    total: Decimal
    """0 to 100."""
    price: Decimal | None
    points: list[CriterionPoints]
    tied: bool
    abnormally_low: bool
    """To be explained by the bidder before an award (§ 60 VgV); it excludes nothing."""


class LotRanking(msgspec.Struct, frozen=True, kw_only=True):
    lot: int
    title: str
    entries: list[RankingEntry]


class RankingView(msgspec.Struct, frozen=True, kw_only=True):
    tender_id: uuid.UUID
    ranked_at: datetime
    ranked_by: str | None
    tie_rule: str
    seed: str | None
    """The seed of the draw by lot (tie rule ``lot``), to repeat the draw."""
    abnormally_low_percent: int
    lots: list[LotRanking]


class RequestIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: Literal["documents", "explanation"] = "documents"
    """``documents``: missing or incomplete documents (§ 56 Abs. 2 VgV); ``explanation``: of an
    abnormally low price (§ 60 Abs. 1 VgV)."""
    text: Reason
    deadline: datetime
    """Until when the bidder may answer (with its offset)."""


class AnswerDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A document supplied with an answer (sealed like the bid's own documents)."""

    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str


class RequestView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    bid_id: uuid.UUID
    company_name: str
    kind: str
    text: str
    deadline: datetime
    created_at: datetime
    answered_at: datetime | None
    answer: str | None
    documents: list[AnswerDocument] = []


class Answer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]


class CompanyRequestView(msgspec.Struct, frozen=True, kw_only=True):
    """A request as the bidder sees it."""

    id: uuid.UUID
    tender_id: uuid.UUID
    tender_number: str
    tender_title: str
    kind: str
    text: str
    deadline: datetime
    created_at: datetime
    answered_at: datetime | None
    answer: str | None
    documents: list[AnswerDocument] = []
    open: bool
    """Not answered and the deadline has not passed."""
