"""The award decision: proposed by one officer, queried in the competition register where the
value requires it (§ 6 WRegG), approved by a second officer (four eyes).

The proposal takes, per lot, the first bid of the ranking in force (or the bid an officer
chooses with a note: equal first places, a first-ranked bidder who withdrew) and the reasons the
unsuccessful bidders will read. Any change of decisions or points drops the ranking and with it
an unapproved proposal. The approval is refused to the proposer, before the register queries
for every company whose awards in the tender reach the profile's threshold, and, where the
register reports entries, without a note on why the company is not excluded. The approval ends
the evaluation (``in_evaluation → award_proposed``): the bids not to be awarded any lot become
``unsuccessful`` and the job ``procurement.dispatch_award_letters`` sends the information
letters at once (:mod:`procurement.award.letters`).
"""

from __future__ import annotations

__all__ = ["DISPATCH_LETTERS", "DispatchLetters", "approve", "propose", "query_register"]

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from procurement.award import conflicts, evaluation, ranking
from procurement.award.award_schemas import Approval, ManualRegisterAnswer, Proposal
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    AwardLot,
    AwardProposal,
    BidOutcome,
    RegisterQuery,
)
from procurement.award.register import Company, RegisterAdapter
from procurement.bids import vault
from procurement.errors import AwardRefused, FourEyesRequired, InvalidAward
from procurement.tenders.models import Tender, TenderStatus

DISPATCH_LETTERS = "procurement.dispatch_award_letters"


class DispatchLetters(msgspec.Struct, frozen=True, kw_only=True):
    tender_id: str


