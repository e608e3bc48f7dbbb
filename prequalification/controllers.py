"""The pre-qualification JSON API: the company's application, and the office's review.

Company routes live under ``/api/v1/organisations/{organisation_id}/pq-applications`` and admit
only that company's people (another company's ids answer 404). Office routes live under
``/api/v1/prequalification`` and admit officers of a designated office who do not belong to the
applying company. Evidence uploads are multipart; everything else is JSON.
"""

from __future__ import annotations

__all__ = ["ROUTES", "routes"]

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, Router, delete, get, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler
from sqlalchemy import select

from infra.audit.service import record
from infra.http import DbSession
from infra.identity.guards import platform_admin, principal_of, public
from infra.settings import Settings
from prequalification import applications, lifecycle, register, review
from prequalification.applications import EvidenceFiles
from prequalification.errors import (
    CertificateNotFound,
    DocumentsNotSealed,
    EvidenceNotFound,
    OwnOrganisation,
    WrongState,
)
from prequalification.guards import authority_member, authority_officer, company_people
from prequalification.models import Certificate, PrequalificationOffice
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import (
    ApplicationCreate,
    ApplicationSummary,
    ApplicationView,
    ChangeRequest,
    Decision,
    DeclarationView,
    EspdUpload,
    EvidenceDecision,
    EvidenceUpload,
    EvidenceView,
    QueueEntry,
    ReasonText,
    Rejection,
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
        return await _document(request, session, application.id, evidence_id)

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


async def _document(
    request: Req, session: DbSession, application_id: uuid.UUID, evidence_id: uuid.UUID
) -> Response[bytes]:
    evidence = await PrequalificationRepository(session).evidence(evidence_id)
    if evidence is None or evidence.application_id != application_id:
        raise EvidenceNotFound("There is no such piece of evidence in this application.")
    path = EvidenceFiles(_state(request).settings.storage.root).path(evidence_id)
    principal = principal_of(request)
    await record(
        session,
        now=_state(request).clock.now(),
        action="pq_evidence.read",
        object_type="pq_evidence",
        object_id=str(evidence_id),
        actor_user_id=principal.user_id,
        organisation_id=evidence.organisation_id,
    )
    return Response(
        path.read_bytes(),
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{evidence_id}.pdf"',
            **NO_STORE,
        },
    )


