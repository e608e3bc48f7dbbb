"""The tender API of an authority's officers: drafts, documents, the publication checklist and
publishing; and the public reading of a published tender with its documents."""

from __future__ import annotations

__all__ = ["AuthorityTenders", "PublicTenders", "routes"]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import File
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity.guards import member_of, person, principal_of, public
from infra.identity.models import Role
from infra.settings import Settings
from procurement.errors import TenderNotFound
from procurement.tenders import authoring, publication
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.controllers_search import TenderSearch
from procurement.tenders.downloads import open_document
from procurement.tenders.models import PUBLIC_STATUSES
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import (
    DocumentView,
    DraftUpdate,
    PublicationCheck,
    Publish,
    TenderContent,
    TenderSummary,
    TenderView,
)
from signatures.controllers import MULTIPART, upload_body_limit

Req = Request[Any, Any, Any]
NO_STORE = {"cache-control": "no-store"}
officers = member_of(Role.OFFICER)
"""Officers of the authority in the path, in person."""


class DocumentUpload(msgspec.Struct, kw_only=True):
    """The multipart form of one tender document."""

    document: UploadFile
    title: str = ""
    replaces: uuid.UUID | None = None
    """The key of a document this is the next version of."""


def _state(request: Req) -> Any:
    return request.app.state


def _summary(tender: Any, authority_name: str) -> TenderSummary:
    return TenderSummary(
        id=tender.id,
        number=tender.number,
        title=tender.title,
        authority_name=authority_name,
        procedure=tender.procedure,
        contract_kind=tender.contract_kind,
        regime=tender.regime,
        cpv_codes=msgspec.json.decode(tender.cpv_codes, type=list[str]),
        nuts_code=tender.nuts_code,
        status=tender.status,
        published_at=tender.published_at,
        submission_deadline=tender.submission_deadline,
    )


