"""All SQL of the pre-qualification domain."""

from __future__ import annotations

__all__ = ["PrequalificationRepository"]

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Membership, Organisation, Role, User
from prequalification.models import (
    OPEN_STATUSES,
    Application,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    Evidence,
    EvidenceStatus,
    NumberCounter,
    PrequalificationOffice,
    SelfDeclarationRecord,
)


class PrequalificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def organisation(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def application(
        self, application_id: uuid.UUID, *, for_update: bool = False
    ) -> Application | None:
        query = select(Application).where(Application.id == application_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def applications_of(self, organisation_id: uuid.UUID) -> Sequence[Application]:
        query = (
            select(Application)
            .where(Application.organisation_id == organisation_id)
            .order_by(Application.created_at.desc())
        )
        return (await self.session.scalars(query)).all()

    async def open_applications_of(self, organisation_id: uuid.UUID) -> Sequence[Application]:
        query = select(Application).where(
            Application.organisation_id == organisation_id,
            Application.status.in_([str(status) for status in OPEN_STATUSES]),
        )
        return (await self.session.scalars(query)).all()

    async def evidence_of(self, application_id: uuid.UUID) -> Sequence[Evidence]:
        query = (
            select(Evidence)
            .where(Evidence.application_id == application_id)
            .order_by(Evidence.uploaded_at, Evidence.id)
        )
        return (await self.session.scalars(query)).all()

    async def evidence(
        self, evidence_id: uuid.UUID, *, for_update: bool = False
    ) -> Evidence | None:
        query = select(Evidence).where(Evidence.id == evidence_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def declaration(self, application_id: uuid.UUID) -> SelfDeclarationRecord | None:
        return await self.session.get(SelfDeclarationRecord, application_id)

    async def certificate_of_application(self, application_id: uuid.UUID) -> Certificate | None:
        query = select(Certificate).where(Certificate.application_id == application_id)
        return (await self.session.scalars(query)).first()

    async def certificate(self, certificate_id: uuid.UUID) -> Certificate | None:
        return await self.session.get(Certificate, certificate_id)

    async def excluded_until(self, organisation_id: uuid.UUID) -> date | None:
        """The end of the longest exclusion of a revoked certificate of the organisation."""
        query = select(func.max(Certificate.excluded_until)).where(
            Certificate.organisation_id == organisation_id,
            Certificate.status == str(CertificateStatus.REVOKED),
        )
        return (await self.session.scalars(query)).first()

    async def renewals(self) -> Sequence[tuple[Application, str, datetime]]:
        """Approved applications with renewed evidence awaiting a decision, oldest first."""
        query = (
            select(Application, Organisation.legal_name, func.min(Evidence.uploaded_at))
            .join(Organisation, Organisation.id == Application.organisation_id)
            .join(Evidence, Evidence.application_id == Application.id)
            .where(
                Application.status == str(ApplicationStatus.APPROVED),
                Evidence.status == str(EvidenceStatus.CHECKED),
            )
            .group_by(Application.id, Organisation.legal_name)
            .order_by(func.min(Evidence.uploaded_at))
        )
        return [(row[0], row[1], row[2]) for row in (await self.session.execute(query)).all()]

    async def queue(self) -> Sequence[tuple[Application, str]]:
        """Submitted and in-review applications, oldest submission first, with the company."""
        query = (
            select(Application, Organisation.legal_name)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .where(
                Application.status.in_(
                    [str(ApplicationStatus.SUBMITTED), str(ApplicationStatus.IN_REVIEW)]
                )
            )
            .order_by(Application.submitted_at, Application.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def is_office(self, organisation_id: uuid.UUID) -> bool:
        return await self.session.get(PrequalificationOffice, organisation_id) is not None

    async def offices(self) -> Sequence[uuid.UUID]:
        query = select(PrequalificationOffice.organisation_id)
        return (await self.session.scalars(query)).all()

    async def contacts(self, organisation_id: uuid.UUID, roles: Sequence[str]) -> Sequence[User]:
        """Users of an organisation holding one of ``roles`` (who receives its mail)."""
        query = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role.in_(list(roles)),
                User.disabled_at.is_(None),
            )
            .order_by(User.email)
        )
        return (await self.session.scalars(query)).all()

    async def representatives(self, organisation_id: uuid.UUID) -> Sequence[str]:
        """Names of the company's registered people (owners and members)."""
        users = await self.contacts(organisation_id, (Role.OWNER, Role.MEMBER))
        return [user.name for user in users]

    async def supersede(self, application_id: uuid.UUID, type_code: str) -> None:
        """Mark earlier uploads of a single-item type as replaced."""
        await self.session.execute(
            update(Evidence)
            .where(
                Evidence.application_id == application_id,
                Evidence.type_code == type_code,
                Evidence.status != str(EvidenceStatus.SUPERSEDED),
            )
            .values(status=str(EvidenceStatus.SUPERSEDED))
        )

    async def next_number(self, year: int) -> int:
        """The next certificate number of ``year``, inside the caller's transaction."""
        query = select(NumberCounter).where(NumberCounter.year == year).with_for_update()
        counter = (await self.session.scalars(query)).first()
        if counter is None:
            try:  # the year's first number; a concurrent first approval may insert it too
                async with self.session.begin_nested():
                    self.session.add(NumberCounter(year=year, last=0))
            except IntegrityError:
                pass
            counter = (await self.session.scalars(query)).one()
        counter.last += 1
        await self.session.flush()
        return counter.last
