"""The bid pages (issue 7, item 7): a company's bids, its bid on a tender, the receipts, and the
officers' opening.

Server-rendered HTML in KERN UX (templates under ``infra/web/templates/bids/``), German first
and English through the language switcher, every page complete without JavaScript, calling the
same service functions as the JSON API (:mod:`procurement.bids.controllers`,
:mod:`procurement.bids.controllers_office`) inside a savepoint: a refusal is shown on the page
and changes nothing, a success redirects (303).

The company's pages are here and in :mod:`procurement.bids.pages_receipts`. ``/angebote`` lists
the bids of the person's companies. ``/angebote/<tender id>`` is the company's bid on a tender
(the address the receipt mail links to): its documents with the upload form (sealed from the
first byte; ``/static/upload-progress.js`` shows the progress where JavaScript runs), the offer
(a price per lot in German or plain notation, the self-declarations, the certificate), what is
still missing, and the buttons to save the draft and to submit (or resubmit) it; after the
deadline it shows the bid's state and its receipts. A person of several companies names the
company (``?unternehmen=<id>``; the page asks first). The officers' pages are
:mod:`procurement.bids.pages_office`; what they share is :mod:`procurement.bids.pages_common`.
"""

from __future__ import annotations

__all__ = ["ROUTES", "render_editor", "routes"]

import contextlib
import uuid
from typing import Annotated, Any

from litestar import Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, Req, redirect, savepoint, state
from infra.settings import Settings
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from procurement.award import award_views
from procurement.award import requests as award_requests
from procurement.bids import drafting, submission, vault
from procurement.bids.controllers import bid_sealing, company_bid_view
from procurement.bids.models import Bid, Submission
from procurement.bids.pages_common import (
    BASE,
    COMPANY,
    NO_COMPANY,
    Acting,
    OfferValues,
    accepting,
    acting_for,
    api_base,
    bid_tender,
    bid_words,
    chosen_company,
    companies,
    error_message,
    lot_numbers,
    missing_texts,
    offer_values,
    problem_errors,
    purpose_options,
    read_offer,
    receipt_path,
    values_of_content,
)
from procurement.bids.schemas import BidContent, DocumentMeta, DraftUpdate
from procurement.errors import TenderNotFound
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.pages_common import Failure, forbidden, version_of
from procurement.tenders.repository import TenderRepository
from signatures.controllers import upload_body_limit

BID = BASE + "/{tender_id:uuid}"
TenderId = FromPath[uuid.UUID]
Company = Annotated[str, QueryParameter(max_length=40)]
NOTICES: dict[str, str] = {
    "saved": N_("The draft of your bid has been saved. It has not been submitted yet."),
    "uploaded": N_("The document has been added to your bid. It is stored encrypted."),
    "removed": N_("The document has been removed from your bid."),
    "answered": N_("Your answer has been sent to the contracting authority."),
}
_SAVED_NOT_SUBMITTED = N_("Your entries have been saved as a draft, but the bid was not submitted.")
_CHOOSE_FILE = N_("Choose the file to upload.")
_CHOOSE_PURPOSE = N_("Choose what the document is for.")
STALE = "offer-heading"
_DECIDED = (TenderStatus.AWARD_PROPOSED, TenderStatus.AWARDED, TenderStatus.COMPLETED)
_BEFORE_OPENING = (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED)
ANSWER_DOCUMENTS = 5
"""At most this many documents go with an answer to a request of the authority."""


def kek_of(app: Any) -> vault.KeyEncryptionKey:
    return vault.kek_from_settings(app.settings)


"""Where an error of the whole offer form links to."""


async def _choose_page(request: Req, session: AsyncSession, target: str) -> Template:
    """A person of several companies chooses the one to act for."""
    mine = companies(request)
    names = await TenderRepository(session).organisation_names(set(mine))
    return page(
        request,
        "bids/choose.html",
        target=target,
        options=[(org, names.get(org, "")) for org in mine],
        company_param=COMPANY,
    )


