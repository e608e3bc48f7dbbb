"""HTML error pages for browsers, in place of problem details.

:func:`html_error_response` is called by :func:`infra.errors.problem_response` for every error
answer. When a browser asks for a page (its ``Accept`` header prefers ``text/html``) outside the
API, the documentation and the health checks, the error is shown as a page in the site's layout
with the same status code and the trace id; everything else keeps ``application/problem+json``.
A browser that must log in first (401) is sent to the login page instead (303), which brings it
back afterwards: to the page it asked for, or for a form it sent, to the page the form was on.
"""

from __future__ import annotations

__all__ = ["MACHINE_PATHS", "html_error_response", "login_redirect", "wants_html"]

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response
from litestar.enums import MediaType

from infra.identity.guards import principal_of
from infra.web.i18n import negotiate_language
from infra.web.pages import safe_next_path
from infra.web.rendering import page_headers, render_page

if TYPE_CHECKING:
    from infra.errors import Problem

MACHINE_PATHS = ("/api/", "/schema", "/health")
"""Path prefixes answered with problem details only, whatever the client accepts."""
_OFFERED = ["application/problem+json", "application/json", MediaType.HTML.value]

log = logging.getLogger("vergabe.errors")


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Whether ``request`` is a browser asking for a page (not an API or tool path)."""
    path = request.url.path
    if path == "/api" or path.startswith(MACHINE_PATHS):
        return False
    return request.accept.best_match(_OFFERED) == MediaType.HTML.value


def html_error_response(
    request: Request[Any, Any, Any], problem: Problem, headers: Mapping[str, str]
) -> Response[Any] | None:
    """The error page for ``problem``, or ``None`` if the client should get problem details.

    A failure while rendering the page is logged and answered with problem details, so that an
    error in the layout never hides the original error.
    """
    try:
        if not wants_html(request):
            return None
        if problem.status == 401:
            return login_redirect(request, headers)
        content = render_page(request, "error.html", problem=problem)
    except Exception:
        log.exception("error page could not be rendered", extra={"status": problem.status})
        return None
    return Response(
        content=content,
        status_code=problem.status,
        media_type=MediaType.HTML,
        headers={**headers, **page_headers(negotiate_language(request))},
    )


def _came_from(request: Request[Any, Any, Any]) -> str | None:
    """Where to return after logging in: this page, or for a form the page it was sent from."""
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def login_redirect(request: Request[Any, Any, Any], headers: Mapping[str, str]) -> Response[Any]:
    """303 to the login page (or to the code form of a login waiting for its second factor)."""
    target = "/login/code" if principal_of(request).second_factor_pending else "/login"
    came_from = _came_from(request)
    if came_from and safe_next_path(came_from) == came_from:
        target += "?" + urlencode({"next": came_from})
    return Response(
        content=b"",
        status_code=303,
        media_type=MediaType.TEXT,
        headers={**headers, **page_headers(negotiate_language(request)), "location": target},
    )
