"""The evaluation of the opened bids: starting it, the formal and eligibility checks of each bid
(:mod:`procurement.award.checks`), and what the evaluation shows.

An officer starts the evaluation of an opened tender (``opened → in_evaluation``); the checks
of every bid in force are computed then and stored, and may be computed again for the bids
without a decision (a signature check that was still running, documents supplied on request).
The decisions on the bids are :mod:`procurement.award.decisions`; this module also holds what
the evaluation's other services share (the state check, the stored assessment, the audit
record, dropping a stale ranking).
"""

from __future__ import annotations

__all__ = [
    "assessment_for_update",
    "assessment_view",
    "assessments",
    "audit",
    "data_key",
    "overview",
    "refresh_checks",
    "require_in_evaluation",
    "stale_ranking",
    "start",
]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import User
from infra.identity.principal import Principal
from infra.profile import Profile
from procurement.award import conflicts
from procurement.award.checks import check_bid
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    AwardLot,
    AwardProposal,
    Evaluation,
    RankEntryRow,
)
from procurement.award.schemas import AssessmentView, EvaluationView
from procurement.bids import opening, vault
from procurement.bids.schemas import OpenedBid
from procurement.errors import BidNotFound, EvaluationRefused
from procurement.tenders.models import Tender, TenderStatus


def require_in_evaluation(tender: Tender) -> None:
    """Refuse unless the tender is being evaluated.

    Raises:
        EvaluationRefused: before the opening (``not-opened``), before the start
            (``not-started``), or after the evaluation (``finished``).
    """
    if tender.status == TenderStatus.IN_EVALUATION:
        return
    if tender.status == TenderStatus.OPENED:
        raise EvaluationRefused(
            "The evaluation of this tender has not been started.", reason="not-started"
        )
    if tender.status in (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED):
        raise EvaluationRefused(
            "The bids of this tender are not opened yet; two officers open them after the "
            "submission deadline.",
            reason="not-opened",
            tender_status=tender.status,
        )
    raise EvaluationRefused(
        f"The tender is {tender.status}: its evaluation is over.",
        reason="finished",
        tender_status=tender.status,
    )


async def audit(
    session: AsyncSession,
    tender: Tender,
    action: str,
    by: Principal,
    now: datetime,
    *,
    object_type: str = "tender",
    object_id: uuid.UUID | None = None,
    **after: object,
) -> None:
    await record(
        session,
        now=now,
        action=action,
        object_type=object_type,
        object_id=str(object_id or tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"tender": str(tender.id), "number": tender.number, **after},
    )


async def data_key(session: AsyncSession, kek: vault.KeyEncryptionKey, tender: Tender) -> bytes:
    key = await vault.data_key(session, kek, tender.id, now=tender.updated_at, create=False)
    if key is None:
        raise EvaluationRefused("The tender has no sealed bids.", reason="no-bids")
    return key


async def _store_checks(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    now: datetime,
) -> int:
    """Compute and store the checks of every bid in force that has no decision yet."""
    pairs = await opening.in_force(session, tender.id)
    if not pairs:
        return 0
    key = await data_key(session, kek, tender)
    rows = {
        row.bid_id: row
        for row in await session.scalars(
            select(Assessment).where(Assessment.tender_id == tender.id)
        )
    }
    checked = 0
    for bid, submission in pairs:
        row = rows.get(bid.id)
        if row is not None and row.status != AssessmentStatus.PENDING:
            continue
        manifest = vault.manifest_of(submission, key)
        result = await check_bid(
            session,
            profile=profile,
            tender=tender,
            submission=submission,
            manifest=manifest,
            key=key,
        )
        if row is None:
            row = Assessment(
                tender_id=tender.id,
                bid_id=bid.id,
                organisation_id=bid.organisation_id,
                status=AssessmentStatus.PENDING,
            )
            session.add(row)
        row.submission_id = submission.id
        row.received_in_time = result.received_in_time
        row.complete = result.complete
        row.signature = result.signature
        row.eligibility = result.eligibility
        row.certificate_number = result.certificate_number
        row.findings = msgspec.json.encode(result.findings).decode()
        row.checked_at = now
        checked += 1
    await session.flush()
    return checked


