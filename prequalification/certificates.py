"""Certificates: issuing one on approval, sealing its documents in a job, its status over time.

The number (``HB-PQ-2026-000042``: instance, ``PQ``, year, sequence) is taken inside the approving
transaction from a counter per year. Every change of status is an event; :func:`status_at`
answers from those events what the register showed at any moment, so that a bid opening can ask
"was this company pre-qualified for this scope on the deadline" (the register asks the same
inside its own statements: :func:`event_status_at` and :func:`status_then`). The sealed PDF and
the sealed machine-readable form are made by ``prequalification.seal_certificate``
(:func:`seal_documents`), because sealing needs the seal key, a timestamp and a validation —
seconds, and pyHanko, which request processes never load.
"""

from __future__ import annotations

__all__ = [
    "SEAL_CERTIFICATE",
    "SealCertificate",
    "certificate_number",
    "event_status_at",
    "issue",
    "status_at",
    "status_then",
    "verify_url",
]

import uuid
from datetime import date, datetime

import msgspec
from sqlalchemy import ColumnExpressionArgument, ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from infra.profile_prequalification import add_months, category_of_division
from prequalification import applications
from prequalification.models import (
    Application,
    Certificate,
    CertificateEvent,
    CertificateScope,
    CertificateStatus,
)
from prequalification.repository import PrequalificationRepository

SEAL_CERTIFICATE = "prequalification.seal_certificate"


class SealCertificate(msgspec.Struct, frozen=True):
    """Payload of ``prequalification.seal_certificate``."""

    certificate_id: str


def certificate_number(profile: Profile, year: int, sequence: int) -> str:
    return f"{profile.instance.id.upper()}-PQ-{year}-{sequence:06d}"


def verify_url(base_url: str, number: str) -> str:
    return f"{base_url}/verify/{number}"


async def issue(
    session: AsyncSession,
    *,
    profile: Profile,
    application: Application,
    by: Principal,
    now: datetime,
) -> Certificate:
    """Create the certificate of an approved application and queue the sealing of its documents.

    Valid from the day of approval for the profile's ``certificate_validity_months`` (the last
    day included); evidence expiring earlier suspends it then (lifecycle jobs).
    """
    repo = PrequalificationRepository(session)
    valid_from = applications.today(profile, now)
    months = profile.prequalification.certificate_validity_months
    valid_to = date.fromordinal(add_months(valid_from, months).toordinal() - 1)
    sequence = await repo.next_number(valid_from.year)
    certificate = Certificate(
        id=uuid.uuid4(),
        number=certificate_number(profile, valid_from.year, sequence),
        organisation_id=application.organisation_id,
        application_id=application.id,
        status=CertificateStatus.VALID,
        valid_from=valid_from,
        valid_to=valid_to,
        issued_at=now,
        issued_by=by.user_id,
    )
    repo.add(certificate)
    await repo.flush()
    categories, divisions = applications._scope(application)
    for category in categories:
        for division in divisions:
            if category_of_division(division) == category:
                repo.add(
                    CertificateScope(
                        certificate_id=certificate.id, category=category, division=division
                    )
                )
    repo.add(
        CertificateEvent(
            certificate_id=certificate.id,
            at=now,
            status=CertificateStatus.VALID,
            reason="issued",
            actor_id=by.user_id,
        )
    )
    await repo.flush()
    await outbox.enqueue(
        session,
        SEAL_CERTIFICATE,
        SealCertificate(certificate_id=str(certificate.id)),
        run_at=now,
        now=now,
        dedupe_key=f"pq-certificate-seal:{certificate.id}",
        max_attempts=8,
    )
    return certificate


def event_status_at(
    certificate_id: ColumnExpressionArgument[uuid.UUID] | uuid.UUID,
    at: ColumnExpressionArgument[datetime] | datetime,
) -> ScalarSelect[str]:
    """The status the last event up to ``at`` set (NULL: none yet), as a scalar subquery;
    ``certificate_id`` and ``at`` values, or a column of the enclosing statement and a bound
    parameter. One index scan of ``ix_pq_certificate_events_certificate_id_at``."""
    return (
        select(CertificateEvent.status)
        .where(CertificateEvent.certificate_id == certificate_id, CertificateEvent.at <= at)
        .order_by(CertificateEvent.at.desc(), CertificateEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def status_then(
    profile: Profile, event_status: str | None, valid_to: date, at: datetime
) -> str | None:
    """The status at ``at`` from the last event up to then (``None``: not yet issued then).

    A certificate is ``expired`` after its last valid day even before the expiry job has
    recorded it, and never valid before its first.
    """
    if event_status is None:
        return None
    live = event_status in (CertificateStatus.VALID, CertificateStatus.SUSPENDED)
    if live and applications.today(profile, at) > valid_to:
        return str(CertificateStatus.EXPIRED)
    return event_status


async def status_at(
    session: AsyncSession, profile: Profile, certificate: Certificate, at: datetime
) -> str | None:
    """The certificate's status at ``at`` (``None``: not yet issued then), from its events."""
    status = await session.scalar(select(event_status_at(certificate.id, at)))
    return status_then(profile, status, certificate.valid_to, at)
