"""Demo pre-qualification: a designated office and every demo company pre-qualified for works.

Each company goes the way a real one goes, through the services the API calls: an application
for works (CPV division 45), every mandatory piece of evidence uploaded, the self-declaration
on §§ 123, 124 GWB answered, the signature check of each upload run (the job's own function,
in process, so that the office can decide at once), submission; then the office's officer
takes it into review, accepts every item and approves it, which issues the certificate into
the public register (its documents are sealed by the job the worker of ``vergabe run`` picks
up). Evidence whose type requires a qualified signature carries the development seal of the
instance, the only seal a local instance has; the officer's reason says so.

Everything happens at one moment, two hours before ``now`` (the uploads are signed then, and
the company's bids of today come after it); a certificate is valid from the day of its
approval, so the demo tenders that ask for pre-qualification are the ones still open.
Idempotent: a company with an application is left alone.
"""

from __future__ import annotations

__all__ = ["seed_prequalification"]

import asyncio
import io
import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import ManualClock
from infra.demo import (
    PQ_OFFICE,
    PQ_OFFICER,
    SUPPLIERS,
    demo_organisation,
    demo_pdf,
    demo_principal,
)
from infra.identity.principal import Principal
from infra.profile_prequalification import EvidenceType
from infra.settings import Settings
from prequalification import applications, exclusion, review
from prequalification.exclusion_grounds import GROUND_CODES
from prequalification.models import Application, PrequalificationOffice
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import ApplicationCreate

SCOPE = ApplicationCreate(categories=["works"], cpv_divisions=["45"])
"""Bauleistungen, CPV division 45 (construction work): what the demo tenders ask for."""
ISSUED_DAYS_AGO = 12
"""The evidence was issued this many days before the application (recent, as the max-age
rules of the catalogue want it)."""
STATED_VALIDITY = timedelta(days=300)
BEFORE = timedelta(hours=2)
"""The companies were pre-qualified this long before ``now`` (before their bids of today)."""
"""Until when documents with a stated expiry (tax and insurance clearances) say they hold."""


