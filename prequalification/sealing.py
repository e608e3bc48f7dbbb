"""The job side of an issued certificate: render and seal its documents, keep them on the row.

Runs in ``prequalification.seal_certificate``. Idempotent: a certificate whose documents are
there is left alone, so a redelivered job seals nothing twice. A failure (the timestamp
authority down, the seal token unavailable) raises, and the job is retried; until it succeeds
the certificate is valid and verifiable, only its documents are not there yet.
"""

from __future__ import annotations

__all__ = ["certificate_facts", "seal_certificate"]

import asyncio
import uuid
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.models import Organisation
from infra.profile_prequalification import Category
from infra.settings import Settings
from prequalification.certificate_document import CertificateFacts, issue_documents
from prequalification.certificates import verify_url
from prequalification.models import Certificate, CertificateScope
from signatures.seal import sealer_from_settings
from signatures.trust import load_trust_store


async def certificate_facts(
    session: AsyncSession, certificate: Certificate, settings: Settings
) -> CertificateFacts:
    """What the certificate's documents state, from the rows."""
    organisation = await session.get(Organisation, certificate.organisation_id)
    if organisation is None:
        raise LookupError(f"certificate {certificate.number} has no organisation")
    scopes = (
        await session.scalars(
            select(CertificateScope).where(CertificateScope.certificate_id == certificate.id)
        )
    ).all()
    instance = settings.profile.instance
    return CertificateFacts(
        number=certificate.number,
        company_name=organisation.legal_name,
        street=organisation.street,
        postal_code=organisation.postal_code,
        city=organisation.city,
        country=organisation.country,
        register_court=organisation.register_court,
        register_number=organisation.register_number,
        vat_id=organisation.vat_id,
        categories=tuple(sorted({cast(Category, scope.category) for scope in scopes})),
        cpv_divisions=tuple(sorted({scope.division for scope in scopes})),
        valid_from=certificate.valid_from,
        valid_to=certificate.valid_to,
        issued_at=certificate.issued_at,
        verify_url=verify_url(settings.public_url, certificate.number),
        instance_name=dict(instance.name),
        operator=dict(instance.operator),
        state=instance.state,
    )


async def seal_certificate(
    session: AsyncSession, certificate_id: uuid.UUID, *, settings: Settings, clock: Clock
) -> str:
    """Render and seal the documents of a certificate; ``sealed``, ``skipped`` or ``missing``."""
    certificate = (
        await session.scalars(
            select(Certificate).where(Certificate.id == certificate_id).with_for_update()
        )
    ).first()
    if certificate is None:
        return "missing"
    if certificate.pdf is not None:
        return "skipped"
    facts = await certificate_facts(session, certificate, settings)
    now = clock.now()
    trust = await asyncio.to_thread(load_trust_store, settings, at=now)
    sealer = sealer_from_settings(settings, clock=clock, trust=trust)
    documents = await issue_documents(facts, sealer)
    certificate.pdf = documents.pdf
    certificate.document_json = documents.json
    certificate.document_signature = documents.json_signature
    return "sealed"
