"""What the award shows: the authority's view of the decision, the standstill and the contracts;
the bidder's result and its letters.

The authority's view names the winners and their award values (the values are published with
the award anyway) but no other price. A bidder sees only its own outcome and its own letters,
and only once the decision is approved: before, its result is ``pending`` whatever the
evaluation holds.
"""

from __future__ import annotations

__all__ = ["award_view", "company_letter", "company_result", "stage_of"]

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation, User
from infra.profile import Profile
from procurement.award import proposals
from procurement.award.award_schemas import (
    AwardView,
    CompanyLetterView,
    CompanyResultView,
    ContractView,
    LetterView,
    RegisterQueryView,
    Result,
    ReviewView,
    Stage,
    StandstillView,
    WinnerView,
)
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    AwardProposal,
    BidOutcome,
    Contract,
    InformationLetterRow,
    RegisterQuery,
    ReviewApplication,
)
from procurement.errors import LetterNotFound, TenderNotFound
from procurement.periods import Calendar
from procurement.tenders.models import Lot, Tender, TenderStatus


async def _name(session: AsyncSession, user_id: uuid.UUID | None) -> str | None:
    user = await session.get(User, user_id) if user_id else None
    return (user.name or user.email) if user else None


async def _company(session: AsyncSession, organisation_id: uuid.UUID) -> str:
    company = await session.get(Organisation, organisation_id)
    return company.legal_name if company else ""


def stage_of(tender: Tender, proposal: AwardProposal | None, held: bool) -> Stage:
    if tender.status == TenderStatus.COMPLETED:
        return "completed"
    if tender.status == TenderStatus.AWARDED:
        return "awarded"
    if proposal is None or tender.status != TenderStatus.AWARD_PROPOSED:
        return "proposed" if proposal is not None else "evaluation"
    if proposal.dispatched_at is None:
        return "dispatching"
    if proposal.standstill_ended_at is not None:
        return "held" if held else "contract-possible"
    return "held" if held else "standstill"


def _standstill(
    profile: Profile, proposal: AwardProposal | None, now: datetime
) -> StandstillView | None:
    if proposal is None or proposal.dispatched_at is None:
        return None
    assert proposal.contract_from is not None
    assert proposal.contract_from_moment is not None
    today = Calendar(profile).local_date(now)
    return StandstillView(
        dispatched_at=proposal.dispatched_at,
        electronic=proposal.electronic,
        last_day=proposal.standstill_last_day or proposal.contract_from,
        contract_from=proposal.contract_from,
        contract_from_moment=proposal.contract_from_moment,
        ended_at=proposal.standstill_ended_at,
        days_left=max(0, (proposal.contract_from - today).days),
    )


async def award_view(
    session: AsyncSession, *, profile: Profile, tender: Tender, now: datetime
) -> AwardView:
    proposal = await session.get(AwardProposal, tender.id)
    winners = await proposals.winners_of(session, tender.id)
    totals = proposals.values_by_company(winners)
    threshold = profile.award.competition_register_from
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    reviews = list(
        await session.scalars(
            select(ReviewApplication)
            .where(ReviewApplication.tender_id == tender.id)
            .order_by(ReviewApplication.recorded_at)
        )
    )
    queries = await session.scalars(
        select(RegisterQuery)
        .where(RegisterQuery.tender_id == tender.id)
        .order_by(RegisterQuery.queried_at)
    )
    letters = await session.scalars(
        select(InformationLetterRow)
        .where(InformationLetterRow.tender_id == tender.id)
        .order_by(InformationLetterRow.dispatched_at, InformationLetterRow.number)
    )
    contracts = await session.scalars(
        select(Contract).where(Contract.tender_id == tender.id).order_by(Contract.lot)
    )
    held = any(r.outcome is None for r in reviews)
    return AwardView(
        tender_id=tender.id,
        tender_status=tender.status,
        stage=stage_of(tender, proposal, held),
        reasons=proposal.reasons if proposal else None,
        proposed_at=proposal.proposed_at if proposal else None,
        proposed_by=await _name(session, proposal.proposed_by) if proposal else None,
        approved_at=proposal.approved_at if proposal else None,
        approved_by=await _name(session, proposal.approved_by) if proposal else None,
        winners=[
            WinnerView(
                lot=w.lot,
                lot_title=titles.get(w.lot, tender.title),
                bid_id=w.bid_id,
                organisation_id=w.organisation_id,
                company_name=await _company(session, w.organisation_id),
                value=w.value,
                rank=w.rank,
                note=w.note,
                register_query_required=totals[w.organisation_id] >= threshold,
            )
            for w in winners
        ],
        register_threshold=threshold,
        register_queries=[
            RegisterQueryView(
                id=q.id,
                organisation_id=q.organisation_id,
                company_name=await _company(session, q.organisation_id),
                value=q.value,
                adapter=q.adapter,
                reference=q.reference,
                entries=q.entries,
                answer=q.answer,
                queried_at=q.queried_at,
                queried_by=await _name(session, q.queried_by),
            )
            for q in queries
        ],
        letters=[
            LetterView(
                id=letter.id,
                bid_id=letter.bid_id,
                organisation_id=letter.organisation_id,
                company_name=await _company(session, letter.organisation_id),
                number=letter.number,
                dispatched_at=letter.dispatched_at,
                contract_from=letter.contract_from,
            )
            for letter in letters
        ],
        standstill=_standstill(profile, proposal, now),
        reviews=[
            ReviewView(
                id=r.id,
                applicant=r.applicant,
                reference=r.reference,
                received_on=r.received_on,
                recorded_at=r.recorded_at,
                outcome=r.outcome,
                note=r.note,
                resolved_at=r.resolved_at,
            )
            for r in reviews
        ],
        contracts=[
            ContractView(
                lot=c.lot,
                organisation_id=c.organisation_id,
                company_name=await _company(session, c.organisation_id),
                concluded_on=c.concluded_on,
                value=c.value,
                recorded_at=c.recorded_at,
            )
            for c in contracts
        ],
    )


