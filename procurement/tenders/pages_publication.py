"""The officers' pages that make a draft ready: its documents, the checklist, publishing.

``/vergabestelle/ausschreibungen/<id>/unterlagen`` lists the documents of a draft with size
and SHA-256 and takes uploads (a plain multipart form; ``/static/upload-progress.js`` shows the
progress where JavaScript runs) and removals. ``…/veroeffentlichung`` is the publication
checklist (:func:`procurement.tenders.publication.publication_check`): each check with its
verdict, its legal basis, its message in the page's language and, where it names one, the
earliest admissible deadline in the instance's time zone; the publish button is there only
when no check refuses. ``…/veroeffentlichen`` publishes with the version the officer checked,
and shows the checklist again when a check refuses meanwhile.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, Req, redirect, savepoint, state
from infra.web.forms import FORM
from infra.web.i18n import N_
from infra.web.rendering import page
from procurement.errors import TenderChanged
from procurement.tenders import authoring, publication
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.pages_common import (
    OFFICE,
    Failure,
    error_message,
    officer_tender,
    version_of,
    words,
)
from procurement.tenders.pages_office import STALE

TENDER = OFFICE + "/{tender_id:uuid}"
TenderId = FromPath[uuid.UUID]
NOTICES: dict[str, str] = {
    "uploaded": N_("The document has been uploaded."),
    "removed": N_("The document has been removed from the draft."),
}
_CHOOSE_FILE = N_("Choose the file to upload.")


async def _documents_page(
    request: Req,
    session: AsyncSession,
    tender: Tender,
    *,
    failure: Failure | None = None,
    title: str = "",
) -> Template:
    app = state(request)
    view = await authoring.tender_view(session, app.settings.profile, tender, app.clock.now())
    base = f"/api/v1/organisations/{tender.authority_id}/tenders/{tender.id}/documents"
    return page(
        request,
        "tenders/documents.html",
        status_code=failure.status if failure else 200,
        view=view,
        base=f"{OFFICE}/{tender.id}",
        document_href=lambda document: f"{base}/{document.id}",
        editable=tender.status == TenderStatus.DRAFT,
        title_value=title,
        limit=app.settings.signatures.max_document_bytes,
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **words(request),
    )


@get(TENDER + "/unterlagen", guards=[person], name="tenders:documents", **PAGE)
async def documents_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    return await _documents_page(
        request, session, await officer_tender(request, session, tender_id)
    )


@post(TENDER + "/unterlagen", guards=[person], name="tenders:upload", **FORM_POST)
async def upload(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """One document of a draft, stored with its SHA-256."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    form = await request.form()
    title = str(form.get("title") or "")[:200]
    document = form.get("document")
    if not isinstance(document, UploadFile) or not document.filename:
        failure = Failure("", {"document": _CHOOSE_FILE}, 422, "document")
        return await _documents_page(request, session, tender, failure=failure, title=title)
    app = state(request)
    try:
        async with savepoint(session):
            await authoring.add_document(
                session,
                files=DocumentFiles(app.settings.storage.root),
                tender=tender,
                title=title,
                filename=document.filename[:255],
                media_type=(document.content_type or "application/octet-stream")[:100],
                stream=document.file,
                limit=app.settings.signatures.max_document_bytes,
                replaces=None,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        field = "document" if error.code == "invalid-document" else FORM
        failure = Failure("", {field: error_message(error)}, int(error.status_code), "document")
        return await _documents_page(request, session, tender, failure=failure, title=title)
    return redirect(f"{OFFICE}/{tender.id}/unterlagen", notice="uploaded")


@post(
    TENDER + "/unterlagen/{document_id:uuid}/entfernen",
    guards=[person],
    name="tenders:remove-document",
    **FORM_POST,
)
async def remove(
    request: Req, session: DbSession, tender_id: TenderId, document_id: FromPath[uuid.UUID]
) -> Response[Any]:
    tender = await officer_tender(request, session, tender_id, lock=True)
    try:
        async with savepoint(session):
            await authoring.remove_document(
                session,
                tender=tender,
                document_id=document_id,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        failure = Failure(
            "", {FORM: error_message(error)}, int(error.status_code), "documents-heading"
        )
        return await _documents_page(request, session, tender, failure=failure)
    return redirect(f"{OFFICE}/{tender.id}/unterlagen", notice="removed")


async def _checklist_page(
    request: Req, session: AsyncSession, tender: Tender, *, failure: Failure | None = None
) -> Template:
    app = state(request)
    now = app.clock.now()
    profile = app.settings.profile
    view = await authoring.tender_view(session, profile, tender, now)
    result = (
        await publication.publication_check(session, profile, tender, now)
        if tender.status == TenderStatus.DRAFT
        else None
    )
    return page(
        request,
        "tenders/checklist.html",
        status_code=failure.status if failure else 200,
        view=view,
        result=result,
        base=f"{OFFICE}/{tender.id}",
        stale=bool(failure and failure.first_field == STALE),
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        **words(request),
    )


@get(TENDER + "/veroeffentlichung", guards=[person], name="tenders:checklist", **PAGE)
async def checklist_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    return await _checklist_page(
        request, session, await officer_tender(request, session, tender_id)
    )


@post(TENDER + "/veroeffentlichen", guards=[person], name="tenders:publish", **FORM_POST)
async def publish(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """Publish with the version the officer checked; a refusing check shows the checklist."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    form = await request.form()
    app = state(request)
    try:
        async with savepoint(session):
            await publication.publish(
                session,
                profile=app.settings.profile,
                tender=tender,
                version=version_of(form.get("version")),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        anchor = STALE if isinstance(error, TenderChanged) else "checks-heading"
        failure = Failure("", {FORM: error_message(error)}, int(error.status_code), anchor)
        return await _checklist_page(request, session, tender, failure=failure)
    return redirect(f"{OFFICE}/{tender.id}", notice="published")


ROUTES: list[ControllerRouterHandler] = [
    documents_page,
    upload,
    remove,
    checklist_page,
    publish,
]
