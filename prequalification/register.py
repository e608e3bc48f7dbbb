"""The public register: search, verification of a certificate, and "was X pre-qualified for Y at T".

Everything here reads; the answers come from the certificate rows, their scope rows and the
event history (:func:`prequalification.certificates.status_at`), so a question about a past
moment gets the register's answer of that moment. Search uses plain indexed filters and a
case-insensitive substring match on the company name, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

__all__ = [
    "CertificateEntry",
    "Qualification",
    "Verification",
    "certificate_by_number",
    "qualification_at",
    "search",
    "verify",
]

import uuid
from datetime import date, datetime

import msgspec
from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import Organisation
from infra.profile import Profile
from prequalification import applications, certificates
from prequalification.errors import CertificateNotFound
from prequalification.models import Certificate, CertificateScope, CertificateStatus


class CertificateEntry(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    company_name: str
    city: str
    postal_code: str
    categories: list[str]
    cpv_divisions: list[str]
    status: str
    """The status now: ``valid``, ``suspended``, ``expired`` or ``revoked``."""
    valid_from: date
    valid_to: date
    verify_url: str


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    """What ``/verify/{number}`` answers."""

    number: str
    found: bool
    status_now: str | None
    at: datetime | None = None
    status_at: str | None = None
    """The status at ``at``, when asked; ``None``: the certificate did not exist yet."""
    certificate: CertificateEntry | None = None


class Qualification(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to "was this company pre-qualified for this scope at that time"."""

    organisation_id: uuid.UUID
    at: datetime
    category: str | None
    cpv_division: str | None
    qualified: bool
    certificate_number: str | None
    status_at: str | None


async def _scopes(
    session: AsyncSession, certificate_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[list[str], list[str]]]:
    if not certificate_ids:
        return {}
    rows = (
        await session.execute(
            select(
                CertificateScope.certificate_id,
                CertificateScope.category,
                CertificateScope.division,
            ).where(CertificateScope.certificate_id.in_(certificate_ids))
        )
    ).all()
    found: dict[uuid.UUID, tuple[set[str], set[str]]] = {}
    for certificate_id, category, division in rows:
        categories, divisions = found.setdefault(certificate_id, (set(), set()))
        categories.add(category)
        divisions.add(division)
    return {key: (sorted(c), sorted(d)) for key, (c, d) in found.items()}


def _status_now(profile: Profile, certificate: Certificate, now: datetime) -> str:
    live = certificate.status in (CertificateStatus.VALID, CertificateStatus.SUSPENDED)
    if live and applications.today(profile, now) > certificate.valid_to:
        return str(CertificateStatus.EXPIRED)
    return certificate.status


def _entry(
    certificate: Certificate,
    organisation: Organisation,
    scope: tuple[list[str], list[str]],
    *,
    status: str,
    base_url: str,
) -> CertificateEntry:
    return CertificateEntry(
        number=certificate.number,
        company_name=organisation.legal_name,
        city=organisation.city,
        postal_code=organisation.postal_code,
        categories=scope[0],
        cpv_divisions=scope[1],
        status=status,
        valid_from=certificate.valid_from,
        valid_to=certificate.valid_to,
        verify_url=certificates.verify_url(base_url, certificate.number),
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(  # the register's filters, each optional
    session: AsyncSession,
    *,
    profile: Profile,
    base_url: str,
    now: datetime,
    name: str | None = None,
    place: str | None = None,
    category: str | None = None,
    cpv_division: str | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[CertificateEntry]:
    """Certificates by company name, place (city or postal code), category, CPV division and
    status now; ordered by number, ``after`` a number for the next page."""
    query: Select[Certificate, Organisation] = select(Certificate, Organisation).join(
        Organisation, Organisation.id == Certificate.organisation_id
    )
    if name:
        query = query.where(func.lower(Organisation.legal_name).like(_like(name), escape="\\"))
    if place:
        query = query.where(
            (func.lower(Organisation.city).like(_like(place), escape="\\"))
            | (Organisation.postal_code == place.strip())
        )
    if category or cpv_division:
        conditions = [CertificateScope.certificate_id == Certificate.id]
        if category:
            conditions.append(CertificateScope.category == category)
        if cpv_division:
            conditions.append(CertificateScope.division == cpv_division)
        query = query.where(select(CertificateScope.id).where(and_(*conditions)).exists())
    today = applications.today(profile, now)
    if status == "expired":
        query = query.where(
            (Certificate.status == CertificateStatus.EXPIRED)
            | (
                Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.SUSPENDED])
                & (Certificate.valid_to < today)
            )
        )
    elif status in (CertificateStatus.VALID, CertificateStatus.SUSPENDED):
        query = query.where(Certificate.status == status, Certificate.valid_to >= today)
    elif status:
        query = query.where(Certificate.status == status)
    if after:
        query = query.where(Certificate.number > after)
    rows = (await session.execute(query.order_by(Certificate.number).limit(limit))).all()
    scopes = await _scopes(session, [row[0].id for row in rows])
    return [
        _entry(
            certificate,
            organisation,
            scopes.get(certificate.id, ([], [])),
            status=_status_now(profile, certificate, now),
            base_url=base_url,
        )
        for certificate, organisation in rows
    ]


