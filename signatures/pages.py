"""The public page "Signatur prüfen": upload, then watch the result arrive.

``GET /signaturpruefung`` shows the upload form (a PDF, or a file and its detached ``.p7s``);
its POST stores the upload and queues the check like the API, then redirects (303) to
``/signaturpruefung/<id>``. That page shows "being checked" and, with JavaScript, fetches the
fragment ``…/<id>/stand`` every second with htmx until the verdict is there; without JavaScript
a link reloads the page. An unreadable or too large file is shown again as a form error.
"""

from __future__ import annotations

__all__ = ["routes"]

from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity.guards import public
from infra.settings import Settings
from infra.web.forms import Errors
from infra.web.i18n import N_
from infra.web.rendering import page
from signatures import service
from signatures.controllers import MULTIPART, THROTTLE, upload_body_limit
from signatures.errors import UnreadableDocument

Req = Request[Any, Any, Any]
PATH = "/signaturpruefung"
_PAGE: dict[str, Any] = {"include_in_schema": False, "guards": [public]}
_UNREADABLE = {
    "empty": N_("The file is empty."),
    "not-pdf": N_("The file is not a PDF document. Choose a PDF, or add its detached signature."),
}
_CHOOSE = N_("Choose the file to check.")
_TOO_LARGE = N_("The file is larger than allowed.")


def _form(request: Req, *, errors: Errors | None = None, status_code: int = 200) -> Template:
    limit = request.app.state.settings.signatures.max_document_bytes
    return page(
        request,
        "signatures/check.html",
        status_code=status_code,
        errors=errors or {},
        megabytes=limit // (1024 * 1024),
    )


@get(PATH, name="signatures:check", **_PAGE)
async def check_form(request: Req) -> Template:
    return _form(request)


@post(
    PATH,
    name="signatures:upload",
    opt={"accepts": MULTIPART},
    middleware=[THROTTLE.middleware],
    status_code=303,
    **_PAGE,
)
async def upload(request: Req, session: DbSession) -> Redirect | Template:
    form = await request.form()
    document, signature = form.get("document"), form.get("signature")
    if not isinstance(document, UploadFile) or not document.filename:
        return _form(request, errors={"document": _CHOOSE}, status_code=422)
    state = request.app.state
    try:
        async with session.begin_nested():
            check = await service.create_check(
                session,
                files=service.CheckFiles(state.settings.storage.root),
                document=document.file,
                signature=signature.file if isinstance(signature, UploadFile) else None,
                limit=state.settings.signatures.max_document_bytes,
                now=state.clock.now(),
            )
    except UnreadableDocument as exc:
        message = _UNREADABLE.get(exc.reason, N_("The file cannot be read."))
        return _form(request, errors={"document": message}, status_code=422)
    except service.DocumentTooLarge:
        return _form(request, errors={"document": _TOO_LARGE}, status_code=413)
    return Redirect(path=f"{PATH}/{check.id}", status_code=303)


@get(f"{PATH}/{{check_id:str}}", name="signatures:result", **_PAGE)
async def result(request: Req, session: DbSession, check_id: FromPath[str]) -> Template:
    view = service.check_view(await service.get_check(session, check_id))
    return page(request, "signatures/result.html", view=view)


@get(f"{PATH}/{{check_id:str}}/stand", name="signatures:status", **_PAGE)
async def status(request: Req, session: DbSession, check_id: FromPath[str]) -> Template:
    """The result fragment htmx polls for (the whole page without JavaScript)."""
    view = service.check_view(await service.get_check(session, check_id))
    return page(request, "signatures/_status.html", view=view)


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages, with the request body limit the settings allow for the upload."""
    return [
        Router(
            path="/",
            route_handlers=[check_form, upload, result, status],
            request_max_body_size=upload_body_limit(settings),
        )
    ]
