"""The award API's input and output as msgspec structs: the proposal and its approval, the
competition register queries, the information letters and the standstill, review applications,
contracts, the award data for publication, and the bidder's result.

Money is a decimal string of net EUR, dates are local dates of the instance (Europe/Berlin),
times aware datetimes.
"""

from __future__ import annotations

__all__ = [
    "Approval",
    "AwardView",
    "CompanyLetterView",
    "CompanyResultView",
    "ContractIn",
    "ContractView",
    "LetterView",
    "ManualRegisterAnswer",
    "NoticeLot",
    "Proposal",
    "PublicationView",
    "RegisterQueryView",
    "Result",
    "ReviewIn",
    "ReviewResolution",
    "ReviewView",
    "Stage",
    "StandstillView",
    "WinnerChoice",
    "WinnerView",
]

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Reason = Annotated[str, msgspec.Meta(min_length=10, max_length=5000)]
Note = Annotated[str, msgspec.Meta(max_length=5000)]
Stage = Literal[
    "evaluation",
    "proposed",
    "dispatching",
    "standstill",
    "held",
    "contract-possible",
    "awarded",
    "completed",
]
"""Where the award stands: evaluating, proposed (awaiting approval), letters being sent, the
standstill running, held by a review application, the contract possible, awarded, completed."""
Result = Literal["pending", "unsuccessful", "excluded", "to-be-awarded", "awarded"]


class WinnerChoice(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The bid to be awarded a lot, when it is not simply the first in the ranking (equal
    first places, or the first-ranked bidder withdrew); ``note`` says why."""

    lot: Annotated[int, msgspec.Meta(ge=1, le=999)]
    bid_id: uuid.UUID
    note: Note = ""


class Proposal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An officer's proposal of the award decision."""

    reasons: Reason
    """The reasons of the decision, as the unsuccessful bidders will read them (§ 134 GWB)."""
    winners: Annotated[list[WinnerChoice], msgspec.Meta(max_length=999)] = []
    """Choices for lots where the first-ranked bid is not taken or not unique."""


class Approval(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A second officer's approval; the information letters go out at once."""

    electronic: bool = True
    """The letters go out electronically (standstill 10 days), else 15 days."""
    register_note: Note = ""
    """Required when the competition register reported entries: why the company is not
    excluded all the same (self-cleaning, § 125 GWB; § 6 Abs. 5 WRegG)."""


class ManualRegisterAnswer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The register's answer as an officer received it on the register's own portal, where no
    adapter to the register's interface is configured."""

    organisation_id: uuid.UUID
    reference: Annotated[str, msgspec.Meta(min_length=3, max_length=100)]
    entries: bool
    answer: Annotated[str, msgspec.Meta(max_length=20_000)] = ""


class WinnerView(msgspec.Struct, frozen=True, kw_only=True):
    lot: int
    lot_title: str
    bid_id: uuid.UUID
    organisation_id: uuid.UUID
    company_name: str
    value: Decimal
    rank: int
    note: str | None
    register_query_required: bool
    """The company's awards in this tender reach the profile's threshold (§ 6 WRegG)."""


class RegisterQueryView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    organisation_id: uuid.UUID
    company_name: str
    value: Decimal
    adapter: str
    reference: str
    entries: bool
    answer: str
    queried_at: datetime
    queried_by: str | None


class LetterView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    bid_id: uuid.UUID
    organisation_id: uuid.UUID
    company_name: str
    number: str
    dispatched_at: datetime
    contract_from: date


class StandstillView(msgspec.Struct, frozen=True, kw_only=True):
    """The standstill period (§ 134 Abs. 2 GWB) from the dispatch of the letters."""

    dispatched_at: datetime
    electronic: bool
    last_day: date
    contract_from: date
    contract_from_moment: datetime
    ended_at: datetime | None
    """When the contract became possible (``None``: the period runs, or a review holds it)."""
    days_left: int
    """Whole local days until ``contract_from`` (0 once it has come)."""


class ReviewIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A review application (Nachprüfungsantrag) the review chamber notified (§ 169 GWB)."""

    applicant: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]
    reference: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    received_on: date


class ReviewResolution(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    outcome: Literal["dismissed", "withdrawn", "upheld"]
    """``dismissed`` or ``withdrawn``: the award may go ahead; ``upheld``: the evaluation is
    resumed (the decision is void; a new one means new letters)."""
    note: Note = ""


class ReviewView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    applicant: str
    reference: str
    received_on: date
    recorded_at: datetime
    outcome: str | None
    note: str | None
    resolved_at: datetime | None


class ContractIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    lot: Annotated[int, msgspec.Meta(ge=1, le=999)]
    concluded_on: date
    value: Decimal | None = None
    """Net EUR, more than zero with at most two decimal places; by default the value of the
    award."""


class ContractView(msgspec.Struct, frozen=True, kw_only=True):
    lot: int
    organisation_id: uuid.UUID
    company_name: str
    concluded_on: date
    value: Decimal
    recorded_at: datetime


class AwardView(msgspec.Struct, frozen=True, kw_only=True):
    """The award of a tender as the authority sees it."""

    tender_id: uuid.UUID
    tender_status: str
    stage: Stage
    reasons: str | None
    proposed_at: datetime | None
    proposed_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    winners: list[WinnerView]
    register_threshold: Decimal
    register_queries: list[RegisterQueryView]
    letters: list[LetterView]
    standstill: StandstillView | None
    reviews: list[ReviewView]
    contracts: list[ContractView]


class NoticeLot(msgspec.Struct, frozen=True, kw_only=True):
    lot: int
    title: str
    company_name: str
    concluded_on: date
    value: Decimal


class PublicationView(msgspec.Struct, frozen=True, kw_only=True):
    """The award data, ready for a notice on the award (open data follows later)."""

    tender_id: uuid.UUID
    tender_number: str
    title: str
    authority_name: str
    procedure: str
    bids_received: int
    lots: list[NoticeLot]


class CompanyLetterView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    number: str
    dispatched_at: datetime
    contract_from: date


class CompanyResultView(msgspec.Struct, frozen=True, kw_only=True):
    """What a bidder learns of the outcome of its bid."""

    tender_id: uuid.UUID
    tender_number: str
    tender_title: str
    tender_status: str
    result: Result
    awarded_lots: list[int]
    letters: list[CompanyLetterView]
    contract_from: date | None