class AuthorityTenders(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tenders"
    tags = ("tenders",)
    guards = (officers,)

    @post("", operation_id="tender_create", status_code=201)
    async def create(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[TenderContent],
    ) -> TenderView:
        """Start a draft (422 ``invalid-tender`` lists each broken rule with its field)."""
        state = _state(request)
        now = state.clock.now()
        tender = await authoring.create_draft(
            session,
            profile=state.settings.profile,
            authority_id=organisation_id,
            content=data,
            by=principal_of(request),
            now=now,
        )
        return await authoring.tender_view(session, state.settings.profile, tender, now)

    @get("", operation_id="tender_list_own")
    async def list_own(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> Response[list[TenderSummary]]:
        """The authority's tenders, drafts included, newest first."""
        repo = TenderRepository(session)
        name = await repo.authority_name(organisation_id)
        tenders = await repo.tenders_of(organisation_id)
        return Response([_summary(t, name) for t in tenders], headers=NO_STORE)

    @get("/{tender_id:uuid}", operation_id="tender_get_own")
    async def read(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[TenderView]:
        """A tender of the authority, in any state."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id)
        view = await authoring.tender_view(
            session, state.settings.profile, tender, state.clock.now()
        )
        return Response(view, headers=NO_STORE)

    @put("/{tender_id:uuid}", operation_id="tender_update_draft")
    async def update(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[DraftUpdate],
    ) -> TenderView:
        """Replace the content of a draft, with the version you saw (409 ``tender-changed``
        otherwise; 409 ``wrong-tender-state`` once published: change it by amendment)."""
        state = _state(request)
        now = state.clock.now()
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        await authoring.update_draft(
            session,
            profile=state.settings.profile,
            tender=tender,
            version=data.version,
            content=data.content,
            by=principal_of(request),
            now=now,
        )
        return await authoring.tender_view(session, state.settings.profile, tender, now)

    @post(
        "/{tender_id:uuid}/documents",
        operation_id="tender_document_add",
        status_code=201,
        opt={"accepts": MULTIPART},
    )
    async def add_document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: Annotated[DocumentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> DocumentView:
        """Add a document to a draft, or its next version (``replaces``: the document's key);
        stored with its SHA-256."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        document = await authoring.add_document(
            session,
            files=DocumentFiles(state.settings.storage.root),
            tender=tender,
            title=data.title[:200],
            filename=(data.document.filename or "dokument")[:255],
            media_type=(data.document.content_type or "application/octet-stream")[:100],
            stream=data.document.file,
            limit=state.settings.signatures.max_document_bytes,
            replaces=data.replaces,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return authoring.document_view(document)

    @delete(
        "/{tender_id:uuid}/documents/{document_id:uuid}",
        operation_id="tender_document_remove",
        status_code=204,
    )
    async def remove_document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> None:
        """Remove a document from a draft."""
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        await authoring.remove_document(
            session,
            tender=tender,
            document_id=document_id,
            by=principal_of(request),
            now=_state(request).clock.now(),
        )

    @get("/{tender_id:uuid}/publication-check", operation_id="tender_publication_check")
    async def check(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
    ) -> Response[PublicationCheck]:
        """The legal checks as if the draft were published now: regime, completeness and the
        minimum periods (each with its legal basis; a failed one refuses or warns)."""
        state = _state(request)
        tender = await authoring.get_tender_of(session, organisation_id, tender_id)
        result = await publication.publication_check(
            session, state.settings.profile, tender, state.clock.now()
        )
        return Response(result, headers=NO_STORE)

    @post("/{tender_id:uuid}/publish", operation_id="tender_publish", status_code=200)
    async def publish(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        data: JSONBody[Publish],
    ) -> TenderView:
        """Publish the draft (422 ``publication-refused`` lists the refusing checks); a second
        call changes nothing."""
        state = _state(request)
        now = state.clock.now()
        tender = await authoring.get_tender_of(session, organisation_id, tender_id, for_update=True)
        await publication.publish(
            session,
            profile=state.settings.profile,
            tender=tender,
            version=data.version,
            by=principal_of(request),
            now=now,
        )
        return await authoring.tender_view(session, state.settings.profile, tender, now)

    @get(
        "/{tender_id:uuid}/documents/{document_id:uuid}",
        operation_id="tender_document_get_own",
        media_type="application/octet-stream",
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        tender_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> File:
        """A document of the authority's tender, in any state."""
        tender = await authoring.get_tender_of(session, organisation_id, tender_id)
        return await open_document(
            session,
            DocumentFiles(_state(request).settings.storage.root),
            tender,
            document_id,
            reader=None,
            now=_state(request).clock.now(),
        )


async def _published(session: DbSession, tender_id: uuid.UUID) -> Any:
    tender = await TenderRepository(session).tender(tender_id)
    if tender is None or tender.status not in PUBLIC_STATUSES or tender.published_at is None:
        raise TenderNotFound("There is no such tender.")
    return tender


class PublicTenders(Controller):
    path = "/api/v1/tenders"
    tags = ("tenders",)

    @get("/{tender_id:uuid}", operation_id="tender_get", guards=[public])
    async def read(
        self, request: Req, session: DbSession, tender_id: FromPath[uuid.UUID]
    ) -> TenderView:
        """A published tender (drafts are nobody's business but their authority's)."""
        state = _state(request)
        tender = await _published(session, tender_id)
        return await authoring.tender_view(
            session, state.settings.profile, tender, state.clock.now()
        )

    @get(
        "/{tender_id:uuid}/documents/{document_id:uuid}",
        operation_id="tender_document_get",
        media_type="application/octet-stream",
        guards=[person],
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        tender_id: FromPath[uuid.UUID],
        document_id: FromPath[uuid.UUID],
    ) -> File:
        """A document of a published tender, for registered people (logged in, in person): the
        platform notes which company downloaded it, so that it hears of amendments and
        answers."""
        tender = await _published(session, tender_id)
        return await open_document(
            session,
            DocumentFiles(_state(request).settings.storage.root),
            tender,
            document_id,
            reader=principal_of(request),
            now=_state(request).clock.now(),
        )


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The tender API; document uploads get the body limit of documents."""
    from procurement.tenders import controllers_clarifications

    return [
        *controllers_clarifications.routes(settings),
        PublicTenders,
        TenderSearch,
        Router(
            path="/",
            route_handlers=[AuthorityTenders],
            request_max_body_size=upload_body_limit(settings),
        ),
    ]