async def start(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> Evaluation:
    """Start the evaluation of the opened bids (``opened → in_evaluation``) and check each bid.
    Starting an evaluation already started changes nothing.

    Raises:
        EvaluationRefused: the bids are not opened, or the evaluation is over.
    """
    existing = await session.get(Evaluation, tender.id)
    if existing is not None and tender.status == TenderStatus.IN_EVALUATION:
        return existing
    if tender.status != TenderStatus.OPENED:
        require_in_evaluation(tender)  # raises: not opened, or over
    evaluation = Evaluation(tender_id=tender.id, started_at=now, started_by=by.user_id)
    session.add(evaluation)
    tender.status = TenderStatus.IN_EVALUATION
    tender.version += 1
    tender.updated_at = now
    checked = await _store_checks(session, profile=profile, tender=tender, kek=kek, now=now)
    await audit(session, tender, "tender.evaluation_start", by, now, bids=checked)
    return evaluation


async def refresh_checks(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> int:
    """Compute the checks again for the bids without a decision; how many were checked."""
    require_in_evaluation(tender)
    checked = await _store_checks(session, profile=profile, tender=tender, kek=kek, now=now)
    await audit(session, tender, "tender.evaluation_checks", by, now, bids=checked)
    return checked


async def overview(session: AsyncSession, tender: Tender, by: Principal) -> EvaluationView:
    """The state of the evaluation, without any bid content."""
    evaluation = await session.get(Evaluation, tender.id)
    rows = await session.execute(
        select(Assessment.status, func.count())
        .where(Assessment.tender_id == tender.id)
        .group_by(Assessment.status)
    )
    counts: dict[str, int] = {row[0]: row[1] for row in rows}
    declaration = await conflicts.declaration_of(session, tender.id, by.user_id)
    started_by = await session.get(User, evaluation.started_by) if evaluation else None
    return EvaluationView(
        tender_id=tender.id,
        tender_status=tender.status,
        started_at=evaluation.started_at if evaluation else None,
        started_by=(started_by.name or started_by.email) if started_by else None,
        bids=sum(counts.values()),
        pending=counts.get(AssessmentStatus.PENDING, 0),
        admitted=counts.get(AssessmentStatus.ADMITTED, 0),
        excluded=counts.get(AssessmentStatus.EXCLUDED, 0),
        ranked_at=evaluation.ranked_at if evaluation else None,
        declarations=await conflicts.declarations(session, tender.id),
        declared=declaration is not None and not declaration.conflict,
    )


async def _name(session: AsyncSession, user_id: uuid.UUID | None) -> str | None:
    user = await session.get(User, user_id) if user_id else None
    return (user.name or user.email) if user else None


async def assessment_view(
    session: AsyncSession, row: Assessment, opened: OpenedBid
) -> AssessmentView:
    findings = msgspec.json.decode(row.findings, type=list[str])
    return AssessmentView(
        bid_id=row.bid_id,
        organisation_id=row.organisation_id,
        company_name=opened.company_name,
        receipt_number=opened.receipt_number,
        received_at=opened.received_at,
        lots=opened.lots,
        status=AssessmentStatus(row.status),
        received_in_time=row.received_in_time,
        complete=row.complete,
        signature=row.signature,
        eligibility=row.eligibility,
        certificate_number=row.certificate_number,
        findings=findings,
        checks_passed=not findings,
        checked_at=row.checked_at,
        ground=row.ground,
        reason=row.reason,
        decided_at=row.decided_at,
        decided_by=await _name(session, row.decided_by),
    )


async def assessments(
    session: AsyncSession,
    *,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> list[AssessmentView]:
    """Every bid with its checks and the decision on it, and its prices: for those who have
    declared the absence of conflicts of interest; each read is recorded."""
    opened = await conflicts.opened_for_evaluation(session, tender=tender, kek=kek, by=by, now=now)
    rows = {
        row.bid_id: row
        for row in await session.scalars(
            select(Assessment).where(Assessment.tender_id == tender.id)
        )
    }
    return [await assessment_view(session, rows[b.id], b) for b in opened if b.id in rows]


async def assessment_for_update(
    session: AsyncSession, tender: Tender, bid_id: uuid.UUID
) -> Assessment:
    row = (
        await session.scalars(
            select(Assessment)
            .where(Assessment.tender_id == tender.id, Assessment.bid_id == bid_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise BidNotFound("The evaluation has no such bid.")
    return row


async def stale_ranking(session: AsyncSession, tender_id: uuid.UUID) -> None:
    """Drop the ranking, and a proposal of the award made from it: a decision or points
    changed after it was computed (an approved proposal ends the evaluation: nothing changes
    then)."""
    evaluation = await session.get(Evaluation, tender_id)
    if evaluation is None or evaluation.ranked_at is None:
        return
    await session.execute(delete(RankEntryRow).where(RankEntryRow.tender_id == tender_id))
    await session.execute(
        update(Assessment).where(Assessment.tender_id == tender_id).values(outcome=None)
    )
    proposal = await session.get(AwardProposal, tender_id)
    if proposal is not None and proposal.approved_at is None:
        await session.execute(delete(AwardLot).where(AwardLot.tender_id == tender_id))
        await session.delete(proposal)
        await session.flush()
    evaluation.ranked_at = None
    evaluation.ranked_by = None
    evaluation.seed = None
