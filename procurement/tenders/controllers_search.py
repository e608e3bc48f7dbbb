"""The public search API of tenders and the Atom feed of new ones."""

from __future__ import annotations

__all__ = ["TenderSearch"]

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from infra.http import DbSession
from infra.identity.guards import public
from procurement.tenders import feed
from procurement.tenders.schemas import ProcedureType, TenderKind
from procurement.tenders.search import MAX_CURSOR, MAX_TEXT, SearchPage, TenderQuery
from procurement.tenders.search import search_tenders as run_search

Req = Request[Any, Any, Any]
CACHE = {"cache-control": "public, max-age=60"}
FEED_SIZE = 50
FEED_TITLE = {"de": "Ausschreibungen", "en": "Tenders"}


class TenderSearch(Controller):
    path = "/api/v1/tenders"
    tags = ("tenders",)

    @get("", operation_id="tender_search", guards=[public])
    async def search(
        self,
        request: Req,
        session: DbSession,
        *,
        text: Annotated[str | None, QueryParameter(max_length=MAX_TEXT)] = None,
        cpv: Annotated[str | None, QueryParameter(max_length=12)] = None,
        nuts: Annotated[str | None, QueryParameter(max_length=5)] = None,
        procedure: Annotated[ProcedureType | None, QueryParameter()] = None,
        contract_kind: Annotated[TenderKind | None, QueryParameter()] = None,
        deadline_from: Annotated[datetime | None, QueryParameter()] = None,
        deadline_to: Annotated[datetime | None, QueryParameter()] = None,
        status: Annotated[Literal["open", "all"], QueryParameter()] = "open",
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Response[SearchPage]:
        """Published tenders, newest publication first: full text over title and description
        (every word; ``or`` between two words: either), CPV code or prefix (also the lots'
        codes), NUTS prefix, procedure, kind of contract and submission deadline range
        (RFC 3339 with offset); ``status=open`` (default) only those still open for bids.
        Pass ``next_cursor`` as ``cursor`` for the next page."""
        query = TenderQuery(
            text=text,
            cpv=cpv,
            nuts=nuts,
            procedure=procedure,
            contract_kind=contract_kind,
            deadline_from=deadline_from,
            deadline_to=deadline_to,
            status=status,
            cursor=cursor,
            limit=limit,
        )
        page = await run_search(session, query=query, now=request.app.state.clock.now())
        return Response(page, headers=CACHE)

    @get(
        "/feed.atom",
        operation_id="tender_feed",
        guards=[public],
        media_type="application/atom+xml",
    )
    async def feed(self, request: Req, session: DbSession) -> Response[bytes]:
        """An Atom feed (RFC 4287) of the tenders published last."""
        state = request.app.state
        settings = state.settings
        instance = settings.profile.instance
        language = instance.languages[0]
        document = feed.atom_feed(
            await feed.feed_entries(session, limit=FEED_SIZE),
            base_url=settings.public_url,
            title=f"{FEED_TITLE.get(language, FEED_TITLE['de'])} – {instance.name[language]}",
            now=state.clock.now(),
            language=language,
        )
        return Response(document, media_type="application/atom+xml", headers=CACHE)
