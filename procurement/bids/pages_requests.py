"""The company answers a request of the contracting authority on its bid page: missing or
incomplete documents (§ 56 Abs. 2 VgV) or the explanation of its price (§ 60 Abs. 1 VgV).

The form on ``/angebote/<tender>`` takes the answer in words and up to
:data:`~procurement.bids.pages.ANSWER_DOCUMENTS` documents, sealed with the tender's key like the
bid's own documents (:func:`procurement.award.requests.answer`). A refusal (deadline passed,
answered already, an empty or too large file) is shown at the form and changes nothing; files
written before the refusal are removed again.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Any

from litestar import Response, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, Req, redirect, savepoint, state
from infra.web.forms import FORM
from infra.web.i18n import N_
from procurement.award import requests
from procurement.bids import vault
from procurement.bids.pages import ANSWER_DOCUMENTS, kek_of, render_editor
from procurement.bids.pages_common import (
    BASE,
    COMPANY,
    NO_COMPANY,
    Acting,
    acting_for,
    bid_tender,
    companies,
    error_message,
)
from procurement.bids.submission import Upload
from procurement.tenders.models import Tender
from procurement.tenders.pages_common import Failure, forbidden

ANSWER = BASE + "/{tender_id:uuid}/nachfragen/{request_id:uuid}"
_EMPTY = N_("Answer in words or attach the documents asked for.")
_TOO_MANY = N_("Attach at most five documents to an answer.")


@post(ANSWER, guards=[person], name="bids:answer", **FORM_POST)
async def answer(
    request: Req,
    session: DbSession,
    tender_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The company's answer to a request, with its documents."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    form = await request.form()
    acting = acting_for(request, form.get(COMPANY))
    tender = await bid_tender(session, tender_id)
    text = str(form.get("answer") or "")[:20_000]
    files = [f for f in form.getall("documents", []) if isinstance(f, UploadFile) and f.filename]
    if not text.strip() and not files:
        return await _refused(
            request, session, tender, acting, request_id, message=_EMPTY, status=422, field="answer"
        )
    if len(files) > ANSWER_DOCUMENTS:
        return await _refused(
            request,
            session,
            tender,
            acting,
            request_id,
            message=_TOO_MANY,
            status=422,
            field="documents",
        )
    app = state(request)
    settings = app.settings
    limit = settings.signatures.max_document_bytes
    uploads = [
        Upload(
            filename=f.filename or "dokument",
            media_type=f.content_type or "application/octet-stream",
            data=await f.read(limit + 1),
            requirement="",
        )
        for f in files
    ]
    store = vault.BidFiles(settings.storage.root)
    written: list[uuid.UUID] = []
    try:
        async with savepoint(session):
            await requests.answer(
                session,
                organisation_id=acting.company,
                tender_id=tender.id,
                request_id=request_id,
                text=text,
                kek=kek_of(app),
                by=principal_of(request),
                now=app.clock.now(),
                documents=uploads,
                files=store,
                limit=limit,
                max_documents=ANSWER_DOCUMENTS,
                written=written,
            )
            await session.flush()
    except DomainError as error:
        for document_id in written:
            store.remove(tender.id, document_id)
        field = "documents" if error.code == "invalid-document" else FORM
        return await _refused(
            request,
            session,
            tender,
            acting,
            request_id,
            message=error_message(error),
            status=int(error.status_code),
            field=field,
        )
    except BaseException:
        for document_id in written:
            store.remove(tender.id, document_id)
        raise
    return redirect(f"{BASE}/{tender.id}", notice="answered", **acting.params)


async def _refused(
    request: Req,
    session: DbSession,
    tender: Tender,
    acting: Acting,
    request_id: uuid.UUID,
    *,
    message: str,
    status: int,
    field: str,
) -> Response[Any]:
    failure = Failure("answer-", {field: message}, status, f"answer-{request_id}")
    return await render_editor(
        request, session, tender, acting, failure=failure, answering=request_id
    )


ROUTES: list[ControllerRouterHandler] = [answer]
