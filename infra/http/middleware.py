"""ASGI middleware at the edge of every request.

:class:`EdgeMiddleware` wraps the whole application (also requests that match no route): it sets
the request id (taken from a well-formed ``X-Request-ID`` or generated), adds the security
headers and writes one structured access-log line. :func:`require_media_type` refuses bodies of
a media type the route does not accept (415).
"""

from __future__ import annotations

__all__ = [
    "ACCEPTS_FORMS",
    "ACCEPTS_JSON",
    "EdgeMiddleware",
    "require_media_type",
    "security_headers",
]

import logging
import re
import time
import uuid
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from infra.errors import UnsupportedMediaType
from infra.logs import request_id_var

log = logging.getLogger("vergabe.access")

ACCEPTS_JSON = ("application/json",)
ACCEPTS_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, behind_tls: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if behind_tls:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


class EdgeMiddleware:
    """Request id, security headers and access log for every HTTP request."""

    def __init__(self, app: ASGIApp, *, behind_tls: bool) -> None:
        self.app = app
        self.headers = security_headers(behind_tls=behind_tls)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        extra = [*self.headers, (b"x-request-id", request_id.encode())]

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


async def require_media_type(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: refuse a body whose media type the route does not accept.

    Routes declare what they take in ``opt={"accepts": (...)}``; the default is JSON. Requiring
    ``application/json`` also keeps cross-site HTML forms away from the JSON API.
    """
    if request.method not in _BODY_METHODS:
        return
    accepts: tuple[str, ...] = request.route_handler.opt.get("accepts") or ACCEPTS_JSON
    headers = request.headers
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    has_body = headers.get("content-length", "0").strip() not in ("", "0") or (
        "transfer-encoding" in headers
    )
    if not has_body and not content_type:
        return
    if content_type not in accepts:
        raise UnsupportedMediaType(detail=f"Send the body as {' or '.join(accepts)}.")
