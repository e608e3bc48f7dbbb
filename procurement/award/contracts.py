"""The contract: its conclusion per lot after the standstill, the winners informed, the award
data ready for publication, and the completion of the tender.

A contract is recorded (date, value, supplier) only once the standstill job has made it
possible and no review application is pending, on a day not before the day of contract the
letters named and not in the future. When every awarded lot has its contract the tender is
``awarded``, each winning bid ``awarded``, and each winner is told by mail. An officer marks the
tender ``completed`` when the contracts are performed.
"""

from __future__ import annotations

__all__ = ["complete", "conclude", "publication"]

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation
from infra.identity.principal import Principal
from infra.mail.outbox import queue_mail
from procurement.award import conclusion, evaluation
from procurement.award.award_schemas import ContractIn, NoticeLot, PublicationView
from procurement.award.models import Assessment, AwardLot, AwardProposal, BidOutcome, Contract
from procurement.bids.drafting import price_problem
from procurement.bids.models import Bid, BidStatus
from procurement.errors import AwardRefused, InvalidAward
from procurement.tenders.models import Lot, Tender, TenderStatus
from procurement.tenders.repository import TenderRepository


async def conclude(
    session: AsyncSession,
    *,
    tender: Tender,
    data: ContractIn,
    by: Principal,
    now: datetime,
    today: date,
    public_url: str,
) -> Contract:
    """Record the conclusion of the contract for a lot.

    Raises:
        AwardRefused: not after an approved decision (``not-proposed``), the standstill runs
            (``standstill-running``, with ``contract_from``), a review is pending
            (``review-pending``), or the lot has its contract (``concluded``).
        InvalidAward: the lot is not awarded, or the date lies before the day of contract or
            in the future.
    """
    if tender.status not in (TenderStatus.AWARD_PROPOSED, TenderStatus.AWARDED):
        raise AwardRefused(
            "A contract is recorded after the approved award decision and its standstill.",
            reason="not-proposed",
            tender_status=tender.status,
        )
    proposal = await session.get(AwardProposal, tender.id, with_for_update=True)
    assert proposal is not None
    if await conclusion.open_reviews(session, tender.id):
        raise AwardRefused(
            "A review application is pending: the contract may not be concluded before the "
            "chamber's decision (§ 169 Abs. 1 GWB).",
            reason="review-pending",
        )
    if proposal.standstill_ended_at is None:
        raise AwardRefused(
            "The standstill period runs: the contract may be concluded from "
            f"{proposal.contract_from} (§ 134 Abs. 2 GWB).",
            reason="standstill-running",
            contract_from=proposal.contract_from.isoformat() if proposal.contract_from else None,
        )
    winner = await session.scalar(
        select(AwardLot).where(AwardLot.tender_id == tender.id, AwardLot.lot == data.lot)
    )
    if winner is None:
        raise InvalidAward(
            f"Lot {data.lot} is not awarded in this decision.",
            errors=[{"field": "lot", "message": "not awarded"}],
        )
    assert proposal.contract_from is not None
    if not proposal.contract_from <= data.concluded_on <= today:
        raise InvalidAward(
            f"The contract is concluded on a day from {proposal.contract_from} to today.",
            errors=[{"field": "concluded_on", "message": f"{proposal.contract_from}..{today}"}],
        )
    value = data.value
    if value is not None and price_problem(value):
        raise InvalidAward(
            "Give the contract's net value in EUR, more than zero, with at most two decimals.",
            errors=[{"field": "value", "message": "a positive amount, two decimals at most"}],
        )
    if await session.scalar(
        select(Contract.id).where(Contract.tender_id == tender.id, Contract.lot == data.lot)
    ):
        raise AwardRefused(f"Lot {data.lot} has its contract already.", reason="concluded")
    contract = Contract(
        tender_id=tender.id,
        lot=data.lot,
        bid_id=winner.bid_id,
        organisation_id=winner.organisation_id,
        concluded_on=data.concluded_on,
        value=value if value is not None else winner.value,
        recorded_at=now,
        recorded_by=by.user_id,
    )
    session.add(contract)
    await session.flush()
    await evaluation.audit(
        session,
        tender,
        "tender.contract",
        by,
        now,
        lot=data.lot,
        company=str(winner.organisation_id),
        value=str(contract.value),
        concluded_on=data.concluded_on.isoformat(),
    )
    awarded = set(
        await session.scalars(select(AwardLot.lot).where(AwardLot.tender_id == tender.id))
    )
    done = set(await session.scalars(select(Contract.lot).where(Contract.tender_id == tender.id)))
    if awarded <= done:
        await _awarded(session, tender, by, now, public_url)
    return contract


