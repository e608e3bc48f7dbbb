"""The public side of pre-qualification: register search, ``/verify``, sealed documents, the
evidence catalogue; and the authorities' question "was X pre-qualified for Y at T".
"""

from __future__ import annotations

__all__ = ["ROUTES", "Catalogue", "CertificateDocuments", "Register", "verify"]


import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType
from litestar.params import FromPath, QueryParameter
from litestar.types import ControllerRouterHandler

from infra.db.engine import reading
from infra.http import DbSession
from infra.identity.guards import public
from prequalification import pages_register, register
from prequalification.errors import (
    CertificateNotFound,
    DocumentsNotSealed,
    WrongState,
)
from prequalification.guards import authority_member

Req = Request[Any, Any, Any]
Category = Literal["works", "supplies", "services"]
CertStatus = Literal["valid", "suspended", "expired", "revoked"]
Verification = register.Verification
NO_STORE = {"cache-control": "no-store"}
_NEGOTIATED = [MediaType.JSON.value, MediaType.HTML.value]


def _state(request: Req) -> Any:
    return request.app.state


class CertificateDocuments(Controller):
    path = "/api/v1/prequalification/certificates/{number:str}"
    tags = ("prequalification",)

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
        certificate = await register.certificate_by_number(session, number)
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
    tags = ("prequalification",)

    @get("/register", guards=[public], operation_id="pq_register_search")
    async def search(
        self,
        request: Req,
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
        async with reading(state.engine) as connection:
            return await register.search(
                connection,
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
    number: FromPath[str],
    at: Annotated[datetime | None, QueryParameter()] = None,
) -> Response[register.Verification]:
    """Verify a certificate: its status now and, with ``at`` (ISO 8601 with offset), then.

    A browser (``Accept`` preferring ``text/html``) gets the verification page instead. The
    answer is one statement on a bare connection without a transaction around it: this is the
    busiest public read (a certificate's QR code leads here).
    """
    if at is not None and at.tzinfo is None:
        raise WrongState("Give the time with its offset (ISO 8601), e.g. 2026-03-27T12:00:00Z.")
    state = _state(request)
    async with reading(state.engine) as connection:
        if request.accept.best_match(_NEGOTIATED, default=MediaType.JSON) == MediaType.HTML:
            shown = await pages_register.verify_page(request, connection, number, at=at)
            shown.headers["vary"] = "Accept, Accept-Language, Cookie"
            # A Template is a Response; the annotation documents the JSON answer of the API.
            return cast("Response[register.Verification]", shown)
        verification = await register.verify(
            connection,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            number=number[:40],
            now=state.clock.now(),
            at=at,
        )
    return Response(verification, headers={"vary": "Accept"})


class Catalogue(Controller):
    path = "/api/v1/prequalification/catalogue"
    tags = ("prequalification",)

    @get("", guards=[public], operation_id="pq_catalogue")
    async def catalogue(self, request: Req) -> Any:
        """The evidence types of this instance (names, legal basis, validity, signature rule)."""
        return _state(request).settings.profile.prequalification.evidence


ROUTES: list[ControllerRouterHandler] = [CertificateDocuments, Register, verify, Catalogue]