async def propose(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    data: Proposal,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> AwardProposal:
    """Propose the award from the ranking in force (replacing an unapproved proposal).

    Raises:
        EvaluationRefused: not in evaluation, or no ranking (``not-ranked``).
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
        AwardRefused: equal first places without a choice (``tie-unresolved``).
        InvalidAward: a choice names a lot or bid not ranked, or lacks its note.
    """
    evaluation.require_in_evaluation(tender)
    view = await ranking.ranking(session, profile=profile, tender=tender, kek=kek, by=by, now=now)
    chosen = {choice.lot: choice for choice in data.winners}
    lots = {lot.lot: lot for lot in view.lots}
    errors = [
        {"field": "winners", "message": f"lot {lot}: not in the ranking"}
        for lot in chosen
        if lot not in lots
    ]
    winners: list[AwardLot] = []
    for number, lot in sorted(lots.items()):
        firsts = [entry for entry in lot.entries if entry.rank == 1]
        choice = chosen.get(number)
        if choice is None:
            if len(firsts) != 1:
                raise AwardRefused(
                    f"Lot {number}: several bids share the first place; choose one and say why.",
                    reason="tie-unresolved",
                    lot=number,
                )
            entry = firsts[0]
            note = None
        else:
            match = [entry for entry in lot.entries if entry.bid_id == choice.bid_id]
            if not match:
                errors.append(
                    {"field": "winners", "message": f"lot {number}: the bid is not ranked"}
                )
                continue
            entry = match[0]
            note = choice.note.strip() or None
            chosen_freely = entry.rank != 1 or len(firsts) > 1
            if chosen_freely and (note is None or len(note) < 10):
                errors.append({"field": "winners", "message": f"lot {number}: say why (a note)"})
                continue
        assessment = await session.scalar(
            select(Assessment).where(Assessment.bid_id == entry.bid_id)
        )
        assert assessment is not None
        assert entry.price is not None
        winners.append(
            AwardLot(
                tender_id=tender.id,
                lot=number,
                bid_id=entry.bid_id,
                organisation_id=assessment.organisation_id,
                value=entry.price,
                rank=entry.rank,
                note=note,
            )
        )
    if errors:
        raise InvalidAward("The choice of bids cannot be taken.", errors=errors)
    existing = await session.get(AwardProposal, tender.id, with_for_update=True)
    if existing is not None and existing.approved_at is not None:
        raise AwardRefused("The award decision has been approved already.", reason="approved")
    await session.execute(delete(AwardLot).where(AwardLot.tender_id == tender.id))
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    proposal = AwardProposal(
        tender_id=tender.id,
        reasons=data.reasons.strip(),
        proposed_at=now,
        proposed_by=by.user_id,
        electronic=True,
    )
    session.add(proposal)
    await session.flush()
    session.add_all(winners)
    await session.flush()
    await evaluation.audit(
        session,
        tender,
        "tender.award_propose",
        by,
        now,
        winners=[[w.lot, str(w.bid_id), str(w.value), w.rank] for w in winners],
    )
    return proposal


async def pending_proposal(session: AsyncSession, tender: Tender) -> AwardProposal:
    """The proposal awaiting approval, locked.

    Raises:
        AwardRefused: there is none (``no-proposal``) or it is approved (``approved``).
    """
    proposal = await session.get(AwardProposal, tender.id, with_for_update=True)
    if proposal is None:
        raise AwardRefused("No award has been proposed.", reason="no-proposal")
    if proposal.approved_at is not None:
        raise AwardRefused("The award decision has been approved already.", reason="approved")
    return proposal


async def winners_of(session: AsyncSession, tender_id: uuid.UUID) -> list[AwardLot]:
    return list(
        await session.scalars(
            select(AwardLot).where(AwardLot.tender_id == tender_id).order_by(AwardLot.lot)
        )
    )


def values_by_company(winners: list[AwardLot]) -> dict[uuid.UUID, Decimal]:
    """The total value of the lots each company is to be awarded."""
    totals: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for winner in winners:
        totals[winner.organisation_id] += winner.value
    return dict(totals)


async def query_register(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    adapter: RegisterAdapter,
    answers: list[ManualRegisterAnswer],
    by: Principal,
    now: datetime,
) -> list[RegisterQuery]:
    """Query the competition register about every company whose awards in this tender reach
    the profile's threshold; each query and answer recorded. Returns the new queries.

    Raises:
        AwardRefused: no pending proposal.
        InvalidAward: the adapter needs the answers received on the register's portal.
    """
    await pending_proposal(session, tender)
    await conflicts.require_declaration(session, tender, by)
    threshold = profile.award.competition_register_from
    manual = {answer.organisation_id: answer for answer in answers}
    made: list[RegisterQuery] = []
    for organisation_id, value in sorted(
        values_by_company(await winners_of(session, tender.id)).items(), key=lambda kv: str(kv[0])
    ):
        if value < threshold:
            continue
        company = await session.get(Organisation, organisation_id)
        assert company is not None
        answer = await adapter.query(
            Company(
                legal_name=company.legal_name,
                register_court=company.register_court,
                register_number=company.register_number,
                vat_id=company.vat_id,
                city=company.city,
            ),
            value=value,
            at=now,
            manual=manual.get(organisation_id),
        )
        row = RegisterQuery(
            tender_id=tender.id,
            organisation_id=organisation_id,
            value=value,
            adapter=adapter.name,
            reference=answer.reference,
            entries=answer.entries,
            answer=answer.answer,
            queried_at=now,
            queried_by=by.user_id,
        )
        session.add(row)
        made.append(row)
        await evaluation.audit(
            session,
            tender,
            "tender.register_query",
            by,
            now,
            company=str(organisation_id),
            value=str(value),
            reference=answer.reference,
            entries=answer.entries,
        )
    await session.flush()
    return made


async def approve(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    data: Approval,
    by: Principal,
    now: datetime,
) -> AwardProposal:
    """Approve the proposed award (a second officer) and send the information letters.

    Raises:
        EvaluationRefused: not in evaluation.
        AwardRefused: no pending proposal, a register query missing
            (``register-query-missing``), or entries without a note (``register-entries``).
        FourEyesRequired: the caller proposed the award.
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
    """
    proposal = await pending_proposal(session, tender)
    evaluation.require_in_evaluation(tender)
    if proposal.proposed_by == by.user_id:
        raise FourEyesRequired(
            "You proposed this award: a second officer of the authority approves it.",
        )
    await conflicts.require_declaration(session, tender, by)
    winners = await winners_of(session, tender.id)
    threshold = profile.award.competition_register_from
    queries = list(
        await session.scalars(
            select(RegisterQuery).where(
                RegisterQuery.tender_id == tender.id,
                RegisterQuery.queried_at >= proposal.proposed_at,
            )
        )
    )
    latest = {q.organisation_id: q for q in sorted(queries, key=lambda q: q.queried_at)}
    missing = [
        str(organisation_id)
        for organisation_id, value in values_by_company(winners).items()
        if value >= threshold and organisation_id not in latest
    ]
    if missing:
        raise AwardRefused(
            f"Awards of EUR {threshold} and more need the competition register's answer about "
            "the company first (§ 6 WRegG).",
            reason="register-query-missing",
            companies=missing,
        )
    if any(q.entries for q in latest.values()) and len(data.register_note.strip()) < 10:
        raise AwardRefused(
            "The competition register reports entries: say why the company is not excluded "
            "(self-cleaning, § 125 GWB) in the register note.",
            reason="register-entries",
        )
    proposal.approved_at = now
    proposal.approved_by = by.user_id
    proposal.electronic = data.electronic
    tender.status = TenderStatus.AWARD_PROPOSED
    tender.version += 1
    tender.updated_at = now
    winning = {w.bid_id for w in winners}
    for row in await session.scalars(select(Assessment).where(Assessment.tender_id == tender.id)):
        if row.status == AssessmentStatus.ADMITTED and row.bid_id not in winning:
            row.outcome = BidOutcome.UNSUCCESSFUL
    await outbox.enqueue(
        session,
        DISPATCH_LETTERS,
        DispatchLetters(tender_id=str(tender.id)),
        run_at=now,
        now=now,
        dedupe_key=f"award-letters:{tender.id}:{now.isoformat()}",
    )
    await evaluation.audit(
        session,
        tender,
        "tender.award_approve",
        by,
        now,
        electronic=data.electronic,
        register_note=data.register_note.strip() or None,
    )
    return proposal
