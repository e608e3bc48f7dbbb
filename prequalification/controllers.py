"""The company's pre-qualification API: its applications, evidence, self-declaration, submission.

Routes live under ``/api/v1/organisations/{organisation_id}/pq-applications`` and admit only that
company's people (another company's ids answer 404). :func:`routes` composes all pre-qualification
API routes: these, the office's (:mod:`prequalification.controllers_office`) and the public
register's (:mod:`prequalification.controllers_register`).
"""

from __future__ import annotations

__all__ = ["ROUTES", "CompanyApplications", "routes"]


import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, Router, delete, get, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity.guards import principal_of
from infra.settings import Settings
from prequalification import (
    applications,
    controllers_office,
    controllers_register,
    register,
)
from prequalification.applications import EvidenceFiles
from prequalification.controllers_office import evidence_document
from prequalification.errors import (
    WrongState,
)
from prequalification.guards import company_people
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import (
    ApplicationCreate,
    ApplicationSummary,
    ApplicationView,
    DeclarationView,
    EspdUpload,
    EvidenceUpload,
    EvidenceView,
)
from signatures.controllers import MULTIPART, upload_body_limit

Req = Request[Any, Any, Any]
Category = Literal["works", "supplies", "services"]
CertStatus = Literal["valid", "suspended", "expired", "revoked"]
Verification = register.Verification
NO_STORE = {"cache-control": "no-store"}


def _state(request: Req) -> Any:
    return request.app.state


