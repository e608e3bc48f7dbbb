"""A certificate's life after approval: reminders, suspension, renewal, expiry and revocation.

The daily sweep (:func:`sweep`, job ``prequalification.sweep``) is idempotent: it looks at the
state and the calendar day in the instance's time zone and does only what is not done yet, so a
sweep that runs twice, late, or again after its worker was killed mid-run (its transaction
rolled back) does everything exactly once:

- a reminder 30, 14 and 7 days (the profile's ``reminder_days``) before an accepted item of a
  live certificate expires, each sent once and noted on the item; a sweep that missed days
  sends only the nearest reminder;
- suspension of a valid certificate when a mandatory type has fewer unexpired accepted items
  than it needs; reinstatement when a renewed item is accepted (:func:`reinstate_if_complete`,
  called by the review);
- expiry after the certificate's last valid day.

It goes through the live certificates in number order, :data:`SWEEP_BATCH` at a time, each batch
in the transaction of one job that locks only its own rows and enqueues the next batch with it;
the certificates' sealed documents are never loaded.

Revocation (:func:`revoke`) is an officer's decision with its ground (§§ 123/124 GWB) and the
exclusion period, at most the profile's 5 or 3 years from the event (§ 126 GWB). Every change
is an event of the certificate, audited and mailed to the company's owners.
"""

from __future__ import annotations

__all__ = ["SWEEP", "Sweep", "SweepSummary", "reinstate_if_complete", "revoke", "sweep"]

import uuid
from datetime import date, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from infra.audit.service import record
from infra.identity.models import Role
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.mail.outbox import queue_mail
from infra.profile import Profile
from infra.profile_prequalification import add_months
from prequalification import applications, exclusion, messages
from prequalification.errors import RevocationRefused, WrongState
from prequalification.models import (
    Application,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    Evidence,
    EvidenceStatus,
)
from prequalification.repository import PrequalificationRepository

SWEEP = "prequalification.sweep"
LIVE = (CertificateStatus.VALID, CertificateStatus.SUSPENDED)


SWEEP_BATCH = 200
"""Live certificates one sweep job looks at (and locks) in its transaction."""


class Sweep(msgspec.Struct, frozen=True, kw_only=True):
    """A sweep over the live certificates numbered after ``after`` (the first batch: none)."""

    after: str | None = None


class SweepSummary(msgspec.Struct, frozen=True, kw_only=True):
    reminders: int = 0
    suspended: int = 0
    expired: int = 0
    next_after: str | None = None
    """Live certificates follow this number: the sweep goes on with them in a job of its own."""


async def _mail_owners(
    session: AsyncSession,
    profile: Profile,
    organisation_id: uuid.UUID,
    mail: tuple[str, str, str],
    now: datetime,
) -> None:
    subject, de, en = mail
    body = (
        f"{de}\n\n----- English -----\n\n{en}\n\n-- \n{profile.instance.name['de']}\n"
        f"{profile.instance.operator['de']}\n"
    )
    repo = PrequalificationRepository(session)
    for user in await repo.contacts(organisation_id, (Role.OWNER,)):
        await queue_mail(session, to=user.email, subject=subject, body=body, now=now)


async def _transition(
    session: AsyncSession,
    certificate: Certificate,
    status: CertificateStatus,
    *,
    reason: str,
    now: datetime,
    actor: Principal | None = None,
) -> None:
    before = certificate.status
    certificate.status = status
    session.add(
        CertificateEvent(
            certificate_id=certificate.id,
            at=now,
            status=status,
            reason=reason,
            actor_id=actor.user_id if actor else None,
        )
    )
    await record(
        session,
        now=now,
        action=f"pq_certificate.{status}",
        object_type="pq_certificate",
        object_id=certificate.number,
        actor_user_id=actor.user_id if actor else None,
        organisation_id=certificate.organisation_id,
        before={"status": before},
        after={"status": str(status), "reason": reason},
    )


def _live_items(evidence: list[Evidence], on: date) -> list[Evidence]:
    return [
        item
        for item in evidence
        if item.status == EvidenceStatus.ACCEPTED
        and (item.expires_on is None or item.expires_on >= on)
    ]


def _uncovered(
    profile: Profile, application: Application, evidence: list[Evidence], on: date
) -> list[str]:
    """Mandatory document types with fewer unexpired accepted items than they need."""
    categories = applications._scope(application)[0]
    live = _live_items(evidence, on)
    return [
        evidence_type.code
        for evidence_type in profile.prequalification.required_for(categories)
        if evidence_type.mandatory
        and evidence_type.form == "document"
        and sum(1 for item in live if item.type_code == evidence_type.code)
        < evidence_type.min_items
    ]


async def _remind(
    session: AsyncSession,
    profile: Profile,
    *,
    certificate: Certificate,
    evidence: list[Evidence],
    on: date,
    now: datetime,
) -> int:
    names = {t.code: t.name for t in profile.prequalification.evidence}
    thresholds = sorted(profile.prequalification.reminder_days)
    sent = 0
    for item in evidence:
        if item.status != EvidenceStatus.ACCEPTED or item.expires_on is None:
            continue
        days_left = (item.expires_on - on).days
        if days_left < 0:
            continue
        done = {int(d) for d in (item.reminded_days or "").split(",") if d}
        due = [d for d in thresholds if days_left <= d and d not in done]
        if not due:
            continue
        item.reminded_days = ",".join(str(d) for d in sorted(done | set(due), reverse=True))
        name = names.get(item.type_code, {"de": item.type_code, "en": item.type_code})
        await _mail_owners(
            session,
            profile,
            certificate.organisation_id,
            messages.reminder(
                name["de"], name["en"], certificate.number, item.expires_on, days_left
            ),
            now,
        )
        sent += 1
    return sent


