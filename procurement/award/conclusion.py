"""The end of the standstill and the review applications that hold it.

The job ``procurement.end_standstill`` runs at the first moment of the day of contract the
letters named. Unless an application for review is pending, it makes the contract possible
(``standstill_ended_at``) and tells the authority's officers by mail; a second delivery, or a
re-run after its worker was killed, finds the standstill ended and does nothing
(``skipped``); a run before the moment queues itself again for it (``early``). The sweep of
the tenders (every five minutes) ends every standstill whose job was lost. While a review
application is pending (§ 169 Abs. 1 GWB: once the review chamber has informed the authority,
the contract may not be concluded before its decision and the period for an appeal), the end
is held; dismissing or withdrawing the last pending one ends the standstill at once if its
period is over. An upheld application voids the decision: the evaluation resumes, the ranking
is to be computed again, and a new decision means new letters.
"""

from __future__ import annotations

__all__ = ["end_overdue", "end_standstill", "open_reviews", "record_review", "resolve_review"]

import uuid
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Membership, Role, User
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.mail.outbox import queue_mail
from procurement.award import evaluation
from procurement.award.award_schemas import ReviewIn, ReviewResolution
from procurement.award.letters import END_STANDSTILL, EndStandstill, end_key
from procurement.award.models import AwardLot, AwardProposal, ReviewApplication
from procurement.errors import AwardRefused, InvalidAward
from procurement.tenders.models import Tender, TenderStatus


async def open_reviews(session: AsyncSession, tender_id: uuid.UUID) -> list[ReviewApplication]:
    return list(
        await session.scalars(
            select(ReviewApplication).where(
                ReviewApplication.tender_id == tender_id, ReviewApplication.outcome.is_(None)
            )
        )
    )


async def _tell_officers(session: AsyncSession, tender: Tender, now: datetime, url: str) -> None:
    officers = await session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == tender.authority_id, Membership.role == Role.OFFICER)
    )
    body = (
        f"Guten Tag,\n\ndie Stillhaltefrist nach § 134 GWB in der Ausschreibung {tender.number} "
        f"„{tender.title}“ ist abgelaufen; ein Nachprüfungsantrag liegt nicht vor. Der Vertrag "
        f"kann jetzt geschlossen und auf der Plattform erfasst werden:\n{url}\n\n"
        f"----- English -----\n\nThe standstill period (Section 134 GWB) of the tender "
        f'{tender.number} "{tender.title}" has ended and no review is pending. The contract may '
        f"now be concluded and recorded on the platform:\n{url}\n"
    )
    for user in officers:
        await queue_mail(
            session,
            to=user.email,
            subject=f"Stillhaltefrist abgelaufen: {tender.number} / Standstill ended",
            body=body,
            now=now,
        )


async def end_standstill(
    session: AsyncSession,
    tender_id: uuid.UUID,
    *,
    now: datetime,
    public_url: str,
    requeue: bool = False,
) -> str:
    """Make the contract possible once the standstill is over; ``ended``, ``skipped`` (ended
    already), ``early`` (with ``requeue``, the job runs again at the day of contract), ``held``
    (a review is pending) or ``missing``."""
    proposal = await session.get(AwardProposal, tender_id, with_for_update=True)
    tender = await session.get(Tender, tender_id)
    if proposal is None or proposal.dispatched_at is None or tender is None:
        return "missing"
    if proposal.standstill_ended_at is not None:
        return "skipped"
    if tender.status != TenderStatus.AWARD_PROPOSED:
        return "missing"
    assert proposal.contract_from_moment is not None
    if now < proposal.contract_from_moment:
        if not requeue:
            return "early"
        # The job ran before its time (a clock ahead, a job moved by hand): due again then.
        await outbox.enqueue(
            session,
            END_STANDSTILL,
            EndStandstill(tender_id=str(tender.id)),
            run_at=proposal.contract_from_moment,
            now=now,
            dedupe_key=end_key(tender.id, proposal.dispatched_at) + ":again",
        )
        return "early"
    if await open_reviews(session, tender_id):
        return "held"
    proposal.standstill_ended_at = now
    await record(
        session,
        now=now,
        action="tender.standstill_end",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=None,
        organisation_id=tender.authority_id,
        after={
            "contract_from": proposal.contract_from.isoformat() if proposal.contract_from else None
        },
    )
    url = f"{public_url.rstrip('/')}/vergabestelle/ausschreibungen/{tender.id}/zuschlag"
    await _tell_officers(session, tender, now, url)
    return "ended"