@get(BASE, guards=[person], name="bids:mine", **PAGE)
async def mine_page(request: Req, session: DbSession) -> Template:
    """The bids of the person's companies, the most recently changed first."""
    mine = companies(request)
    if not mine:
        return forbidden(request, NO_COMPANY)
    names = await TenderRepository(session).organisation_names(set(mine))
    groups = []
    for company in mine:
        rows = await session.execute(
            select(Bid, Tender)
            .join(Tender, Tender.id == Bid.tender_id)
            .where(Bid.organisation_id == company)
            .order_by(Bid.updated_at.desc(), Bid.id)
        )
        bids = []
        for bid, tender in rows:
            latest = (
                await session.scalars(
                    select(Submission.receipt_number)
                    .where(Submission.bid_id == bid.id)
                    .order_by(Submission.sequence.desc())
                    .limit(1)
                )
            ).first()
            bids.append((bid, tender, latest))
        groups.append((company, names.get(company, ""), bids))
    return page(
        request,
        "bids/mine.html",
        groups=groups,
        several=len(mine) > 1,
        company_param=COMPANY,
        **bid_words(request),
    )


async def render_editor(
    request: Req,
    session: AsyncSession,
    tender: Tender,
    acting: Acting,
    *,
    failure: Failure | None = None,
    values: OfferValues | None = None,
    upload_purpose: str = "",
    saved_only: bool = False,
    answering: uuid.UUID | None = None,
) -> Template:
    """The company's bid on ``tender`` with the refusal of one of its forms if any
    (``answering``: the request whose answer form was refused)."""
    app = state(request)
    now = app.clock.now()
    language = negotiate_language(request)
    context = bid_words(request)
    lots = await drafting.lots_of(session, tender.id)
    bid = await drafting.own_bid(session, tender.id, acting.company)
    api = api_base(acting.company, tender.id)
    view = await company_bid_view(session, app.settings, bid, tender, api) if bid else None
    content = view.content if view else BidContent()
    documents = view.documents if view else []
    missing = view.missing if view else submission.missing_for_submission(tender, content, [])
    is_open = accepting(tender, now)
    if is_open:
        lacking, _certificate = await submission.eligibility_problems(
            session,
            profile=app.settings.profile,
            tender=tender,
            organisation_id=acting.company,
            content=content,
            documents=[
                DocumentMeta(
                    filename=d.filename,
                    media_type=d.media_type,
                    size=d.size,
                    sha256=d.sha256,
                    requirement=d.requirement,
                )
                for d in documents
            ],
            now=now,
        )
        missing = [*missing, *lacking]
    if failure is not None and not is_open:
        # The forms are gone from the page: the refusal links to the bid's state.
        message = next(iter(failure.errors.values()))
        failure = Failure("", {FORM: message}, failure.status, "bid-state")
    titles = {lot.number: lot.title for lot in lots}
    asked = (
        await award_requests.for_company(
            session, organisation_id=acting.company, tender_id=tender.id, kek=kek_of(app), now=now
        )
        if bid is not None and tender.status not in _BEFORE_OPENING
        else []
    )
    result = None
    if tender.status in _DECIDED:
        with contextlib.suppress(TenderNotFound):
            result = await award_views.company_result(
                session, organisation_id=acting.company, tender_id=tender.id
            )
    receipts = view.receipts if view else []
    in_force = next((r for r in reversed(receipts) if r.in_force and r.kind != "withdrawal"), None)
    base = f"{BASE}/{tender.id}"
    return page(
        request,
        "bids/editor.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        authority_name=await TenderRepository(session).authority_name(tender.authority_id),
        lot_rows=[(number, titles.get(number)) for number in lot_numbers(lots)],
        view=view,
        status=view.status if view else "none",
        version=view.version if view else 0,
        values=values or values_of_content(content, lots, language),
        documents=documents,
        document_href=lambda document: f"{api}/documents/{document.id}",
        purpose_options=[
            (code, context["purpose"](code))
            for code, _name in purpose_options(tender, context["evidence_names"])
        ],
        upload_purpose=upload_purpose,
        missing=missing_texts(missing, language, context["evidence_names"]),
        receipts=receipts,
        receipt_href=lambda receipt: receipt_path(tender.id, receipt.id) + acting.query,
        in_force=in_force,
        is_open=is_open,
        acting=acting,
        company_param=COMPANY,
        base=base,
        query=acting.query,
        submission_key=uuid.uuid4().hex,
        saved_only=saved_only,
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        result=result,
        letter_href=lambda letter: f"{api}/result/letters/{letter.id}",
        asked=asked,
        answering=answering,
        answer_limit=ANSWER_DOCUMENTS,
        **context,
    )


