"""The decision on a bid after its checks: admission to the award stage, or exclusion with its
ground and recorded reason.

Only officers decide, and only after declaring the absence of conflicts of interest. A bid
received after the deadline cannot be admitted (§ 57 Abs. 1 Nr. 1 VgV); a bid whose checks found
something wanting is admitted only with a note saying why (for example the documents were
supplied on request, § 56 VgV). A decision may be changed while the evaluation runs; each is
recorded in the audit trail and drops the ranking in force.
"""

from __future__ import annotations

__all__ = ["admit", "exclude"]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation
from infra.identity.principal import Principal
from procurement.award import conflicts, evaluation
from procurement.award.models import Assessment, AssessmentStatus
from procurement.award.schemas import AssessmentView
from procurement.bids import vault
from procurement.bids.models import Submission
from procurement.bids.schemas import Manifest, OpenedBid, OpenedLot
from procurement.errors import EvaluationRefused, InvalidDecision
from procurement.tenders.models import Lot, Tender


async def _decided_view(
    session: AsyncSession,
    *,
    tender: Tender,
    row: Assessment,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> AssessmentView:
    """The view of one bid after a decision (its read recorded like any other)."""
    key = await evaluation.data_key(session, kek, tender)
    submission = await session.get(Submission, row.submission_id)
    assert submission is not None
    manifest: Manifest = vault.manifest_of(submission, key)
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    company = await session.get(Organisation, row.organisation_id)
    opened = OpenedBid(
        id=row.bid_id,
        organisation_id=row.organisation_id,
        company_name=company.legal_name if company else "",
        receipt_number=submission.receipt_number,
        received_at=submission.received_at,
        bid_sha256=submission.bid_sha256,
        lots=[
            OpenedLot(lot=o.lot, title=titles.get(o.lot, tender.title), price=o.price)
            for o in manifest.content.lots
        ],
        certificate_number=manifest.content.certificate_number,
        declarations=manifest.content.declarations,
        documents=[],
    )
    await evaluation.audit(
        session,
        tender,
        "bid.read",
        by,
        now,
        object_type="bid",
        object_id=row.bid_id,
        receipt_number=submission.receipt_number,
    )
    return await evaluation.assessment_view(session, row, opened)


async def admit(
    session: AsyncSession,
    *,
    tender: Tender,
    bid_id: uuid.UUID,
    note: str,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> AssessmentView:
    """Admit the bid to the award stage.

    Raises:
        EvaluationRefused: not in evaluation, or the bid was received late (``late-bid``).
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
        InvalidDecision: a check found something wanting and no note says why.
    """
    evaluation.require_in_evaluation(tender)
    await conflicts.require_declaration(session, tender, by)
    row = await evaluation.assessment_for_update(session, tender, bid_id)
    if not row.received_in_time:
        raise EvaluationRefused(
            "A bid received after the submission deadline is excluded (§ 57 Abs. 1 Nr. 1 VgV).",
            reason="late-bid",
        )
    findings = msgspec.json.decode(row.findings, type=list[str])
    if findings and not note.strip():
        raise InvalidDecision(
            "The checks found something wanting: say in a note why the bid is admitted.",
            errors=[{"field": "note", "message": "required: " + " ".join(findings)}],
        )
    row.status = AssessmentStatus.ADMITTED
    row.ground = None
    row.reason = note.strip() or None
    row.decided_at = now
    row.decided_by = by.user_id
    await evaluation.stale_ranking(session, tender.id)
    await session.flush()
    await evaluation.audit(
        session, tender, "bid.admit", by, now, object_type="bid", object_id=bid_id, note=note
    )
    return await _decided_view(session, tender=tender, row=row, kek=kek, by=by, now=now)


async def exclude(
    session: AsyncSession,
    *,
    tender: Tender,
    bid_id: uuid.UUID,
    ground: str,
    reason: str,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> AssessmentView:
    """Exclude the bid with its ground and recorded reason.

    Raises:
        EvaluationRefused: not in evaluation.
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
        InvalidDecision: the reason is blank.
    """
    evaluation.require_in_evaluation(tender)
    await conflicts.require_declaration(session, tender, by)
    if len(reason.strip()) < 10:
        raise InvalidDecision(
            "Record the reason of the exclusion in words.",
            errors=[{"field": "reason", "message": "at least 10 characters"}],
        )
    row = await evaluation.assessment_for_update(session, tender, bid_id)
    row.status = AssessmentStatus.EXCLUDED
    row.ground = ground
    row.reason = reason.strip()
    row.decided_at = now
    row.decided_by = by.user_id
    await evaluation.stale_ranking(session, tender.id)
    await session.flush()
    await evaluation.audit(
        session,
        tender,
        "bid.exclude",
        by,
        now,
        object_type="bid",
        object_id=bid_id,
        ground=ground,
        reason=row.reason,
    )
    return await _decided_view(session, tender=tender, row=row, kek=kek, by=by, now=now)