async def end_overdue(session: AsyncSession, *, now: datetime, public_url: str) -> int:
    """End every standstill that is over and not held (the sweep); how many were ended."""
    due = await session.scalars(
        select(AwardProposal.tender_id)
        .join(Tender, Tender.id == AwardProposal.tender_id)
        .where(
            Tender.status == TenderStatus.AWARD_PROPOSED,
            AwardProposal.dispatched_at.is_not(None),
            AwardProposal.standstill_ended_at.is_(None),
            AwardProposal.contract_from_moment <= now,
        )
    )
    ended = 0
    for tender_id in list(due):
        ended += await end_standstill(session, tender_id, now=now, public_url=public_url) == "ended"
    return ended


def _require_award_stage(tender: Tender) -> None:
    if tender.status != TenderStatus.AWARD_PROPOSED:
        raise AwardRefused(
            "A review application is recorded between the decision and the contract.",
            reason="not-proposed",
            tender_status=tender.status,
        )


async def record_review(
    session: AsyncSession,
    *,
    tender: Tender,
    data: ReviewIn,
    by: Principal,
    now: datetime,
    today: date,
) -> ReviewApplication:
    """Record a review application the chamber notified: it holds the contract.

    Raises:
        AwardRefused: the tender is not between decision and contract.
        InvalidAward: the notice is dated in the future.
    """
    _require_award_stage(tender)
    if data.received_on > today:
        raise InvalidAward(
            "The chamber's notice cannot have been received in the future.",
            errors=[{"field": "received_on", "message": "not after today"}],
        )
    row = ReviewApplication(
        tender_id=tender.id,
        applicant=data.applicant.strip(),
        reference=data.reference.strip(),
        received_on=data.received_on,
        recorded_at=now,
        recorded_by=by.user_id,
    )
    session.add(row)
    await session.flush()
    await evaluation.audit(
        session,
        tender,
        "tender.review_record",
        by,
        now,
        applicant=row.applicant,
        reference=row.reference,
    )
    return row


async def resolve_review(
    session: AsyncSession,
    *,
    tender: Tender,
    review_id: uuid.UUID,
    data: ReviewResolution,
    by: Principal,
    now: datetime,
    public_url: str,
) -> ReviewApplication:
    """Record the outcome of a review application.

    Raises:
        AwardRefused: the tender is not between decision and contract, or the application is
            resolved already (``resolved``).
        InvalidAward: no such application.
    """
    _require_award_stage(tender)
    row = (
        await session.scalars(
            select(ReviewApplication)
            .where(ReviewApplication.id == review_id, ReviewApplication.tender_id == tender.id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise InvalidAward(
            "The tender has no such review application.",
            errors=[{"field": "review_id", "message": "unknown"}],
        )
    if row.outcome is not None:
        raise AwardRefused("The review application is resolved already.", reason="resolved")
    row.outcome = data.outcome
    row.note = data.note.strip() or None
    row.resolved_at = now
    row.resolved_by = by.user_id
    await session.flush()
    await evaluation.audit(
        session,
        tender,
        "tender.review_resolve",
        by,
        now,
        reference=row.reference,
        outcome=data.outcome,
    )
    if data.outcome == "upheld":
        await _resume_evaluation(session, tender, by, now)
    else:
        await end_standstill(session, tender.id, now=now, public_url=public_url)
    return row


async def _resume_evaluation(
    session: AsyncSession, tender: Tender, by: Principal, now: datetime
) -> None:
    """The chamber upheld the application: the decision is void, the evaluation resumes."""
    proposal = await session.get(AwardProposal, tender.id, with_for_update=True)
    if proposal is not None:
        if proposal.dispatched_at is not None:
            await outbox.cancel(session, end_key(tender.id, proposal.dispatched_at), now)
        await session.execute(delete(AwardLot).where(AwardLot.tender_id == tender.id))
        await session.delete(proposal)
    tender.status = TenderStatus.IN_EVALUATION
    tender.version += 1
    tender.updated_at = now
    await session.flush()
    await evaluation.stale_ranking(session, tender.id)
    await evaluation.audit(session, tender, "tender.evaluation_resume", by, now)
