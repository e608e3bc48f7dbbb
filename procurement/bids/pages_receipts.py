"""The company's receipts and the withdrawal of its bid.

``/angebote/<tender id>/eingangsbestaetigungen/<id>`` is the receipt of a submission,
resubmission or withdrawal, the page a submission leads to: the receipt number, the exact time
of receipt in the instance's time zone and in UTC, each document with its SHA-256, the SHA-256
of the whole bid, and the sealed PDF. The worker seals the PDF within seconds; until then the
page says it is being sealed and htmx asks ``…/stand`` every second, which answers with the
link once it is there (without JavaScript the page says to reload it).
``/angebote/<tender id>/zurueckziehen`` asks whether the submitted bid is to be withdrawn
before the deadline and withdraws it with the version the person confirmed.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
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
from procurement.bids import drafting, submission, vault
from procurement.bids.controllers import bid_sealing
from procurement.bids.models import BidStatus, Submission
from procurement.bids.pages_common import (
    BASE,
    COMPANY,
    NO_COMPANY,
    Acting,
    accepting,
    acting_for,
    api_base,
    bid_tender,
    bid_words,
    companies,
    error_message,
    receipt_path,
)
from procurement.bids.schemas import ReceiptView
from procurement.errors import BidNotFound
from procurement.tenders.models import Tender
from procurement.tenders.pages_common import Failure, forbidden, version_of

BID = BASE + "/{tender_id:uuid}"
RECEIPT = BID + "/eingangsbestaetigungen/{submission_id:uuid}"
TenderId = FromPath[uuid.UUID]
SubmissionId = FromPath[uuid.UUID]
Company = Annotated[str, QueryParameter(max_length=40)]
NOTICES: dict[str, str] = {
    "submitted": N_(
        "Your bid has been submitted. Keep the receipt: it proves what you submitted and when."
    ),
    "withdrawn": N_("Your bid has been withdrawn. It will not be opened."),
}


async def _receipt(
    request: Req, session: AsyncSession, tender: Tender, acting: Acting, submission_id: uuid.UUID
) -> ReceiptView:
    """A receipt of the company's own bid; any other is not found."""
    bid = await drafting.own_bid(session, tender.id, acting.company)
    stored = await session.get(Submission, submission_id) if bid is not None else None
    if bid is None or stored is None or stored.bid_id != bid.id:
        raise BidNotFound("The bid has no such receipt.")
    settings = state(request).settings
    key = await vault.data_key(
        session, vault.kek_from_settings(settings), tender.id, now=stored.received_at, create=False
    )
    if key is None:  # pragma: no cover - a submission has a key
        raise BidNotFound("The bid has no such receipt.")
    return submission.receipt_view(
        stored,
        vault.manifest_of(stored, key),
        tender_number=tender.number,
        timezone=settings.profile.instance.timezone,
        base=api_base(acting.company, tender.id),
    )


async def _receipt_page(
    request: Req,
    session: AsyncSession,
    tender_id: uuid.UUID,
    submission_id: uuid.UUID,
    *,
    raw_company: str,
    template: str,
) -> Template:
    tender = await bid_tender(session, tender_id)
    acting = acting_for(request, raw_company)
    receipt = await _receipt(request, session, tender, acting, submission_id)
    path = receipt_path(tender.id, receipt.id)
    return page(
        request,
        template,
        tender=tender,
        receipt=receipt,
        bid_url=f"{BASE}/{tender.id}{acting.query}",
        reload_url=path + acting.query,
        poll_url=f"{path}/stand{acting.query}",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **bid_words(request),
    )


@get(RECEIPT, guards=[person], name="bids:receipt", **PAGE)
async def receipt_page(
    request: Req,
    session: DbSession,
    tender_id: TenderId,
    submission_id: SubmissionId,
    unternehmen: Company = "",
) -> Template:
    """A receipt of the company's bid, with the sealed PDF once it is there."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    return await _receipt_page(
        request,
        session,
        tender_id,
        submission_id,
        raw_company=unternehmen,
        template="bids/receipt.html",
    )


@get(RECEIPT + "/stand", guards=[person], name="bids:receipt-status", **PAGE)
async def receipt_status(
    request: Req,
    session: DbSession,
    tender_id: TenderId,
    submission_id: SubmissionId,
    unternehmen: Company = "",
) -> Template:
    """The PDF part of the receipt, which htmx polls for while the PDF is being sealed."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    return await _receipt_page(
        request,
        session,
        tender_id,
        submission_id,
        raw_company=unternehmen,
        template="bids/_receipt_pdf.html",
    )


async def _withdraw_page(
    request: Req,
    session: AsyncSession,
    tender: Tender,
    acting: Acting,
    *,
    failure: Failure | None = None,
) -> Response[Any]:
    bid = await drafting.own_bid(session, tender.id, acting.company)
    if failure is None and (
        bid is None
        or bid.status != BidStatus.SUBMITTED
        or not accepting(tender, state(request).clock.now())
    ):
        return redirect(f"{BASE}/{tender.id}", **acting.params)
    return page(
        request,
        "bids/withdraw.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        bid=bid,
        acting=acting,
        company_param=COMPANY,
        base=f"{BASE}/{tender.id}",
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        **bid_words(request),
    )


@get(BID + "/zurueckziehen", guards=[person], name="bids:withdraw-confirm", **PAGE)
async def withdraw_page(
    request: Req, session: DbSession, tender_id: TenderId, unternehmen: Company = ""
) -> Response[Any]:
    """Ask before the submitted bid is withdrawn."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    tender = await bid_tender(session, tender_id)
    return await _withdraw_page(request, session, tender, acting_for(request, unternehmen))


@post(BID + "/zurueckziehen", guards=[person], name="bids:withdraw", **FORM_POST)
async def withdraw(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """Withdraw the submitted bid before the deadline (it will not be opened)."""
    if not companies(request):
        return forbidden(request, NO_COMPANY)
    form = await request.form()
    acting = acting_for(request, form.get(COMPANY))
    tender = await bid_tender(session, tender_id)
    app = state(request)
    settings = app.settings
    try:
        async with savepoint(session):
            stored = await submission.withdraw(
                session,
                sealing=bid_sealing(settings),
                profile=settings.profile,
                public_url=settings.public_url,
                tender_id=tender.id,
                organisation_id=acting.company,
                version=version_of(form.get("version")),
                by=principal_of(request),
                clock=app.clock.now,
            )
    except DomainError as error:
        failure = Failure("", {FORM: error_message(error)}, int(error.status_code), "withdraw")
        return await _withdraw_page(request, session, tender, acting, failure=failure)
    return redirect(receipt_path(tender.id, stored.id), notice="withdrawn", **acting.params)


ROUTES: list[ControllerRouterHandler] = [receipt_page, receipt_status, withdraw_page, withdraw]
