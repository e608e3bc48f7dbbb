"""A published tender for the browser tests, made through the services as an officer does."""

from __future__ import annotations

import io
import uuid

import msgspec

from infra.identity.principal import OrgRole, Principal
from procurement.tenders import authoring, publication
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.models import Tender
from procurement.tenders.schemas import TenderContent
from tests.procurement.test_tenders import PDF, content
from tests.web.prequalification_support import PqApp


async def publish_tender(
    app: PqApp, *, authority: uuid.UUID, officer_id: uuid.UUID, email: str, name: str
) -> Tender:
    """The officer drafts the tender of :func:`tests.procurement.test_tenders.content`, adds
    its specification and publishes it, all at the app's clock."""
    now = app.clock.now()
    officer = Principal(
        kind="user",
        user_id=officer_id,
        email=email,
        name=name,
        memberships={authority: OrgRole(kind="authority", role="officer")},
    )
    async with app.sessions() as session, session.begin():
        tender = await authoring.create_draft(
            session,
            profile=app.settings.profile,
            authority_id=authority,
            content=msgspec.convert(content(), TenderContent),
            by=officer,
            now=now,
        )
        await authoring.add_document(
            session,
            files=DocumentFiles(app.settings.storage.root),
            tender=tender,
            title="Leistungsverzeichnis",
            filename="leistungsverzeichnis.pdf",
            media_type="application/pdf",
            stream=io.BytesIO(PDF),
            limit=app.settings.signatures.max_document_bytes,
            replaces=None,
            by=officer,
            now=now,
        )
        return await publication.publish(
            session,
            profile=app.settings.profile,
            tender=tender,
            version=tender.version,
            by=officer,
            now=now,
        )