async def company_result(
    session: AsyncSession, *, organisation_id: uuid.UUID, tender_id: uuid.UUID
) -> CompanyResultView:
    """The company's result in a tender it bid for.

    Raises:
        TenderNotFound: the company has no opened bid in the tender.
    """
    tender = await session.get(Tender, tender_id)
    assessment = await session.scalar(
        select(Assessment).where(
            Assessment.tender_id == tender_id, Assessment.organisation_id == organisation_id
        )
    )
    if tender is None or assessment is None:
        raise TenderNotFound("Your company has no opened bid in this tender.")
    proposal = await session.get(AwardProposal, tender_id)
    decided = proposal is not None and proposal.approved_at is not None
    letters = list(
        await session.scalars(
            select(InformationLetterRow)
            .where(
                InformationLetterRow.tender_id == tender_id,
                InformationLetterRow.organisation_id == organisation_id,
            )
            .order_by(InformationLetterRow.dispatched_at)
        )
    )
    awarded_lots = sorted(
        await session.scalars(
            select(Contract.lot).where(
                Contract.tender_id == tender_id, Contract.organisation_id == organisation_id
            )
        )
    )
    to_be_awarded = (
        sorted(
            w.lot
            for w in await proposals.winners_of(session, tender_id)
            if w.organisation_id == organisation_id
        )
        if decided
        else []
    )
    result: Result = "pending"
    if decided:
        if assessment.outcome == BidOutcome.AWARDED:
            result = "awarded"
        elif to_be_awarded:
            result = "to-be-awarded"
        elif assessment.status == AssessmentStatus.EXCLUDED:
            result = "excluded"
        else:
            result = "unsuccessful"
    return CompanyResultView(
        tender_id=tender.id,
        tender_number=tender.number,
        tender_title=tender.title,
        tender_status=tender.status,
        result=result,
        awarded_lots=awarded_lots or to_be_awarded,
        letters=[
            CompanyLetterView(
                id=letter.id,
                number=letter.number,
                dispatched_at=letter.dispatched_at,
                contract_from=letter.contract_from,
            )
            for letter in letters
        ],
        contract_from=proposal.contract_from if decided and proposal else None,
    )


async def company_letter(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    tender_id: uuid.UUID,
    letter_id: uuid.UUID,
) -> InformationLetterRow:
    """A letter of the tender; of the company when ``organisation_id`` is given.

    Raises:
        LetterNotFound: no such letter (for this company).
    """
    query = select(InformationLetterRow).where(
        InformationLetterRow.id == letter_id, InformationLetterRow.tender_id == tender_id
    )
    if organisation_id is not None:
        query = query.where(InformationLetterRow.organisation_id == organisation_id)
    letter = await session.scalar(query)
    if letter is None:
        raise LetterNotFound("There is no such letter.")
    return letter