class CompanyApplications(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/pq-applications"
    tags = ["prequalification"]
    guards = [company_people]

    @post("", operation_id="pq_application_create", status_code=201)
    async def create(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[ApplicationCreate],
    ) -> ApplicationView:
        """Start an application for categories and CPV divisions (one open one per scope)."""
        state = _state(request)
        repo = PrequalificationRepository(session)
        organisation = await repo.organisation(organisation_id)
        if organisation is None or organisation.kind != "supplier":
            raise WrongState("Only companies (suppliers) apply for pre-qualification.")
        now = state.clock.now()
        application = await applications.create_application(
            session,
            profile=state.settings.profile,
            organisation_id=organisation_id,
            data=data,
            by=principal_of(request),
            now=now,
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )

    @get("", operation_id="pq_application_list")
    async def list_applications(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> list[ApplicationSummary]:
        """The company's applications, newest first."""
        rows = await PrequalificationRepository(session).applications_of(organisation_id)
        return [
            ApplicationSummary(
                id=row.id,
                status=row.status,
                categories=applications._scope(row)[0],
                created_at=row.created_at,
                submitted_at=row.submitted_at,
            )
            for row in rows
        ]

    @get("/{application_id:uuid}", operation_id="pq_application_get")
    async def read(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
    ) -> Response[ApplicationView]:
        """The application with its evidence, self-declaration and the checklist."""
        state = _state(request)
        application = await applications.get_own_application(
            session, organisation_id, application_id
        )
        view = await applications.application_view(
            session, state.settings.profile, application, state.clock.now()
        )
        return Response(view, headers=NO_STORE)

    @post(
        "/{application_id:uuid}/evidence",
        operation_id="pq_evidence_upload",
        status_code=202,
        opt={"accepts": MULTIPART},
    )
    async def upload(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        data: Annotated[EvidenceUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EvidenceView:
        """Upload one PDF of evidence; its signatures are checked within seconds (poll the
        application). Refused at once: a non-PDF (422 ``unreadable-document``), an expired
        item or one lacking its stated expiry (422 ``evidence-refused``), a file over the limit
        (413)."""
        state = _state(request)
        application = await applications.get_own_application(
            session, organisation_id, application_id, for_update=True
        )
        evidence = await applications.upload_evidence(
            session,
            profile=state.settings.profile,
            files=EvidenceFiles(state.settings.storage.root),
            application=application,
            type_code=data.type_code,
            issued_on=data.issued_on,
            stated_expiry=data.stated_expiry,
            filename=data.document.filename or "dokument.pdf",
            document=data.document.file,
            limit=state.settings.signatures.max_document_bytes,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return applications.evidence_view(evidence)

    @delete(
        "/{application_id:uuid}/evidence/{evidence_id:uuid}",
        operation_id="pq_evidence_withdraw",
        status_code=204,
    )
    async def withdraw(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
    ) -> None:
        """Withdraw an upload while the application is a draft or changes were requested."""
        application = await applications.get_own_application(
            session, organisation_id, application_id, for_update=True
        )
        await applications.remove_evidence(
            session,
            application=application,
            evidence_id=evidence_id,
            by=principal_of(request),
            now=_state(request).clock.now(),
        )

    @get(
        "/{application_id:uuid}/evidence/{evidence_id:uuid}/document",
        operation_id="pq_evidence_document",
        media_type="application/pdf",
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The uploaded PDF."""
        application = await applications.get_own_application(
            session, organisation_id, application_id
        )
        return await evidence_document(request, session, application.id, evidence_id)

    @put(
        "/{application_id:uuid}/self-declaration",
        operation_id="pq_declaration_put",
    )
    async def declare(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        data: JSONBody[Any],
    ) -> DeclarationView:
        """Answer every exclusion ground (§§ 123, 124 GWB); assessed at once as ``pass``,
        ``fail`` or ``discretionary`` (the latter two always go to an officer)."""
        from prequalification import exclusion

        state = _state(request)
        declaration = exclusion.decode_declaration(data)
        application = await applications.get_own_application(
            session, organisation_id, application_id, for_update=True
        )
        row = await applications.declare(
            session,
            profile=state.settings.profile,
            application=application,
            declaration=declaration,
            source="form",
            sme_size=None,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return applications.declaration_view(row)

    @post(
        "/{application_id:uuid}/self-declaration/espd",
        operation_id="pq_declaration_espd",
        status_code=200,
        opt={"accepts": MULTIPART},
    )
    async def import_espd(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        data: Annotated[EspdUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> DeclarationView:
        """Take the self-declaration over from an ESPD response (XML, ESPD-EDM 4.1.0).

        The file is checked against the ESPD schema (422 ``invalid-espd`` with line and column
        of each error); its answers are mapped onto the exclusion grounds and the SME size is
        taken over. Grounds the ESPD does not answer make it 422 ``incomplete-declaration``,
        listing them in ``missing`` beside the ``answers`` that were mapped, so that the form
        can be completed with them; nothing is stored then.
        """
        from prequalification import espd, exclusion

        state = _state(request)
        application = await applications.get_own_application(
            session, organisation_id, application_id, for_update=True
        )
        raw = await data.document.read(espd.MAX_ESPD_BYTES + 1)
        imported = espd.parse_espd_response(raw)
        if imported.missing:
            raise exclusion.IncompleteDeclaration(missing=imported.missing).with_answers(
                imported.answers, imported.sme_size
            )
        row = await applications.declare(
            session,
            profile=state.settings.profile,
            application=application,
            declaration=exclusion.SelfDeclaration(answers=imported.answers),
            source="espd",
            sme_size=imported.sme_size,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return applications.declaration_view(row)

    @post("/{application_id:uuid}/submit", operation_id="pq_application_submit", status_code=200)
    async def submit(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationView:
        """Submit (or resubmit after a change request); refused while mandatory items miss."""
        state = _state(request)
        application = await applications.get_own_application(
            session, organisation_id, application_id, for_update=True
        )
        now = state.clock.now()
        await applications.submit(
            session,
            profile=state.settings.profile,
            application=application,
            by=principal_of(request),
            now=now,
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )


ROUTES: list[ControllerRouterHandler] = [
    *controllers_office.ROUTES,
    *controllers_register.ROUTES,
]


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The API routes; evidence uploads get the body limit of signed documents."""
    return [
        *ROUTES,
        Router(
            path="/",
            route_handlers=[CompanyApplications],
            request_max_body_size=upload_body_limit(settings),
        ),
    ]
