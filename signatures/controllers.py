"""The public "check a signature" API: upload (202 + status URL), status, report downloads.

Anyone may check a document; the check's random id is what lets its uploader — and only who
holds the id — read the result, so nothing lists checks. Uploads are throttled per client
address. :func:`routes` sets the request body limit from the settings.
"""

from __future__ import annotations

__all__ = ["THROTTLE", "SignatureCheckController", "routes", "upload_body_limit"]

from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath
from litestar.types import ControllerRouterHandler

from infra.errors import PROBLEM_MEDIA_TYPE, Problem
from infra.http import DbSession
from infra.identity.guards import public
from infra.settings import Settings
from signatures import service
from signatures.models import CheckStatus
from signatures.schemas_api import CheckAccepted, CheckUpload, CheckView

Req = Request[Any, Any, Any]
MULTIPART = ("multipart/form-data",)
THROTTLE = RateLimitConfig(
    rate_limit=("minute", 20), store="signature_checks", set_rate_limit_headers=False
)
"""Uploads per client address and minute (API and page together)."""
NO_STORE = {"cache-control": "no-store"}


def _problems(**described: str) -> dict[int, ResponseSpec]:
    return {
        int(status[1:]): ResponseSpec(
            data_container=Problem, description=text, media_type=PROBLEM_MEDIA_TYPE
        )
        for status, text in described.items()
    }


NOT_FOUND = _problems(s404="No such check (checks are purged after a day)")
NOT_FINISHED = {
    **NOT_FOUND,
    **_problems(s409="The check is pending, or failed because the input was unreadable"),
}


async def _finished(session: DbSession, check_id: str) -> Any:
    check = await service.get_check(session, check_id)
    if check.status != CheckStatus.DONE:
        raise service.CheckNotFinished("The check has no report: it is pending or failed.")
    return check


class SignatureCheckController(Controller):
    path = service.API_PATH
    tags = ["signatures"]

    @post(
        "",
        guards=[public],
        operation_id="signature_check_create",
        status_code=202,
        opt={"accepts": MULTIPART},
        middleware=[THROTTLE.middleware],
        responses=_problems(
            s400="Malformed multipart body",
            s413="A file is over the size limit (code document-too-large)",
            s415="Not sent as multipart/form-data",
            s422="Not a PDF, empty, or the form lacks `document` (code unreadable-document)",
            s429="Too many uploads from this client; try again in a minute",
        ),
    )
    async def create(
        self,
        request: Req,
        session: DbSession,
        data: Annotated[CheckUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[CheckAccepted]:
        """Check the signatures of a PDF, or of a file and its detached ``.p7s`` signature.

        The file is stored and queued; poll the status URL (``Location``) for the verdict.
        A file that is not a PDF is refused at once (422 ``unreadable-document``), one over the
        size limit with 413 ``document-too-large``. Uploads are limited per client and minute.
        """
        state = request.app.state
        check = await service.create_check(
            session,
            files=service.CheckFiles(state.settings.storage.root),
            document=data.document.file,
            signature=data.signature.file if data.signature is not None else None,
            limit=state.settings.signatures.max_document_bytes,
            now=state.clock.now(),
        )
        url = f"{service.API_PATH}/{check.id}"
        return Response(
            CheckAccepted(id=check.id, status="pending", status_url=url),
            status_code=202,
            headers={"location": url, **NO_STORE},
        )

    @get(
        "/{check_id:str}",
        guards=[public],
        operation_id="signature_check_get",
        responses=NOT_FOUND,
    )
    async def read(self, session: DbSession, check_id: FromPath[str]) -> Response[CheckView]:
        """The state of a check: pending, done with its report, or failed with the reason."""
        view = service.check_view(await service.get_check(session, check_id))
        return Response(view, headers=NO_STORE)

    @get(
        "/{check_id:str}/report.json",
        guards=[public],
        operation_id="signature_check_report_json",
        media_type="application/json",
        responses=NOT_FINISHED,
    )
    async def report_json(self, session: DbSession, check_id: FromPath[str]) -> Response[bytes]:
        """The JSON report (the ``report`` of the check) as a download."""
        check = await _finished(session, check_id)
        return Response(
            (check.report or "").encode(),
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="signaturpruefung-{check.id}.json"',
                **NO_STORE,
            },
        )

    @get(
        "/{check_id:str}/report.xml",
        guards=[public],
        operation_id="signature_check_report_xml",
        media_type="application/xml",
        responses=NOT_FINISHED,
    )
    async def report_xml(self, session: DbSession, check_id: FromPath[str]) -> Response[bytes]:
        """The ETSI TS 119 102-2 validation report (XML) as a download."""
        check = await _finished(session, check_id)
        return Response(
            check.etsi_report or b"",
            media_type="application/xml",
            headers={
                "content-disposition": f'attachment; filename="signaturpruefung-{check.id}.xml"',
                **NO_STORE,
            },
        )


def upload_body_limit(settings: Settings) -> int:
    """Largest request body of an upload: a document, a signature and the form around them."""
    return 2 * settings.signatures.max_document_bytes + 64 * 1024


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The API routes, with the request body limit the settings allow."""
    return [
        Router(
            path="/",
            route_handlers=[SignatureCheckController],
            request_max_body_size=upload_body_limit(settings),
        )
    ]
