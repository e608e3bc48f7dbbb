"""All SQL of the tender part: tenders, their lots, criteria, documents, amendments, questions
and downloads."""

from __future__ import annotations

__all__ = ["TenderRepository"]

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Membership, Organisation, Role, User
from procurement.tenders.models import (
    Amendment,
    AwardCriterion,
    Download,
    Lot,
    Question,
    Tender,
    TenderDocument,
    TenderNumberCounter,
    TenderStatus,
)


class TenderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tender(self, tender_id: uuid.UUID, *, for_update: bool = False) -> Tender | None:
        query = select(Tender).where(Tender.id == tender_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def next_number(self, year: int) -> int:
        """The next tender number of ``year``; the counter row is locked until commit."""
        counter = (
            await self.session.scalars(
                select(TenderNumberCounter)
                .where(TenderNumberCounter.year == year)
                .with_for_update()
            )
        ).one_or_none()
        if counter is None:
            counter = TenderNumberCounter(year=year, last=0)
            self.session.add(counter)
        counter.last += 1
        await self.session.flush()
        return counter.last

    async def authority_name(self, organisation_id: uuid.UUID) -> str:
        name = await self.session.scalar(
            select(Organisation.legal_name).where(Organisation.id == organisation_id)
        )
        return name or ""

    async def tenders_of(self, authority_id: uuid.UUID) -> Sequence[Tender]:
        return (
            await self.session.scalars(
                select(Tender)
                .where(Tender.authority_id == authority_id)
                .order_by(Tender.created_at.desc(), Tender.number.desc())
            )
        ).all()

    async def lots(self, tender_id: uuid.UUID) -> Sequence[Lot]:
        return (
            await self.session.scalars(
                select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.number)
            )
        ).all()

    async def criteria(self, tender_id: uuid.UUID) -> Sequence[AwardCriterion]:
        return (
            await self.session.scalars(
                select(AwardCriterion)
                .where(AwardCriterion.tender_id == tender_id)
                .order_by(AwardCriterion.position)
            )
        ).all()

    async def replace_lots_and_criteria(
        self, tender_id: uuid.UUID, lots: list[Lot], criteria: list[AwardCriterion]
    ) -> None:
        await self.session.execute(delete(Lot).where(Lot.tender_id == tender_id))
        await self.session.execute(
            delete(AwardCriterion).where(AwardCriterion.tender_id == tender_id)
        )
        await self.session.flush()
        self.session.add_all([*lots, *criteria])
        await self.session.flush()

    async def documents(
        self, tender_id: uuid.UUID, *, current_only: bool = True
    ) -> Sequence[TenderDocument]:
        query = select(TenderDocument).where(TenderDocument.tender_id == tender_id)
        if current_only:
            query = query.where(
                TenderDocument.superseded_at.is_(None), TenderDocument.withdrawn_at.is_(None)
            )
        return (
            await self.session.scalars(
                query.order_by(TenderDocument.uploaded_at, TenderDocument.version)
            )
        ).all()

    async def document(self, document_id: uuid.UUID) -> TenderDocument | None:
        return await self.session.get(TenderDocument, document_id)

    async def latest_version(self, tender_id: uuid.UUID, key: uuid.UUID) -> TenderDocument | None:
        return (
            await self.session.scalars(
                select(TenderDocument)
                .where(TenderDocument.tender_id == tender_id, TenderDocument.key == key)
                .order_by(TenderDocument.version.desc())
                .limit(1)
            )
        ).one_or_none()

    async def amendments(self, tender_id: uuid.UUID) -> Sequence[Amendment]:
        return (
            await self.session.scalars(
                select(Amendment).where(Amendment.tender_id == tender_id).order_by(Amendment.number)
            )
        ).all()

    async def next_amendment_number(self, tender_id: uuid.UUID) -> int:
        last = await self.session.scalar(
            select(func.max(Amendment.number)).where(Amendment.tender_id == tender_id)
        )
        return (last or 0) + 1

    async def record_download(
        self,
        *,
        tender_id: uuid.UUID,
        document_id: uuid.UUID,
        organisation_id: uuid.UUID,
        user_id: uuid.UUID,
        now: datetime,
    ) -> bool:
        """Note the first download of a document by a person; ``False`` if noted before."""
        known = await self.session.scalar(
            select(Download.id).where(
                Download.document_id == document_id, Download.user_id == user_id
            )
        )
        if known is not None:
            return False
        self.session.add(
            Download(
                tender_id=tender_id,
                document_id=document_id,
                organisation_id=organisation_id,
                user_id=user_id,
                at=now,
            )
        )
        await self.session.flush()
        return True

    async def interested_users(self, tender_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """Everyone who downloaded a document of the tender or asked a question."""
        downloaders = select(Download.user_id).where(Download.tender_id == tender_id)
        askers = select(Question.user_id).where(
            Question.tender_id == tender_id, Question.user_id.is_not(None)
        )
        rows = await self.session.scalars(downloaders.union(askers))
        return sorted({row for row in rows if row is not None})

    async def due_for_closing(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        return (
            await self.session.scalars(
                select(Tender.id)
                .where(
                    Tender.status == TenderStatus.PUBLISHED,
                    Tender.submission_deadline <= now,
                )
                .order_by(Tender.submission_deadline)
                .limit(limit)
            )
        ).all()

    async def supersede(self, document: TenderDocument, now: datetime) -> None:
        await self.session.execute(
            update(TenderDocument).where(TenderDocument.id == document.id).values(superseded_at=now)
        )

    async def next_question_number(self, tender_id: uuid.UUID) -> int:
        """The number of the next question (the caller holds the tender row's lock)."""
        last = await self.session.scalar(
            select(func.max(Question.number)).where(Question.tender_id == tender_id)
        )
        return (last or 0) + 1

    async def questions(
        self, tender_id: uuid.UUID, *, answered_only: bool = False
    ) -> Sequence[Question]:
        query = select(Question).where(Question.tender_id == tender_id)
        if answered_only:
            query = query.where(Question.answered_at.is_not(None))
        return (await self.session.scalars(query.order_by(Question.number))).all()

    async def question(self, question_id: uuid.UUID) -> Question | None:
        return await self.session.get(Question, question_id)

    async def organisation_names(
        self, organisation_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        if not organisation_ids:
            return {}
        rows = await self.session.execute(
            select(Organisation.id, Organisation.legal_name).where(
                Organisation.id.in_(list(organisation_ids))
            )
        )
        return {row.id: row.legal_name for row in rows}

    async def mail_addresses(self, user_ids: Collection[uuid.UUID]) -> Sequence[str]:
        """The addresses of those of ``user_ids`` whose account is active, sorted."""
        if not user_ids:
            return []
        return (
            await self.session.scalars(
                select(User.email)
                .where(User.id.in_(list(user_ids)), User.disabled_at.is_(None))
                .order_by(User.email)
            )
        ).all()

    async def officers_of(self, authority_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """The officers of the authority (who hear of new questions)."""
        return (
            await self.session.scalars(
                select(Membership.user_id).where(
                    Membership.organisation_id == authority_id,
                    Membership.role == Role.OFFICER,
                )
            )
        ).all()
