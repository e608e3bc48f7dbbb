"""The office's pre-qualification API: the queue, decisions, approval, revocation, designation.

Routes under ``/api/v1/prequalification`` admit officers of an authority (guard); the review
service then requires a designated office and refuses officers of the applying company.
"""

from __future__ import annotations

__all__ = [
    "ROUTES",
    "CertificateRevocation",
    "OfficeAdmin",
    "OfficeReview",
    "RevocationRequest",
    "evidence_document",
]


import uuid
from datetime import date
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from infra.audit.service import record
from infra.http import DbSession
from infra.identity.guards import platform_admin, principal_of
from prequalification import applications, lifecycle, register, review
from prequalification.applications import EvidenceFiles
from prequalification.errors import (
    EvidenceNotFound,
    OwnOrganisation,
    WrongState,
)
from prequalification.guards import authority_officer
from prequalification.models import PrequalificationOffice
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import (
    ApplicationView,
    ChangeRequest,
    Decision,
    EvidenceDecision,
    QueueEntry,
    ReasonText,
    Rejection,
)

Req = Request[Any, Any, Any]
Category = Literal["works", "supplies", "services"]
CertStatus = Literal["valid", "suspended", "expired", "revoked"]
Verification = register.Verification
NO_STORE = {"cache-control": "no-store"}


def _state(request: Req) -> Any:
    return request.app.state


async def evidence_document(
    request: Req, session: DbSession, application_id: uuid.UUID, evidence_id: uuid.UUID
) -> Response[bytes]:
    """An uploaded PDF of an application, each read audited."""
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
    tags = ("prequalification",)
    guards = (authority_officer,)

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
        return await evidence_document(request, session, application.id, evidence_id)

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
            version=data.version,
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
            version=data.version,
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


class CertificateRevocation(Controller):
    path = "/api/v1/prequalification/certificates/{number:str}"
    tags = ("prequalification",)

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
        certificate = await register.certificate_by_number(session, number)
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


class OfficeAdmin(Controller):
    path = "/api/v1/admin/prequalification-offices"
    tags = ("admin",)

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


ROUTES: list[ControllerRouterHandler] = [OfficeReview, CertificateRevocation, OfficeAdmin]
