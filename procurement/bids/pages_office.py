"""The officers' bid pages: the number of bids, the two-person opening, the opened bids.

``/vergabestelle/ausschreibungen/<id>/angebote`` is reached from the tender's page. Before the
opening it shows what the authority may know (§ 55 Abs. 1 VgV): the number of bids in force and
the submission deadline. After the deadline the first officer starts the opening
(``…/oeffnung``) and a second, different officer confirms it within the opening window
(``…/oeffnung/bestaetigung``); the page says who started and until when it may be confirmed, and
a refused start or confirmation (the same officer, run out, before the deadline …) is shown on
the page in words and recorded in the audit trail (``tender.refused``), like a refused request
of the API. After the opening it lists the opened bids (each read recorded by
:func:`procurement.bids.opening.opened_bids`): the company, the time of receipt, lots and
prices, the declarations, the documents with their download through the API and their
signature results; and the sealed minutes, or while the worker writes them a notice that htmx
replaces with the link (``…/niederschrift``). Another authority's tender answers 404.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from datetime import timedelta
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, Req, redirect, savepoint, state
from infra.web.forms import FORM
from infra.web.i18n import N_
from infra.web.rendering import page
from procurement.award import conflicts
from procurement.bids import opening, vault
from procurement.bids.models import Opening
from procurement.bids.pages_common import bid_words, error_message
from procurement.errors import TenderNotFound
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.pages_common import OFFICE, Failure, officer_tender

BIDS = OFFICE + "/{tender_id:uuid}/angebote"
TenderId = FromPath[uuid.UUID]
NOTICES: dict[str, str] = {
    "started": N_(
        "You have started the opening. Another officer of your authority must now confirm it."
    ),
    "opened": N_("The bids have been opened. The minutes are being written and sealed."),
}
_OPENED = (
    TenderStatus.OPENED,
    TenderStatus.IN_EVALUATION,
    TenderStatus.AWARD_PROPOSED,
    TenderStatus.AWARDED,
    TenderStatus.COMPLETED,
)


async def _tender(
    request: Req, session: AsyncSession, tender_id: uuid.UUID, *, lock: bool = False
) -> Tender:
    """A published tender of the officer's authority; a draft has no bids."""
    tender = await officer_tender(request, session, tender_id, lock=lock)
    if tender.published_at is None:
        raise TenderNotFound("The tender has not been published; it has no bids.")
    return tender


def _phase(tender: Tender, row: Opening | None, now: Any, user_id: uuid.UUID | None) -> str:
    """Where the opening stands for this officer: ``cancelled``, ``opened``, ``sealed``
    (before the deadline), ``start`` (it can be started), ``waiting`` (they started it) or
    ``confirm`` (another officer started it)."""
    if tender.status in _OPENED:
        return "opened"
    if tender.status == TenderStatus.CANCELLED:
        return "cancelled"
    deadline = tender.submission_deadline
    if deadline is None or now < deadline:
        return "sealed"
    if row is None or row.confirmed_at is not None or row.expires_at <= now:
        return "start"
    return "waiting" if row.started_by == user_id else "confirm"


async def _bids_page(
    request: Req, session: AsyncSession, tender: Tender, *, failure: Failure | None = None
) -> Template:
    app = state(request)
    now = app.clock.now()
    principal = principal_of(request)
    count = await opening.bid_count(session, tender)
    row = await session.get(Opening, tender.id)
    phase = _phase(tender, row, now, principal.user_id)
    undeclared = (
        phase == "opened"
        and conflicts.needs_declaration(tender, principal)
        and await conflicts.declaration_of(session, tender.id, principal.user_id) is None
    )
    bids = (
        await opening.opened_bids(
            session,
            tender=tender,
            kek=vault.kek_from_settings(app.settings),
            by=principal,
            now=now,
        )
        if phase == "opened" and not undeclared
        else []
    )
    api = f"/api/v1/organisations/{tender.authority_id}/tenders/{tender.id}"
    base = f"{OFFICE}/{tender.id}/angebote"
    return page(
        request,
        "bids/office.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        count=count,
        opening=count.opening,
        ran_out=phase == "start" and row is not None and row.confirmed_at is None,
        phase=phase,
        bids=bids,
        undeclared=undeclared,
        document_href=lambda bid, document: f"{api}/bids/{bid.id}/documents/{document.id}",
        minutes_url=f"{api}/opening/minutes",
        poll_url=f"{base}/niederschrift",
        base=base,
        tender_url=f"{OFFICE}/{tender.id}",
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **bid_words(request),
    )


@get(BIDS, guards=[person], name="bids:office", **PAGE)
async def bids_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """The bids of the tender as its officers may see them now."""
    return await _bids_page(request, session, await _tender(request, session, tender_id))


@get(BIDS + "/niederschrift", guards=[person], name="bids:minutes-status", **PAGE)
async def minutes_status(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """The minutes part of the page, which htmx polls for while they are written (it reads
    no bid, so nothing is recorded)."""
    tender = await _tender(request, session, tender_id)
    view = await opening.opening_view(session, await session.get(Opening, tender.id))
    api = f"/api/v1/organisations/{tender.authority_id}/tenders/{tender.id}"
    return page(
        request,
        "bids/_minutes.html",
        opening=view,
        minutes_url=f"{api}/opening/minutes",
        poll_url=f"{OFFICE}/{tender.id}/angebote/niederschrift",
        reload_url=f"{OFFICE}/{tender.id}/angebote",
    )


async def _refused(
    request: Req, session: AsyncSession, tender: Tender, error: DomainError
) -> Template:
    """Record the refused attempt (Annex IV (g)), as the API does, and show it on the page."""
    app = state(request)
    principal = principal_of(request)
    await record(
        session,
        now=app.clock.now(),
        action="tender.refused",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=principal.user_id,
        organisation_id=tender.authority_id,
        after={
            "method": request.method,
            "path": request.url.path,
            "code": error.code,
            "reason": str(error.extra.get("reason") or ""),
            "status": int(error.status_code),
        },
    )
    failure = Failure("", {FORM: error_message(error)}, int(error.status_code), "opening-heading")
    return await _bids_page(request, session, tender, failure=failure)


@post(BIDS + "/oeffnung", guards=[person], name="bids:opening-start", **FORM_POST)
async def start(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """The first officer starts the opening after the deadline."""
    tender = await _tender(request, session, tender_id, lock=True)
    app = state(request)
    try:
        async with savepoint(session):
            await opening.start(
                session,
                tender=tender,
                by=principal_of(request),
                now=app.clock.now(),
                window=timedelta(minutes=app.settings.bids.opening_window_minutes),
            )
    except DomainError as error:
        return await _refused(request, session, tender, error)
    return redirect(f"{OFFICE}/{tender.id}/angebote", notice="started")


@post(BIDS + "/oeffnung/bestaetigung", guards=[person], name="bids:opening-confirm", **FORM_POST)
async def confirm(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """A second, different officer confirms: the bids are opened."""
    tender = await _tender(request, session, tender_id, lock=True)
    try:
        async with savepoint(session):
            await opening.confirm(
                session, tender=tender, by=principal_of(request), now=state(request).clock.now()
            )
    except DomainError as error:
        return await _refused(request, session, tender, error)
    return redirect(f"{OFFICE}/{tender.id}/angebote", notice="opened")


ROUTES: list[ControllerRouterHandler] = [bids_page, minutes_status, start, confirm]