async def _awarded(
    session: AsyncSession, tender: Tender, by: Principal, now: datetime, public_url: str
) -> None:
    """Every lot has its contract: the tender and the winning bids are awarded."""
    tender.status = TenderStatus.AWARDED
    tender.version += 1
    tender.updated_at = now
    contracts = list(await session.scalars(select(Contract).where(Contract.tender_id == tender.id)))
    winners = {c.bid_id for c in contracts}
    for row in await session.scalars(select(Assessment).where(Assessment.bid_id.in_(winners))):
        row.outcome = BidOutcome.AWARDED
    url = f"{public_url.rstrip('/')}/angebote/{tender.id}"
    for organisation_id in sorted({c.organisation_id for c in contracts}, key=str):
        company = await session.get(Organisation, organisation_id)
        if company is None or not company.contact_email:
            continue
        lots = ", ".join(str(c.lot) for c in contracts if c.organisation_id == organisation_id)
        await queue_mail(
            session,
            to=company.contact_email,
            subject=f"Zuschlag erteilt: {tender.number} / Contract awarded",
            body=(
                f"Guten Tag,\n\nin der Ausschreibung {tender.number} „{tender.title}“ wurde "
                f"Ihnen der Zuschlag erteilt (Los {lots}). Die Einzelheiten finden Sie auf der "
                f"Plattform:\n{url}\n\n----- English -----\n\nIn the tender {tender.number} "
                f'"{tender.title}" the contract has been awarded to you (lot {lots}). The '
                f"details are on the platform:\n{url}\n"
            ),
            now=now,
        )
    await evaluation.audit(session, tender, "tender.awarded", by, now, lots=len(contracts))


async def complete(session: AsyncSession, *, tender: Tender, by: Principal, now: datetime) -> None:
    """Mark an awarded tender completed (its contracts performed).

    Raises:
        AwardRefused: the tender is not awarded (``not-awarded``).
    """
    if tender.status != TenderStatus.AWARDED:
        raise AwardRefused(
            "Only an awarded tender is completed.",
            reason="not-awarded",
            tender_status=tender.status,
        )
    tender.status = TenderStatus.COMPLETED
    tender.version += 1
    tender.updated_at = now
    await evaluation.audit(session, tender, "tender.complete", by, now)


async def publication(session: AsyncSession, tender: Tender) -> PublicationView:
    """The award data for a notice on the award.

    Raises:
        AwardRefused: no contract yet (``not-awarded``).
    """
    if tender.status not in (TenderStatus.AWARDED, TenderStatus.COMPLETED):
        raise AwardRefused(
            "The award data are ready once the contracts are concluded.",
            reason="not-awarded",
            tender_status=tender.status,
        )
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    received = await session.scalar(
        select(func.count())
        .select_from(Bid)
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
    )
    lots = []
    for contract in await session.scalars(
        select(Contract).where(Contract.tender_id == tender.id).order_by(Contract.lot)
    ):
        company = await session.get(Organisation, contract.organisation_id)
        lots.append(
            NoticeLot(
                lot=contract.lot,
                title=titles.get(contract.lot, tender.title),
                company_name=company.legal_name if company else "",
                concluded_on=contract.concluded_on,
                value=contract.value,
            )
        )
    return PublicationView(
        tender_id=tender.id,
        tender_number=tender.number,
        title=tender.title,
        authority_name=await TenderRepository(session).authority_name(tender.authority_id),
        procedure=tender.procedure,
        bids_received=received or 0,
        lots=lots,
    )