async def seed_prequalification(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[str]:
    """Designate the demo office and pre-qualify each demo company that has not applied yet;
    returns what it made."""
    created: list[str] = []
    repo = PrequalificationRepository(session)
    office = await demo_organisation(session, PQ_OFFICE)
    officer = await demo_principal(session, PQ_OFFICER)
    if not await repo.is_office(office):
        await _designate(session, office, now)
        created.append(f"pre-qualification office {PQ_OFFICE}")
    waiting = []
    for name, email in SUPPLIERS:
        organisation = await demo_organisation(session, name)
        if not await repo.applications_of(organisation):
            waiting.append((name, organisation, await demo_principal(session, email)))
    if not waiting:
        return created
    at = now - BEFORE
    signed = await _signed_documents(settings, at)
    for name, organisation, owner in waiting:
        application = await _apply(
            session, settings, organisation=organisation, owner=owner, signed=signed, now=at
        )
        number = await _review(session, settings, application, officer, at)
        created.append(f"pre-qualification certificate {number} for {name}")
    return created


async def _designate(session: AsyncSession, office: uuid.UUID, now: datetime) -> None:
    """What the platform administrator's designation does (``admin_pq_office_designate``)."""
    PrequalificationRepository(session).add(
        PrequalificationOffice(organisation_id=office, designated_at=now, designated_by=None)
    )
    await record(
        session,
        now=now,
        action="pq_office.designate",
        object_type="organisation",
        object_id=str(office),
        actor_user_id=None,
        organisation_id=office,
    )


async def _signed_documents(settings: Settings, now: datetime) -> dict[str, bytes]:
    """A PDF for each evidence type that requires a signature, sealed with the instance's
    (development) seal at ``now``; it also puts the seal's root among the trust anchors."""
    from signatures.seal import sealer_from_settings
    from signatures.trust import load_trust_store

    trust = await asyncio.to_thread(load_trust_store, settings, at=now)
    sealer = sealer_from_settings(settings, clock=ManualClock(now), trust=trust)
    signed = {}
    for evidence_type in settings.profile.prequalification.evidence:
        if evidence_type.qualified_signature:
            signed[evidence_type.code] = await sealer.seal(
                _evidence_pdf(evidence_type, "Ausstellende Stelle (Demo)"),
                reason="Bescheinigung ausgestellt (Demo)",
                location="Bremen",
            )
    return signed


def _evidence_pdf(evidence_type: EvidenceType, company: str, item: int = 1) -> bytes:
    title = evidence_type.name["de"] + (f" ({item})" if evidence_type.min_items > 1 else "")
    return demo_pdf(
        title,
        f"Unternehmen: {company}",
        f"Rechtsgrundlage: {evidence_type.legal_basis}",
    )


async def _apply(
    session: AsyncSession,
    settings: Settings,
    *,
    organisation: uuid.UUID,
    owner: Principal,
    signed: dict[str, bytes],
    now: datetime,
) -> Application:
    """The company's side: application, evidence, self-declaration, checks, submission."""
    from prequalification.evidence_check import run_evidence_check
    from signatures.trust import load_trust_store
    from signatures.verify import Limits

    profile = settings.profile
    files = applications.EvidenceFiles(settings.storage.root)
    application = await applications.create_application(
        session, profile=profile, organisation_id=organisation, data=SCOPE, by=owner, now=now
    )
    company = next(name for name, email in SUPPLIERS if email == owner.email)
    issued = applications.today(profile, now) - timedelta(days=ISSUED_DAYS_AGO)
    uploads = []
    for evidence_type in profile.prequalification.required_for(SCOPE.categories):
        if not evidence_type.mandatory or evidence_type.form != "document":
            continue
        expiry = issued + STATED_VALIDITY if evidence_type.validity.needs_stated_expiry else None
        for item in range(1, evidence_type.min_items + 1):
            document = signed.get(evidence_type.code) or _evidence_pdf(evidence_type, company, item)
            evidence = await applications.upload_evidence(
                session,
                profile=profile,
                files=files,
                application=application,
                type_code=evidence_type.code,
                issued_on=issued,
                stated_expiry=expiry,
                filename=f"{evidence_type.code}-{item}.pdf",
                document=io.BytesIO(document),
                limit=settings.signatures.max_document_bytes,
                by=owner,
                now=now,
            )
            uploads.append(evidence.id)
    await applications.declare(
        session,
        profile=profile,
        application=application,
        declaration=exclusion.SelfDeclaration(
            answers=tuple(exclusion.GroundAnswer(code=code, applies=False) for code in GROUND_CODES)
        ),
        source="form",
        sme_size="small",
        by=owner,
        now=now,
    )
    trust = await asyncio.to_thread(load_trust_store, settings, at=now)
    for evidence_id in uploads:
        await run_evidence_check(
            session,
            evidence_id,
            profile=profile,
            files=files,
            now=now,
            trust=trust,
            limits=Limits.from_settings(settings.signatures),
        )
    return await applications.submit(
        session, profile=profile, application=application, by=owner, now=now
    )


async def _review(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    officer: Principal,
    now: datetime,
) -> str:
    """The office's side: review, accept every item, approve; the certificate's number."""
    profile = settings.profile
    await review.start_review(session, application=application, by=officer, now=now)
    for evidence in await PrequalificationRepository(session).evidence_of(application.id):
        flags = msgspec.json.decode(evidence.flags or "[]", type=list[str])
        reason = (
            "Geprüft. Das Dokument trägt das Entwicklungssiegel dieser Demo-Instanz; eine "
            "qualifizierte Signatur gibt es hier nicht (" + ", ".join(flags) + ")."
            if flags
            else "Geprüft, in Ordnung."
        )
        await review.decide_evidence(
            session,
            profile=profile,
            application=application,
            evidence_id=evidence.id,
            accept=True,
            reason=reason,
            by=officer,
            now=now,
        )
    certificate = await review.approve(
        session,
        profile=profile,
        base_url=settings.public_url,
        application=application,
        version=application.version,
        by=officer,
        now=now,
    )
    return certificate.number
