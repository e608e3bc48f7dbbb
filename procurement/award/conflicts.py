"""Declarations on conflicts of interest (§ 6 VgV) and the gate in front of bid content.

Everyone who takes part in the evaluation — officers and evaluators alike — declares for each
tender, before they see any bid's content through the evaluation, that no conflict of interest
exists for them (or that one does: then they take no part). :func:`require_declaration` is
the gate; :func:`opened_for_evaluation` puts it in front of the audited read of the opened bids
(:func:`procurement.bids.opening.opened_bids`), and every evaluation service that shows or
scores content calls it first.

A declaration of no conflict may later turn into a declared conflict (a conflict that arose or
came to light), never back; the points of a person with a declared conflict do not count.
"""

from __future__ import annotations

__all__ = [
    "conflicted",
    "declaration_of",
    "declarations",
    "declare",
    "opened_for_evaluation",
    "require_declaration",
]

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import User
from infra.identity.principal import Principal
from procurement.award.models import Declaration
from procurement.award.schemas import DeclarationIn, DeclarationView
from procurement.bids import opening, vault
from procurement.bids.schemas import OpenedBid
from procurement.errors import (
    ConflictOfInterest,
    DeclarationRequired,
    EvaluationRefused,
    InvalidDecision,
)
from procurement.tenders.models import Tender, TenderStatus

_DECLARABLE = (TenderStatus.OPENED, TenderStatus.IN_EVALUATION, TenderStatus.AWARD_PROPOSED)


def _user_id(by: Principal) -> uuid.UUID:
    if by.user_id is None:  # the guards let only people in
        raise DeclarationRequired("Only a person can declare on conflicts of interest.")
    return by.user_id


async def declaration_of(
    session: AsyncSession, tender_id: uuid.UUID, user_id: uuid.UUID | None
) -> Declaration | None:
    if user_id is None:
        return None
    return (
        await session.scalars(
            select(Declaration).where(
                Declaration.tender_id == tender_id, Declaration.user_id == user_id
            )
        )
    ).first()


async def require_declaration(session: AsyncSession, tender: Tender, by: Principal) -> None:
    """Refuse a person who has not declared the absence of conflicts of interest.

    Raises:
        DeclarationRequired: no declaration yet (403).
        ConflictOfInterest: a conflict was declared (403).
    """
    declaration = await declaration_of(session, tender.id, by.user_id)
    if declaration is None:
        raise DeclarationRequired(
            "Declare that no conflict of interest exists for you in this procedure (§ 6 VgV) "
            "before you see or score the content of its bids.",
            tender=str(tender.id),
        )
    if declaration.conflict:
        raise ConflictOfInterest(
            "You declared a conflict of interest in this procedure and take no part in its "
            "evaluation (§ 6 VgV).",
            tender=str(tender.id),
        )


OPENED_OR_LATER = frozenset(
    {
        TenderStatus.OPENED,
        TenderStatus.IN_EVALUATION,
        TenderStatus.AWARD_PROPOSED,
        TenderStatus.AWARDED,
        TenderStatus.COMPLETED,
    }
)
EVALUATING = OPENED_OR_LATER - {TenderStatus.OPENED}


def needs_declaration(tender: Tender, by: Principal) -> bool:
    """Whether ``by`` must have declared before reading the content of the opened bids: an
    evaluator always; an officer once the evaluation has begun (the opening itself and its
    minutes, § 55 VgV, are the officers' without one). Before the opening nobody reads them
    at all (409 ``bids-sealed``), declaration or not."""
    if tender.status not in OPENED_OR_LATER:
        return False
    membership = by.role_in(tender.authority_id)
    evaluator = membership is not None and membership.role == "evaluator"
    return evaluator or tender.status in EVALUATING


async def require_declaration_to_read(session: AsyncSession, tender: Tender, by: Principal) -> None:
    """:func:`require_declaration` where :func:`needs_declaration` says so."""
    if needs_declaration(tender, by):
        await require_declaration(session, tender, by)


async def opened_for_evaluation(
    session: AsyncSession,
    *,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> list[OpenedBid]:
    """The opened bids for someone evaluating them: sealed before the opening (409), refused
    without a declaration (403), and every read recorded."""
    opening.require_opened(tender)
    await require_declaration(session, tender, by)
    return await opening.opened_bids(session, tender=tender, kek=kek, by=by, now=now)


async def declare(
    session: AsyncSession, *, tender: Tender, data: DeclarationIn, by: Principal, now: datetime
) -> Declaration:
    """Record the caller's declaration for ``tender`` (again: the same answer changes nothing).

    Raises:
        EvaluationRefused: the bids are not opened yet, or the evaluation is over.
        InvalidDecision: a conflict declared without saying which.
    """
    if tender.status not in _DECLARABLE:
        opened = tender.status in (TenderStatus.AWARDED, TenderStatus.COMPLETED)
        raise EvaluationRefused(
            "The evaluation is over." if opened else "The bids of this tender are not opened.",
            reason="finished" if opened else "not-opened",
            tender_status=tender.status,
        )
    if data.conflict and not data.details.strip():
        raise InvalidDecision(
            "Say which conflict of interest exists.",
            errors=[{"field": "details", "message": "required when a conflict is declared"}],
        )
    user_id = _user_id(by)
    existing = await declaration_of(session, tender.id, user_id)
    if existing is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        inserted = await session.execute(
            insert(Declaration)
            .values(
                id=uuid.uuid4(),
                tender_id=tender.id,
                user_id=user_id,
                conflict=data.conflict,
                details=data.details.strip(),
                declared_at=now,
            )
            .on_conflict_do_nothing(index_elements=["tender_id", "user_id"])
        )
        created = await declaration_of(session, tender.id, user_id)
        assert created is not None
        if getattr(inserted, "rowcount", 1):
            await _audit(session, tender, created, by, now)
            return created
        existing = created  # a twin request won; treat this one as a repetition
    if existing.conflict == data.conflict:
        return existing
    if existing.conflict:
        raise EvaluationRefused(
            "A declared conflict of interest cannot be withdrawn; the procurement file keeps it.",
            reason="conflict-declared",
        )
    existing.conflict = True
    existing.details = data.details.strip()
    existing.declared_at = now
    await session.flush()
    await _audit(session, tender, existing, by, now)
    return existing


async def _audit(
    session: AsyncSession, tender: Tender, declaration: Declaration, by: Principal, now: datetime
) -> None:
    await record(
        session,
        now=now,
        action="tender.conflict_declaration",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={"conflict": declaration.conflict, "details": declaration.details},
    )


async def declarations(session: AsyncSession, tender_id: uuid.UUID) -> list[DeclarationView]:
    rows = await session.execute(
        select(Declaration, User)
        .join(User, User.id == Declaration.user_id)
        .where(Declaration.tender_id == tender_id)
        .order_by(Declaration.declared_at, Declaration.id)
    )
    return [
        DeclarationView(
            user_id=declaration.user_id,
            name=user.name or user.email,
            conflict=declaration.conflict,
            declared_at=declaration.declared_at,
        )
        for declaration, user in rows
    ]


async def conflicted(session: AsyncSession, tender_id: uuid.UUID) -> set[uuid.UUID]:
    """The people who declared a conflict for the tender (their points do not count)."""
    return set(
        await session.scalars(
            select(Declaration.user_id).where(
                Declaration.tender_id == tender_id, Declaration.conflict.is_(True)
            )
        )
    )