async def sweep(
    session: AsyncSession,
    *,
    profile: Profile,
    now: datetime,
    after: str | None = None,
    batch: int = SWEEP_BATCH,
) -> SweepSummary:
    """Send due reminders, suspend and expire certificates as of ``now`` (idempotent), for the
    first ``batch`` live certificates numbered after ``after``; when more follow, the job for
    the next batch is enqueued in the same transaction."""
    on = applications.today(profile, now)
    repo = PrequalificationRepository(session)
    query = select(Certificate).where(Certificate.status.in_([str(s) for s in LIVE]))
    if after is not None:
        query = query.where(Certificate.number > after)
    certificates = (
        await session.scalars(
            query.options(
                load_only(
                    Certificate.id,
                    Certificate.number,
                    Certificate.organisation_id,
                    Certificate.application_id,
                    Certificate.status,
                    Certificate.valid_to,
                )
            )
            .order_by(Certificate.number)
            .limit(batch)
            .with_for_update()
        )
    ).all()
    reminders = suspended = expired = 0
    for certificate in certificates:
        if on > certificate.valid_to:
            await _transition(
                session, certificate, CertificateStatus.EXPIRED, reason="period-ended", now=now
            )
            await _mail_owners(
                session,
                profile,
                certificate.organisation_id,
                messages.expired(certificate.number, certificate.valid_to),
                now,
            )
            expired += 1
            continue
        application = await repo.application(certificate.application_id)
        if application is None:
            continue
        evidence = list(await repo.evidence_of(application.id))
        reminders += await _remind(
            session, profile, certificate=certificate, evidence=evidence, on=on, now=now
        )
        uncovered = _uncovered(profile, application, evidence, on)
        if uncovered and certificate.status == CertificateStatus.VALID:
            await _transition(
                session,
                certificate,
                CertificateStatus.SUSPENDED,
                reason="evidence-expired: " + ", ".join(uncovered),
                now=now,
            )
            await _mail_owners(
                session,
                profile,
                certificate.organisation_id,
                messages.suspended(certificate.number, uncovered),
                now,
            )
            suspended += 1
    next_after = certificates[-1].number if len(certificates) == batch else None
    if next_after is not None:
        await outbox.enqueue(
            session,
            SWEEP,
            Sweep(after=next_after),
            run_at=now,
            now=now,
            dedupe_key=f"{SWEEP}:{now.isoformat()}:after:{next_after}",
        )
    return SweepSummary(
        reminders=reminders, suspended=suspended, expired=expired, next_after=next_after
    )


async def reinstate_if_complete(
    session: AsyncSession,
    *,
    profile: Profile,
    application: Application,
    by: Principal,
    now: datetime,
) -> bool:
    """Make a suspended certificate valid again once every mandatory type is covered."""
    repo = PrequalificationRepository(session)
    certificate = await repo.certificate_of_application(application.id)
    if certificate is None or certificate.status != CertificateStatus.SUSPENDED:
        return False
    on = applications.today(profile, now)
    if on > certificate.valid_to:
        return False
    if _uncovered(profile, application, list(await repo.evidence_of(application.id)), on):
        return False
    await _transition(
        session, certificate, CertificateStatus.VALID, reason="renewed", now=now, actor=by
    )
    await _mail_owners(
        session,
        profile,
        certificate.organisation_id,
        messages.reinstated(certificate.number),
        now,
    )
    return True


async def revoke(
    session: AsyncSession,
    *,
    profile: Profile,
    certificate: Certificate,
    ground: str,
    event_date: date,
    excluded_until: date | None,
    reason: str,
    by: Principal,
    now: datetime,
) -> Certificate:
    """Revoke a certificate for an exclusion ground, with the exclusion period (§ 126 GWB).

    The period runs at most the profile's ``mandatory_years`` (§ 123 grounds, from the
    conviction) or ``optional_years`` (§ 124 grounds, from the event); without a date it is
    that maximum. The company cannot apply again before it ends.
    """
    if certificate.status not in LIVE:
        raise WrongState(
            f"Only a valid or suspended certificate can be revoked; this one is "
            f"{certificate.status}.",
            status=certificate.status,
        )
    try:
        found = exclusion.ground(ground)
    except KeyError:
        raise RevocationRefused(
            f"{ground!r} is no exclusion ground.", reason="unknown-ground"
        ) from None
    on = applications.today(profile, now)
    if event_date > on:
        raise RevocationRefused("The date of the event lies in the future.", reason="future")
    years = (
        profile.exclusion.mandatory_years
        if found.kind == "mandatory"
        else profile.exclusion.optional_years
    )
    longest = add_months(event_date, 12 * years)
    until = excluded_until or longest
    if until > longest:
        raise RevocationRefused(
            f"The exclusion may last at most {years} years from the event (§ 126 GWB), that "
            f"is until {longest.isoformat()}.",
            reason="period-too-long",
            longest=longest.isoformat(),
        )
    if until < on:
        raise RevocationRefused(
            "The exclusion period has already ended (§ 126 GWB): the ground no longer counts.",
            reason="period-ended",
        )
    certificate.revocation_ground = ground
    certificate.excluded_until = until
    await _transition(
        session,
        certificate,
        CertificateStatus.REVOKED,
        reason=f"{ground}: {reason}",
        now=now,
        actor=by,
    )
    await _mail_owners(
        session,
        profile,
        certificate.organisation_id,
        messages.revoked(certificate.number, found, reason, until),
        now,
    )
    return certificate
