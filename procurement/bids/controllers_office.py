"""The authority's side of the bids: the number of bids before the opening, the two-person
opening, the opened bids and their documents, and the minutes.

Every route here records a refused request in the audit trail (``tender.refused``: a read
before the opening, an opening by the wrong person or at the wrong time, a request from outside
the authority), and every read of bid content after the opening is recorded by the service.
"""

from __future__ import annotations

__all__ = ["ROUTES", "TenderBids", "TenderOpening"]

import uuid
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.errors import AUDIT_REFUSALS
from infra.http import DbSession
from infra.identity.errors import OrganisationNotFound
from infra.identity.guards import member_of, principal_of
from infra.identity.models import Role
from procurement.award import conflicts
from procurement.bids import opening, vault
from procurement.bids.controllers import NO_STORE, attachment
from procurement.bids.models import Opening
from procurement.bids.schemas import BidCount, OpenedBid, OpeningView
from procurement.errors import OpeningRefused, TenderNotFound
from procurement.tenders.authoring import get_tender_of
from procurement.tenders.models import Tender

Req = Request[Any, Any, Any]
AUDITED = {AUDIT_REFUSALS: "tender"}
officers = member_of(Role.OFFICER)
readers = member_of(Role.OFFICER, Role.EVALUATOR)
"""Officers and evaluators of the authority (in person: no API token reads bids)."""
_of_authority = member_of(Role.ADMIN, Role.OFFICER, Role.EVALUATOR, "token", scope="tenders:read")


async def anyone_of_authority(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
    """Anyone of the authority in the path: its people, or its API tokens with
    ``tenders:read`` (a company's token is no authority's)."""
    await _of_authority(connection, handler)
    organisation_id = connection.path_params["organisation_id"]
    membership = principal_of(connection).role_in(organisation_id)
    if membership is None or membership.kind != "authority":
        raise OrganisationNotFound("There is no such organisation.")


def _state(request: Req) -> Any:
    return request.app.state


async def _tender(
    session: AsyncSession, organisation_id: uuid.UUID, tender_id: uuid.UUID, *, lock: bool = False
) -> Tender:
    tender = await get_tender_of(session, organisation_id, tender_id, for_update=lock)
    if tender.published_at is None:
        raise TenderNotFound("The tender has not been published; it has no bids.")
    return tender


class TenderBids(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tenders/{tender_id:uuid}/bids"
    tags = ("bids",)

    @get("", operation_id="tender_bid_count", guards=[anyone_of_authority], opt=AUDITED)
    async def count(
        self,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[BidCount]:
        """How many bids have been submitted (all the authority may know before the opening),
        and the state of the opening."""
        tender = await _tender(session, organisation_id, tender_id)
        return Response(await opening.bid_count(session, tender), headers=NO_STORE)

    @get("/opened", operation_id="tender_bids_opened", guards=[readers], opt=AUDITED)
    async def opened(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[list[OpenedBid]]:
        """The opened bids with lots, prices, declarations, documents and signature results
        (409 ``bids-sealed`` before the opening). Each read is recorded."""
        state = _state(request)
        tender = await _tender(session, organisation_id, tender_id)
        await conflicts.require_declaration_to_read(session, tender, principal_of(request))
        bids = await opening.opened_bids(
            session,
            tender=tender,
            kek=vault.kek_from_settings(state.settings),
            by=principal_of(request),
            now=state.clock.now(),
        )
        return Response(bids, headers=NO_STORE)

    @get(
        "/{bid_id:uuid}/documents/{document_id:uuid}",
        operation_id="tender_bid_document",
        media_type="application/octet-stream",
        guards=[readers],
        opt=AUDITED,
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        bid_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """A document of an opened bid (409 ``bids-sealed`` before the opening); recorded."""
        state = _state(request)
        tender = await _tender(session, organisation_id, tender_id)
        await conflicts.require_declaration_to_read(session, tender, principal_of(request))
        meta, data = await opening.opened_document(
            session,
            tender=tender,
            kek=vault.kek_from_settings(state.settings),
            files=vault.BidFiles(state.settings.storage.root),
            bid_id=bid_id,
            document_id=document_id,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return attachment(data, meta.filename, meta.media_type)


class TenderOpening(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tenders/{tender_id:uuid}/opening"
    tags = ("bids",)

    @get("", operation_id="tender_opening_get", guards=[anyone_of_authority], opt=AUDITED)
    async def read(
        self,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[OpeningView | None]:
        """The opening: who started it, until when it may be confirmed, who confirmed it."""
        tender = await _tender(session, organisation_id, tender_id)
        view = await opening.opening_view(session, await session.get(Opening, tender.id))
        return Response(view, headers=NO_STORE)

    @post("", operation_id="tender_opening_start", status_code=201, guards=[officers], opt=AUDITED)
    async def start(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> OpeningView:
        """The first officer starts the opening after the deadline (409 ``opening-refused``
        with its ``reason`` otherwise); a second officer must confirm it in time."""
        state = _state(request)
        tender = await _tender(session, organisation_id, tender_id, lock=True)
        started = await opening.start(
            session,
            tender=tender,
            by=principal_of(request),
            now=state.clock.now(),
            window=timedelta(minutes=state.settings.bids.opening_window_minutes),
        )
        view = await opening.opening_view(session, started)
        assert view is not None
        return view

    @post(
        "/confirmation",
        operation_id="tender_opening_confirm",
        status_code=200,
        guards=[officers],
        opt=AUDITED,
    )
    async def confirm(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> OpeningView:
        """A second, different officer confirms: the bids are opened and the minutes are
        written (409 ``opening-refused``: not started, ran out, or the same officer)."""
        state = _state(request)
        tender = await _tender(session, organisation_id, tender_id, lock=True)
        confirmed = await opening.confirm(
            session, tender=tender, by=principal_of(request), now=state.clock.now()
        )
        view = await opening.opening_view(session, confirmed)
        assert view is not None
        return view

    @get(
        "/minutes",
        operation_id="tender_opening_minutes",
        media_type="application/pdf",
        guards=[readers],
        opt=AUDITED,
    )
    async def minutes(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The sealed opening minutes (409 ``opening-refused`` while they are being written)."""
        tender = await _tender(session, organisation_id, tender_id)
        opening.require_opened(tender)
        row = await session.get(Opening, tender.id)
        if row is None or row.minutes_pdf is None:
            raise OpeningRefused(
                "The minutes are being written and sealed; try again in a few seconds.",
                reason="minutes-not-ready",
            )
        state = _state(request)
        key = await vault.data_key(
            session,
            vault.kek_from_settings(state.settings),
            tender.id,
            now=state.clock.now(),
            create=False,
        )
        assert key is not None
        pdf = vault.open_sealed(key, row.minutes_pdf, vault.minutes_context(tender.id))
        principal = principal_of(request)
        await record(
            session,
            now=state.clock.now(),
            action="tender.minutes_read",
            object_type="tender",
            object_id=str(tender.id),
            actor_user_id=principal.user_id,
            organisation_id=tender.authority_id,
        )
        return attachment(pdf, f"{tender.number}-Niederschrift.pdf", "application/pdf")


ROUTES = (TenderBids, TenderOpening)