class OfficeReview(Controller):
    path = "/api/v1/prequalification"
    tags = ["prequalification"]
    guards = [authority_officer]

    async def _application(
        self, request: Req, session: DbSession, application_id: uuid.UUID, *, lock: bool
    ) -> Any:
        await review.office_of(session, principal_of(request))
        application = await applications.get_application(session, application_id, for_update=lock)
        review._not_own(principal_of(request), application)
        return application

    @get("/queue", operation_id="pq_queue")
    async def queue(self, request: Req, session: DbSession) -> list[QueueEntry]:
        """Submitted applications and those in review, oldest first, with their age in days."""
        await review.office_of(session, principal_of(request))
        return await review.queue(session, _state(request).clock.now())

    @get("/applications/{application_id:uuid}", operation_id="pq_review_get")
    async def read(
        self, request: Req, session: DbSession, application_id: FromPath[uuid.UUID]
    ) -> Response[ApplicationView]:
        """An application as the office sees it."""
        state = _state(request)
        application = await self._application(request, session, application_id, lock=False)
        view = await applications.application_view(
            session, state.settings.profile, application, state.clock.now()
        )
        return Response(view, headers=NO_STORE)

    @get(
        "/applications/{application_id:uuid}/evidence/{evidence_id:uuid}/document",
        operation_id="pq_review_evidence_document",
        media_type="application/pdf",
    )
    async def document(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """An uploaded PDF (each read is audited)."""
        application = await self._application(request, session, application_id, lock=False)
        return await _document(request, session, application.id, evidence_id)

    @post(
        "/applications/{application_id:uuid}/review",
        operation_id="pq_review_start",
        status_code=200,
    )
    async def start(
        self, request: Req, session: DbSession, application_id: FromPath[uuid.UUID]
    ) -> ApplicationView:
        """Take a submitted application into review."""
        state = _state(request)
        application = await self._application(request, session, application_id, lock=True)
        now = state.clock.now()
        await review.start_review(
            session, application=application, by=principal_of(request), now=now
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )

    @post(
        "/applications/{application_id:uuid}/evidence/{evidence_id:uuid}/decision",
        operation_id="pq_review_evidence_decide",
        status_code=204,
    )
    async def decide_evidence(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
        data: JSONBody[EvidenceDecision],
    ) -> None:
        """Accept or reject one item, with the reason the company will read."""
        application = await self._application(request, session, application_id, lock=True)
        await review.decide_evidence(
            session,
            profile=_state(request).settings.profile,
            application=application,
            evidence_id=evidence_id,
            accept=data.decision == "accept",
            reason=data.reason,
            by=principal_of(request),
            now=_state(request).clock.now(),
        )

    @post(
        "/applications/{application_id:uuid}/self-declaration/decision",
        operation_id="pq_review_declaration_decide",
        status_code=204,
    )
    async def decide_declaration(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[EvidenceDecision],
    ) -> None:
        """Accept or reject the self-declaration (needed when it was not assessed ``pass``)."""
        application = await self._application(request, session, application_id, lock=True)
        await review.decide_declaration(
            session,
            application=application,
            accept=data.decision == "accept",
            reason=data.reason,
            by=principal_of(request),
            now=_state(request).clock.now(),
        )

    @post(
        "/applications/{application_id:uuid}/request-changes",
        operation_id="pq_review_request_changes",
        status_code=200,
    )
    async def request_changes(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[ChangeRequest],
    ) -> ApplicationView:
        """Send the application back; the company gets a mail listing what to fix."""
        state = _state(request)
        application = await self._application(request, session, application_id, lock=True)
        now = state.clock.now()
        await review.request_changes(
            session,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            application=application,
            version=data.version,
            message=data.message,
            by=principal_of(request),
            now=now,
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )

    @post(
        "/applications/{application_id:uuid}/approve",
        operation_id="pq_review_approve",
        status_code=200,
    )
    async def approve(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[Decision],
    ) -> ApplicationView:
        """Approve: the certificate is issued at once, its sealed documents follow shortly."""
        state = _state(request)
        application = await self._application(request, session, application_id, lock=True)
        now = state.clock.now()
        await review.approve(
            session,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            application=application,
            version=data.version,
            by=principal_of(request),
            now=now,
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )

    @post(
        "/applications/{application_id:uuid}/reject",
        operation_id="pq_review_reject",
        status_code=200,
    )
    async def reject(
        self,
        request: Req,
        session: DbSession,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[Rejection],
    ) -> ApplicationView:
        """Reject with reasons (mailed to the company)."""
        state = _state(request)
        application = await self._application(request, session, application_id, lock=True)
        now = state.clock.now()
        await review.reject(
            session,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            application=application,
            version=data.version,
            reason=data.reason,
            by=principal_of(request),
            now=now,
        )
        return await applications.application_view(
            session, state.settings.profile, application, now
        )


class RevocationRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    ground: str
    """The exclusion ground (codes as in ``prequalification.exclusion.GROUNDS``)."""
    event_date: date
    """The day of the conviction (§ 123) or of the event (§ 124)."""
    reason: ReasonText
    excluded_until: date | None = None
    """The last day of the exclusion; at most 5 (§ 123) or 3 (§ 124) years from the event, the
    maximum when not given (§ 126 GWB)."""


class Certificates(Controller):
    path = "/api/v1/prequalification/certificates/{number:str}"
    tags = ["prequalification"]

    async def _certificate(self, session: DbSession, number: str) -> Certificate:
        found = (
            await session.scalars(
                select(Certificate).where(Certificate.number == number.strip().upper())
            )
        ).first()
        if found is None:
            raise CertificateNotFound("There is no certificate with this number.")
        return found

    @post(
        "/revoke",
        guards=[authority_officer],
        operation_id="pq_certificate_revoke",
        status_code=200,
    )
    async def revoke(
        self,
        request: Req,
        session: DbSession,
        number: FromPath[str],
        data: JSONBody[RevocationRequest],
    ) -> Verification:
        """Revoke for an exclusion ground with the exclusion period (office officers)."""
        state = _state(request)
        principal = principal_of(request)
        await review.office_of(session, principal)
        certificate = await self._certificate(session, number)
        if principal.role_in(certificate.organisation_id) is not None:
            raise OwnOrganisation("You belong to this company; another officer must decide.")
        now = state.clock.now()
        await lifecycle.revoke(
            session,
            profile=state.settings.profile,
            certificate=certificate,
            ground=data.ground,
            event_date=data.event_date,
            excluded_until=data.excluded_until,
            reason=data.reason,
            by=principal,
            now=now,
        )
        return await register.verify(
            session,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            number=certificate.number,
            now=now,
        )

    @get(
        "/document/{kind:str}",
        guards=[public],
        operation_id="pq_certificate_document",
        media_type="application/octet-stream",
    )
    async def document(
        self, session: DbSession, number: FromPath[str], kind: FromPath[str]
    ) -> Response[bytes]:
        """The sealed certificate: ``pdf``, the machine-readable ``json`` or its seal ``p7s``."""
        certificate = await self._certificate(session, number)
        content = {
            "pdf": (certificate.pdf, "application/pdf"),
            "json": (certificate.document_json, "application/json"),
            "p7s": (certificate.document_signature, "application/pkcs7-signature"),
        }.get(kind)
        if content is None:
            raise CertificateNotFound("Documents are pdf, json and p7s.")
        data, media_type = content
        if data is None:
            raise DocumentsNotSealed("The sealed documents are being made; try again shortly.")
        return Response(
            data,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{certificate.number}.{kind}"'},
        )


class Register(Controller):
    path = "/api/v1/prequalification"
    tags = ["prequalification"]

    @get("/register", guards=[public], operation_id="pq_register_search")
    async def search(
        self,
        request: Req,
        session: DbSession,
        *,
        name: Annotated[str | None, QueryParameter(max_length=200)] = None,
        place: Annotated[str | None, QueryParameter(max_length=100)] = None,
        category: Annotated[Category | None, QueryParameter()] = None,
        cpv: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{2}$")] = None,
        status: Annotated[CertStatus | None, QueryParameter()] = None,
        after: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[register.CertificateEntry]:
        """Search the register by company name, place, category, CPV division and status;
        ordered by number (``after``: the last number of the previous page)."""
        state = _state(request)
        return await register.search(
            session,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            now=state.clock.now(),
            name=name,
            place=place,
            category=category,
            cpv_division=cpv,
            status=status,
            after=after,
            limit=limit,
        )

    @get("/qualification", guards=[authority_member], operation_id="pq_qualification")
    async def qualification(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: Annotated[uuid.UUID, QueryParameter()],
        at: Annotated[datetime, QueryParameter()],
        category: Annotated[Category | None, QueryParameter()] = None,
        cpv: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{2}$")] = None,
    ) -> register.Qualification:
        """Was the company pre-qualified for the scope at ``at`` (authorities)?"""
        if at.tzinfo is None:
            raise WrongState("Give the time with its offset (ISO 8601), e.g. 2026-03-27T12:00:00Z.")
        return await register.qualification_at(
            session,
            profile=_state(request).settings.profile,
            organisation_id=organisation_id,
            at=at,
            category=category,
            cpv_division=cpv,
        )


@get("/verify/{number:str}", guards=[public], operation_id="pq_verify")
async def verify(
    request: Req,
    session: DbSession,
    number: FromPath[str],
    at: Annotated[datetime | None, QueryParameter()] = None,
) -> register.Verification:
    """Verify a certificate: its status now and, with ``at`` (ISO 8601 with offset), then."""
    if at is not None and at.tzinfo is None:
        raise WrongState("Give the time with its offset (ISO 8601), e.g. 2026-03-27T12:00:00Z.")
    state = _state(request)
    return await register.verify(
        session,
        profile=state.settings.profile,
        base_url=state.settings.public_url,
        number=number[:40],
        now=state.clock.now(),
        at=at,
    )


class OfficeAdmin(Controller):
    path = "/api/v1/admin/prequalification-offices"
    tags = ["admin"]

    @put(
        "/{organisation_id:uuid}",
        guards=[platform_admin],
        operation_id="admin_pq_office_designate",
        status_code=204,
    )
    async def designate(
        self, request: Req, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> None:
        """Designate an authority as a pre-qualification office (idempotent)."""
        repo = PrequalificationRepository(session)
        organisation = await repo.organisation(organisation_id)
        if organisation is None or organisation.kind != "authority":
            raise WrongState("Only an authority can be a pre-qualification office.")
        if await repo.is_office(organisation_id):
            return
        now = _state(request).clock.now()
        principal = principal_of(request)
        repo.add(
            PrequalificationOffice(
                organisation_id=organisation_id, designated_at=now, designated_by=principal.user_id
            )
        )
        await record(
            session,
            now=now,
            action="pq_office.designate",
            object_type="organisation",
            object_id=str(organisation_id),
            actor_user_id=principal.user_id,
            organisation_id=organisation_id,
        )


class Catalogue(Controller):
    path = "/api/v1/prequalification/catalogue"
    tags = ["prequalification"]

    @get("", guards=[public], operation_id="pq_catalogue")
    async def catalogue(self, request: Req) -> Any:
        """The evidence types of this instance (names, legal basis, validity, signature rule)."""
        return _state(request).settings.profile.prequalification.evidence


ROUTES: list[ControllerRouterHandler] = [
    OfficeReview,
    OfficeAdmin,
    Catalogue,
    Certificates,
    Register,
    verify,
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
