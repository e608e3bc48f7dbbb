"""Evaluation tables: the evaluation of a tender, each bid's formal and eligibility checks with
the decision to admit or exclude it, the evaluators' declarations on conflicts of interest, the
points each evaluator gives, the ranking per lot, and the requests to bidders (§§ 56, 60 VgV).

What is kept in clear: the outcome of the checks and decisions, points, totals and ranks (the
authority's own evaluation record). Prices stay in the sealed bid (:mod:`procurement.bids`):
the ranking stores points, and whoever wants the prices reads the opened bids, which is
recorded. A bidder's answer to a request is sealed with the tender's data key like the bid.
"""

from __future__ import annotations

__all__ = [
    "Assessment",
    "AssessmentStatus",
    "AwardLot",
    "AwardProposal",
    "BidOutcome",
    "Contract",
    "Declaration",
    "Evaluation",
    "EvaluationRequest",
    "InformationLetterRow",
    "RankEntryRow",
    "RegisterQuery",
    "RequestKind",
    "ReviewApplication",
    "Score",
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
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime

POINTS = Numeric(9, 2)
MONEY = Numeric(18, 2)
"""Net euros: a bid's price is below 10**13 (:data:`procurement.bids.drafting.MAX_PRICE`), and
a company's awards in a tender sum at most 999 lots of it."""


class AssessmentStatus(enum.StrEnum):
    PENDING = "pending"
    ADMITTED = "admitted"
    EXCLUDED = "excluded"


class BidOutcome(enum.StrEnum):
    """Where an admitted bid stands after the ranking (DESIGN.md §2: ``ranked``, then
    ``awarded | unsuccessful``)."""

    RANKED = "ranked"
    UNSUCCESSFUL = "unsuccessful"
    """The authority decided to award the lots it offers to others (told under § 134 GWB)."""
    AWARDED = "awarded"
    """A contract was concluded on its bid."""


class RequestKind(enum.StrEnum):
    DOCUMENTS = "documents"
    """Missing or incomplete documents (§ 56 Abs. 2 VgV)."""
    EXPLANATION = "explanation"
    """An explanation of an abnormally low price (§ 60 Abs. 1 VgV)."""


class Evaluation(Base):
    """The evaluation of a tender's opened bids, started once by an officer."""

    __tablename__ = "evaluations"

    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    started_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    ranked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """When the ranking in force was computed (``None``: none, or made stale by a change)."""
    ranked_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    seed: Mapped[str | None] = mapped_column(String(64))
    """The seed of the draw by lot, when the profile's tie rule is ``lot`` (recorded so that
    anyone can repeat the draw)."""


class Assessment(Base):
    """A bid's formal and eligibility checks and the decision on it."""

    __tablename__ = "evaluation_bids"
    __table_args__ = (
        UniqueConstraint("bid_id", name="uq_evaluation_bids_bid_id"),
        Index("ix_evaluation_bids_tender_id", "tender_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    submission_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("bid_submissions.id", ondelete="CASCADE")
    )
    """The submission in force that was checked."""
    received_in_time: Mapped[bool] = mapped_column(Boolean)
    complete: Mapped[bool] = mapped_column(Boolean)
    signature: Mapped[str] = mapped_column(String(20))
    """``not-required``, ``ok``, ``pending`` (the check has not run yet) or ``failed``."""
    eligibility: Mapped[str] = mapped_column(String(20))
    """``not-required``, ``certificate`` (pre-qualified at the deadline), ``evidence`` (the
    documents the tender asks for are there: to be examined) or ``missing``."""
    certificate_number: Mapped[str | None] = mapped_column(String(40))
    findings: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of what the checks found wanting, in words."""
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.PENDING)
    ground: Mapped[str | None] = mapped_column(String(30))
    """Why excluded: ``late``, ``incomplete``, ``signature``, ``eligibility``,
    ``exclusion-grounds``, ``abnormally-low`` or ``other``."""
    reason: Mapped[str | None] = mapped_column(Text)
    """The recorded reason of an exclusion, or the note on an admission despite a finding."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(20))
    """:class:`BidOutcome` of an admitted bid once ranked (``None`` before, and for excluded
    bids, which stay ``excluded``)."""


class Declaration(Base):
    """A person's declaration on conflicts of interest for a tender (§ 6 VgV)."""

    __tablename__ = "evaluation_declarations"
    __table_args__ = (
        UniqueConstraint(
            "tender_id", "user_id", name="uq_evaluation_declarations_tender_id_user_id"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    conflict: Mapped[bool] = mapped_column(Boolean)
    """``False``: no conflict of interest; ``True``: one exists, and the person takes no part."""
    details: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class Score(Base):
    """The points one evaluator gives one bid on one quality criterion for one lot."""

    __tablename__ = "evaluation_scores"
    __table_args__ = (
        UniqueConstraint(
            "bid_id",
            "lot",
            "criterion_id",
            "evaluator_id",
            name="uq_evaluation_scores_bid_id_lot_criterion_id_evaluator_id",
        ),
        Index("ix_evaluation_scores_tender_id", "tender_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    lot: Mapped[int] = mapped_column(Integer)
    criterion_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tender_criteria.id", ondelete="CASCADE")
    )
    evaluator_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE")
    )
    points: Mapped[Decimal] = mapped_column(POINTS)
    justification: Mapped[str] = mapped_column(Text, default="")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class RankEntryRow(Base):
    """A bid's place in the ranking of a lot, as computed last."""

    __tablename__ = "evaluation_ranks"
    __table_args__ = (
        UniqueConstraint(
            "tender_id", "lot", "bid_id", name="uq_evaluation_ranks_tender_id_lot_bid_id"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    lot: Mapped[int] = mapped_column(Integer)
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(POINTS)
    points: Mapped[str] = mapped_column(Text)
    """JSON object: each criterion's id with the bid's (consolidated) points on it."""
    tied: Mapped[bool] = mapped_column(Boolean)
    abnormally_low: Mapped[bool] = mapped_column(Boolean)
    """The price lies more than the profile's threshold below the next one (§ 60 VgV)."""


class EvaluationRequest(Base):
    """A request to a bidder: missing documents (§ 56 VgV) or a price explanation (§ 60 VgV)."""

    __tablename__ = "evaluation_requests"
    __table_args__ = (
        Index("ix_evaluation_requests_tender_id", "tender_id"),
        Index("ix_evaluation_requests_organisation_id", "organisation_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    """What the authority asks for, in its words."""
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The bidder's answer, sealed with the tender's data key."""
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class AwardProposal(Base):
    """The award decision of a tender: proposed by one officer, approved by another (four
    eyes); then the information of the unsuccessful bidders and the standstill (§ 134 GWB)."""

    __tablename__ = "award_proposals"

    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    )
    reasons: Mapped[str] = mapped_column(Text)
    """The reasons of the decision, told to the unsuccessful bidders."""
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    electronic: Mapped[bool] = mapped_column(Boolean, default=True)
    """The information goes out electronically (10 days' standstill) or otherwise (15)."""
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """When the information letters were sent: the standstill runs from the next day."""
    standstill_last_day: Mapped[date | None] = mapped_column(Date)
    contract_from: Mapped[date | None] = mapped_column(Date)
    """The first local day on which the contract may be concluded, as the letters say."""
    contract_from_moment: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    standstill_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    """When the end-of-standstill job made the contract possible (no review application
    pending)."""


class AwardLot(Base):
    """The bid to be awarded a lot, with the value of the award (its net price)."""

    __tablename__ = "award_lots"
    __table_args__ = (UniqueConstraint("tender_id", "lot", name="uq_award_lots_tender_id_lot"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("award_proposals.tender_id", ondelete="CASCADE")
    )
    lot: Mapped[int] = mapped_column(Integer)
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    value: Mapped[Decimal] = mapped_column(MONEY)
    """The net price of the winning bid for the lot (published with the award anyway)."""
    rank: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    """Why a bid other than the first-ranked one is chosen (for example the first withdrew)."""


class RegisterQuery(Base):
    """A query of the competition register (§ 6 WRegG) about a company before its award."""

    __tablename__ = "award_register_queries"
    __table_args__ = (Index("ix_award_register_queries_tender_id", "tender_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    value: Mapped[Decimal] = mapped_column(MONEY)
    """The award value that made the query necessary."""
    adapter: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(100))
    """The register's reference of the query (Abfrage-ID)."""
    entries: Mapped[bool] = mapped_column(Boolean)
    """Whether the register answered with entries about the company."""
    answer: Mapped[str] = mapped_column(Text)
    """The register's answer as received (JSON), kept as the record."""
    queried_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    queried_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class InformationLetterRow(Base):
    """The information of an unsuccessful bidder (§ 134 GWB): the sealed PDF, as sent."""

    __tablename__ = "award_letters"
    __table_args__ = (
        UniqueConstraint(
            "tender_id",
            "bid_id",
            "dispatched_at",
            name="uq_award_letters_tender_id_bid_id_dispatched_at",
        ),
        Index("ix_award_letters_organisation_id", "organisation_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    number: Mapped[str] = mapped_column(String(60))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    """The letter, sealed by the platform (it names no price of another bid)."""
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    contract_from: Mapped[date] = mapped_column(Date)


class ReviewApplication(Base):
    """An application for review (Nachprüfungsantrag, § 160 GWB): while one is pending the
    contract may not be concluded (§ 169 Abs. 1 GWB)."""

    __tablename__ = "award_reviews"
    __table_args__ = (Index("ix_award_reviews_tender_id", "tender_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    applicant: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(100))
    """The review chamber's file number."""
    received_on: Mapped[date] = mapped_column(Date)
    """When the chamber's notice of the application reached the authority."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(20))
    """``dismissed``, ``withdrawn`` or ``upheld`` once resolved."""
    note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class Contract(Base):
    """The conclusion of the contract for a lot: date, value, supplier."""

    __tablename__ = "award_contracts"
    __table_args__ = (
        UniqueConstraint("tender_id", "lot", name="uq_award_contracts_tender_id_lot"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tender_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenders.id", ondelete="CASCADE"))
    lot: Mapped[int] = mapped_column(Integer)
    bid_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bids.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    concluded_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(MONEY)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