async def certificate_by_number(session: AsyncSession, number: str) -> Certificate:
    """The certificate ``number`` (any case); :class:`CertificateNotFound` otherwise."""
    found = (
        await session.scalars(
            select(Certificate).where(Certificate.number == number.strip().upper()[:40])
        )
    ).first()
    if found is None:
        raise CertificateNotFound("There is no certificate with this number.")
    return found


async def verify(
    session: AsyncSession,
    *,
    profile: Profile,
    base_url: str,
    number: str,
    now: datetime,
    at: datetime | None = None,
) -> Verification:
    """The status of a certificate now and, if asked, at ``at`` (from its history)."""
    row = (
        await session.execute(
            select(Certificate, Organisation)
            .join(Organisation, Organisation.id == Certificate.organisation_id)
            .where(Certificate.number == number.strip().upper())
        )
    ).first()
    if row is None:
        return Verification(number=number, found=False, status_now=None, at=at)
    certificate, organisation = row
    scopes = await _scopes(session, [certificate.id])
    status = _status_now(profile, certificate, now)
    return Verification(
        number=certificate.number,
        found=True,
        status_now=status,
        at=at,
        status_at=await certificates.status_at(session, profile, certificate, at) if at else None,
        certificate=_entry(
            certificate,
            organisation,
            scopes.get(certificate.id, ([], [])),
            status=status,
            base_url=base_url,
        ),
    )


async def qualification_at(
    session: AsyncSession,
    *,
    profile: Profile,
    organisation_id: uuid.UUID,
    at: datetime,
    category: str | None = None,
    cpv_division: str | None = None,
) -> Qualification:
    """Whether ``organisation_id`` held a certificate that was ``valid`` at ``at`` for the scope.

    The bid opening asks this for the submission deadline. A suspended, revoked or expired
    certificate at that moment does not count.
    """
    query = select(Certificate).where(Certificate.organisation_id == organisation_id)
    if category or cpv_division:
        conditions = [CertificateScope.certificate_id == Certificate.id]
        if category:
            conditions.append(CertificateScope.category == category)
        if cpv_division:
            conditions.append(CertificateScope.division == cpv_division)
        query = query.where(select(CertificateScope.id).where(and_(*conditions)).exists())
    candidates = (await session.scalars(query.order_by(Certificate.issued_at.desc()))).all()
    seen: tuple[str | None, str | None] = (None, None)
    for certificate in candidates:
        status = await certificates.status_at(session, profile, certificate, at)
        day = applications.today(profile, at)
        in_period = certificate.valid_from <= day <= certificate.valid_to
        if status == CertificateStatus.VALID and in_period:
            return Qualification(
                organisation_id=organisation_id,
                at=at,
                category=category,
                cpv_division=cpv_division,
                qualified=True,
                certificate_number=certificate.number,
                status_at=status,
            )
        if status is not None and seen == (None, None):
            seen = (certificate.number, status)
    return Qualification(
        organisation_id=organisation_id,
        at=at,
        category=category,
        cpv_division=cpv_division,
        qualified=False,
        certificate_number=seen[0],
        status_at=seen[1],
    )