@get(BID, guards=[person], name="bids:bid", **PAGE)
async def bid_page(
    request: Req, session: DbSession, tender_id: TenderId, unternehmen: Company = ""
) -> Template:
    """The company's bid on the tender (the receipt mail links here)."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    tender = await bid_tender(session, tender_id)
    if not unternehmen and chosen_company(request, "") is None:
        return await _choose_page(request, session, f"{BASE}/{tender.id}")
    return await render_editor(request, session, tender, acting_for(request, unternehmen))


async def _replayed(
    session: AsyncSession, tender_id: uuid.UUID, company: uuid.UUID, key: str | None
) -> Submission | None:
    """The submission an earlier request with the same key made (a button pressed twice)."""
    bid = await drafting.own_bid(session, tender_id, company)
    if bid is None or not key:
        return None
    return (
        await session.scalars(
            select(Submission).where(Submission.bid_id == bid.id, Submission.idempotency_key == key)
        )
    ).first()


def _refused(error: DomainError, offered: list[int]) -> Failure:
    """The failure of the offer form the domain refused."""
    problems = error.extra.get("errors")
    if error.code == "invalid-bid" and isinstance(problems, list):
        fields = problem_errors(
            [p for p in problems if isinstance(p, dict) and p.get("field") != "bid"], offered
        )
        if fields:
            return Failure("", fields, int(error.status_code), STALE)
    anchor = "missing-heading" if error.code in ("invalid-bid", "eligibility-missing") else STALE
    return Failure("", {FORM: error_message(error)}, int(error.status_code), anchor)


@post(BID, guards=[person], name="bids:save", **FORM_POST)
async def save(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """Save the offer as the draft, and with the submit button submit it: the draft is saved
    first (with the version the person saw), then the bid is submitted, so that a submission
    refused for what is missing keeps the entries."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    form = await request.form()
    acting = acting_for(request, form.get(COMPANY))
    tender = await bid_tender(session, tender_id)
    lots = await drafting.lots_of(session, tender.id)
    values = offer_values(form, lots)
    submitting = form.get("action") == "submit"
    key = str(form.get("submission_key") or "")[:100] or None
    replay = await _replayed(session, tender.id, acting.company, key) if submitting else None
    if replay is not None:
        return redirect(receipt_path(tender.id, replay.id), **acting.params)
    content, errors = read_offer(values, lots)
    if content is None:
        failure = Failure("", errors, 422, STALE)
        return await render_editor(request, session, tender, acting, failure=failure, values=values)
    app = state(request)
    settings = app.settings
    try:
        async with savepoint(session):
            bid = await drafting.save_draft(
                session,
                sealing=bid_sealing(settings),
                tender_id=tender.id,
                organisation_id=acting.company,
                update=DraftUpdate(
                    lots=content.lots,
                    certificate_number=content.certificate_number,
                    declarations=content.declarations,
                    version=version_of(form.get("version")),
                ),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = _refused(error, [offer.lot for offer in content.lots])
        return await render_editor(request, session, tender, acting, failure=failure, values=values)
    if not submitting:
        return redirect(f"{BASE}/{tender.id}", notice="saved", **acting.params)
    try:
        async with savepoint(session):
            stored, _new = await submission.submit(
                session,
                sealing=bid_sealing(settings),
                profile=settings.profile,
                public_url=settings.public_url,
                tender_id=tender.id,
                organisation_id=acting.company,
                version=bid.version,
                content=None,
                uploads=[],
                limit=settings.signatures.max_document_bytes,
                max_documents=settings.bids.max_documents,
                idempotency_key=key,
                by=principal_of(request),
                clock=app.clock.now,
                written=[],
            )
    except DomainError as error:
        failure = _refused(error, [offer.lot for offer in content.lots])
        return await render_editor(
            request, session, tender, acting, failure=failure, values=values, saved_only=True
        )
    return redirect(receipt_path(tender.id, stored.id), notice="submitted", **acting.params)


@post(BID + "/dokumente", guards=[person], name="bids:upload", **FORM_POST)
async def upload(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """One document of the bid, sealed before it is stored."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    form = await request.form()
    acting = acting_for(request, form.get(COMPANY))
    tender = await bid_tender(session, tender_id)
    purpose = str(form.get("requirement") or "")[:60]
    context = bid_words(request)
    errors: Errors = {}
    document = form.get("document")
    if not isinstance(document, UploadFile) or not document.filename:
        errors["document"] = _CHOOSE_FILE
    if purpose not in dict(purpose_options(tender, context["evidence_names"])):
        errors["requirement"] = _CHOOSE_PURPOSE
    if errors or not isinstance(document, UploadFile):
        failure = Failure("upload-", errors, 422, "document")
        return await render_editor(
            request, session, tender, acting, failure=failure, upload_purpose=purpose
        )
    app = state(request)
    settings = app.settings
    sealing = bid_sealing(settings)
    limit = settings.signatures.max_document_bytes
    data = await document.read(limit + 1)
    written: list[uuid.UUID] = []
    try:
        async with savepoint(session):
            await drafting.add_document(
                session,
                sealing=sealing,
                tender_id=tender.id,
                organisation_id=acting.company,
                filename=document.filename or "dokument",
                media_type=document.content_type or "application/octet-stream",
                data=data,
                requirement=purpose,
                limit=limit,
                max_documents=settings.bids.max_documents,
                by=principal_of(request),
                now=app.clock.now(),
                written=written,
            )
            await session.flush()
    except DomainError as error:
        _remove(sealing, tender.id, written)
        field = "document" if error.code == "invalid-document" else FORM
        failure = Failure(
            "upload-", {field: error_message(error)}, int(error.status_code), "document"
        )
        return await render_editor(
            request, session, tender, acting, failure=failure, upload_purpose=purpose
        )
    except BaseException:
        _remove(sealing, tender.id, written)
        raise
    return redirect(f"{BASE}/{tender.id}", notice="uploaded", **acting.params)


def _remove(sealing: drafting.Sealing, tender_id: uuid.UUID, written: list[uuid.UUID]) -> None:
    """Remove the files a refused upload wrote (its rows were rolled back)."""
    for document_id in written:
        sealing.files.remove(tender_id, document_id)


@post(
    BID + "/dokumente/{document_id:uuid}/entfernen",
    guards=[person],
    name="bids:remove-document",
    **FORM_POST,
)
async def remove(
    request: Req, session: DbSession, tender_id: TenderId, document_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """Take a document out of the working copy (a submission naming it keeps its file)."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    form = await request.form()
    acting = acting_for(request, form.get(COMPANY))
    tender = await bid_tender(session, tender_id)
    try:
        async with savepoint(session):
            await drafting.remove_document(
                session,
                tender_id=tender.id,
                organisation_id=acting.company,
                document_id=document_id,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        failure = Failure(
            "", {FORM: error_message(error)}, int(error.status_code), "documents-heading"
        )
        return await render_editor(request, session, tender, acting, failure=failure)
    return redirect(f"{BASE}/{tender.id}", notice="removed", **acting.params)


ROUTES: list[ControllerRouterHandler] = [mine_page, bid_page, save, upload, remove]


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The bid pages, with the request body limit of a document for the uploads."""
    from procurement.bids import pages_office, pages_receipts, pages_requests

    return [
        Router(
            path="/",
            route_handlers=[*ROUTES, *pages_receipts.ROUTES, *pages_office.ROUTES],
            request_max_body_size=upload_body_limit(settings),
        ),
        Router(
            path="/",
            route_handlers=pages_requests.ROUTES,
            request_max_body_size=ANSWER_DOCUMENTS * upload_body_limit(settings),
        ),
    ]
