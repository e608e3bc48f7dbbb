"""Closing a tender at its submission deadline: ``published → closed``.

Publication enqueues the job ``procurement.close_tender`` due at the deadline (its dedupe key
is the handle an amendment uses to move it); the periodic ``procurement.sweep_tenders`` closes
any tender whose deadline passed while no worker ran. Both are idempotent: closing looks at the
state and the deadline, never at the job. Whether a bid is in time is decided when it is
received (DESIGN.md §3), not by this transition.
"""

from __future__ import annotations

__all__ = [
    "CLOSE_TENDER",
    "SWEEP_TENDERS",
    "CloseTender",
    "SweepTenders",
    "close",
    "close_key",
    "close_overdue",
]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from procurement.tenders.models import TenderStatus
from procurement.tenders.repository import TenderRepository

CLOSE_TENDER = "procurement.close_tender"
SWEEP_TENDERS = "procurement.sweep_tenders"
SWEEP_BATCH = 200


class CloseTender(msgspec.Struct, frozen=True, kw_only=True):
    tender_id: str


class SweepTenders(msgspec.Struct, frozen=True, kw_only=True):
    """No arguments: closes every published tender whose deadline has passed."""


def close_key(tender_id: uuid.UUID) -> str:
    return f"tender-close:{tender_id}"


async def close(session: AsyncSession, *, tender_id: uuid.UUID, now: datetime) -> bool:
    """Close the tender if it is published and its deadline has passed; ``True`` if it did."""
    tender = await TenderRepository(session).tender(tender_id, for_update=True)
    if (
        tender is None
        or tender.status != TenderStatus.PUBLISHED
        or tender.submission_deadline is None
        or tender.submission_deadline > now
    ):
        return False
    tender.status = TenderStatus.CLOSED
    tender.closed_at = now
    tender.version += 1
    tender.updated_at = now
    await record(
        session,
        now=now,
        action="tender.close",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=None,
        organisation_id=tender.authority_id,
        after={
            "number": tender.number,
            "submission_deadline": tender.submission_deadline.isoformat(),
        },
    )
    return True


async def close_overdue(session: AsyncSession, *, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """Close up to ``batch`` published tenders whose deadline has passed; how many it closed."""
    closed = 0
    for tender_id in await TenderRepository(session).due_for_closing(now, batch):
        closed += await close(session, tender_id=tender_id, now=now)
    return closed
