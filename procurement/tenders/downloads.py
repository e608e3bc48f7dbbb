"""Handing out tender documents, and remembering which company downloaded what.

A company that downloads the documents is an interested party (Interessent): it hears of every
amendment and every published answer. The first download of each document by each person of
a company is recorded (and audited); later ones are not recorded again.
"""

from __future__ import annotations

__all__ = ["open_document", "reader_company"]

import uuid
from datetime import datetime

from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from procurement.errors import DocumentNotFound
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.models import Tender
from procurement.tenders.repository import TenderRepository


def reader_company(principal: Principal) -> uuid.UUID | None:
    """The company a person reads for: their (first) supplier organisation, if any."""
    for organisation_id, membership in sorted(principal.memberships.items()):
        if membership.kind == "supplier":
            return organisation_id
    return None


async def open_document(
    session: AsyncSession,
    files: DocumentFiles,
    tender: Tender,
    document_id: uuid.UUID,
    *,
    reader: Principal | None,
    now: datetime,
) -> File:
    """The document as a download; ``reader`` (a person) is recorded as interested when they
    read for a company. ``None``: the authority itself reads."""
    repo = TenderRepository(session)
    document = await repo.document(document_id)
    if document is None or document.tender_id != tender.id or document.withdrawn_at is not None:
        raise DocumentNotFound("The tender has no such document.")
    path = files.path(tender.id, document.id)
    if not path.is_file():
        raise DocumentNotFound("The document's file is missing; the authority has been told.")
    company = reader_company(reader) if reader is not None else None
    if reader is not None and company is not None and reader.user_id is not None:
        first = await repo.record_download(
            tender_id=tender.id,
            document_id=document.id,
            organisation_id=company,
            user_id=reader.user_id,
            now=now,
        )
        if first:
            await record(
                session,
                now=now,
                action="tender.document_download",
                object_type="tender",
                object_id=str(tender.id),
                actor_user_id=reader.user_id,
                organisation_id=company,
                after={"document": str(document.id), "sha256": document.sha256},
            )
    return File(
        path=path,
        filename=document.filename,
        media_type=document.media_type,
        headers={"cache-control": "private, no-store", "x-content-sha256": document.sha256},
    )
