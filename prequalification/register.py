"""The public register: search, verification of a certificate, and "was X pre-qualified for Y at T".

Everything here reads; the answers come from the certificate rows, their scope rows and the
event history (:func:`prequalification.certificates.event_status_at`), so a question about a
past moment gets the register's answer of that moment. Each answer is one statement selecting
the columns it shows: never the certificate's sealed documents (65 KB a row), and the scope
and the status at a moment as subqueries. Search uses plain indexed filters and a
case-insensitive substring match on the company name and the place, the same on SQLite and
PostgreSQL (where trigram indexes serve the substring matches, migration 0008).
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
from typing import Any

import msgspec
from sqlalchemy import Row, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from infra.db.base import UTCDateTime
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


_SCOPES = (
    select(func.aggregate_strings(CertificateScope.category + ":" + CertificateScope.division, ","))
    .where(CertificateScope.certificate_id == Certificate.id)
    .scalar_subquery()
    .label("scopes")
)
"""The certificate's scope rows as ``category:division`` joined by commas, in no order
(``string_agg`` on PostgreSQL, ``group_concat`` on SQLite)."""

_ENTRIES = select(
    Certificate.number,
    Certificate.status,
    Certificate.valid_from,
    Certificate.valid_to,
    Organisation.legal_name,
    Organisation.city,
    Organisation.postal_code,
    _SCOPES,
).join(Organisation, Organisation.id == Certificate.organisation_id)
"""The columns of a register entry: none of the certificate's documents."""

_BY_NUMBER = Certificate.number == bindparam("number")
_VERIFY = _ENTRIES.where(_BY_NUMBER)
_VERIFY_AT = _ENTRIES.add_columns(
    certificates.event_status_at(Certificate.id, bindparam("at", type_=UTCDateTime())).label("then")
).where(_BY_NUMBER)
"""Verification's statements, built once: a request only binds the number (and the moment)."""


def _status_now(profile: Profile, status: str, valid_to: date, now: datetime) -> str:
    live = status in (CertificateStatus.VALID, CertificateStatus.SUSPENDED)
    if live and applications.today(profile, now) > valid_to:
        return str(CertificateStatus.EXPIRED)
    return status


def _entry(row: Row[Any], *, status: str, base_url: str) -> CertificateEntry:
    pairs = [pair.split(":", 1) for pair in row.scopes.split(",")] if row.scopes else []
    return CertificateEntry(
        number=row.number,
        company_name=row.legal_name,
        city=row.city,
        postal_code=row.postal_code,
        categories=sorted({category for category, _division in pairs}),
        cpv_divisions=sorted({division for _category, division in pairs}),
        status=status,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        verify_url=certificates.verify_url(base_url, row.number),
    )


_NUL = "\x00"


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(  # the register's filters, each optional
    session: AsyncSession | AsyncConnection,
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
    if _NUL in f"{name or ''}{place or ''}":
        return []  # no stored text holds one, and PostgreSQL refuses it as a parameter
    query = _ENTRIES
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
        query = query.where(Certificate.number > after.replace(_NUL, ""))
    rows = (await session.execute(query.order_by(Certificate.number).limit(limit))).all()
    return [
        _entry(row, status=_status_now(profile, row.status, row.valid_to, now), base_url=base_url)
        for row in rows
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
    session: AsyncSession | AsyncConnection,
    *,
    profile: Profile,
    base_url: str,
    number: str,
    now: datetime,
    at: datetime | None = None,
) -> Verification:
    """The status of a certificate now and, if asked, at ``at`` (from its history).

    One statement: the certificate's register columns, its company, its scope and, with ``at``,
    the status the last event up to then set.
    """
    wanted = number.strip().upper()
    query, parameters = (
        (_VERIFY_AT, {"number": wanted, "at": at}) if at else (_VERIFY, {"number": wanted})
    )
    row = None if _NUL in wanted else (await session.execute(query, parameters)).first()
    if row is None:
        return Verification(number=number, found=False, status_now=None, at=at)
    status = _status_now(profile, row.status, row.valid_to, now)
    return Verification(
        number=row.number,
        found=True,
        status_now=status,
        at=at,
        status_at=certificates.status_then(profile, row.then, row.valid_to, at) if at else None,
        certificate=_entry(row, status=status, base_url=base_url),
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
    query = select(
        Certificate.number,
        Certificate.valid_from,
        Certificate.valid_to,
        certificates.event_status_at(Certificate.id, at).label("then"),
    ).where(Certificate.organisation_id == organisation_id)
    if category or cpv_division:
        conditions = [CertificateScope.certificate_id == Certificate.id]
        if category:
            conditions.append(CertificateScope.category == category)
        if cpv_division:
            conditions.append(CertificateScope.division == cpv_division)
        query = query.where(select(CertificateScope.id).where(and_(*conditions)).exists())
    candidates = (await session.execute(query.order_by(Certificate.issued_at.desc()))).all()
    day = applications.today(profile, at)
    seen: tuple[str | None, str | None] = (None, None)
    for certificate in candidates:
        status = certificates.status_then(profile, certificate.then, certificate.valid_to, at)
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
