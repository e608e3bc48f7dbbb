"""Errors as RFC 9457 problem details, for every failure the platform answers with.

Each domain defines one base error deriving from :class:`DomainError`, and each subclass sets
its HTTP status (409 for business conflicts, 404, 403 …) and a stable ``code``. One set of
exception handlers turns domain errors, Litestar's HTTP errors, validation errors and anything
unexpected into ``application/problem+json``; an unexpected error is logged with its trace id
and answered without internals.
"""

from __future__ import annotations

__all__ = [
    "AUDIT_REFUSALS",
    "PROBLEM_MEDIA_TYPE",
    "DomainError",
    "Problem",
    "UnsupportedMediaType",
    "exception_handlers",
    "problem_response",
]

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

import msgspec
from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from sqlalchemy.exc import DataError, DBAPIError

from infra.logs import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
_FIELD_IN_MESSAGE = re.compile(
    r"(?:required field|unknown field) `([^`]+)`|at `\$\.(?:data\.)?([^`]+)`"
)
log = logging.getLogger("vergabe.errors")


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem details object."""

    type: str
    """URI reference naming the problem type (``about:blank`` for plain HTTP errors)."""
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    """The request path the problem occurred at."""
    code: str | None = None
    """Stable, machine-readable problem code (``deadline-passed``)."""
    errors: list[dict[str, str]] | None = None
    """Per-field validation errors: ``{"field": …, "message": …}``."""
    trace_id: str | None = None
    """The request id, to quote when contacting support."""


class DomainError(Exception):
    """Base of every domain's errors; subclasses set ``status_code``, ``code`` and ``title``."""

    status_code: ClassVar[int] = HTTPStatus.CONFLICT
    code: ClassVar[str] = "conflict"
    title: ClassVar[str] = "The request conflicts with the current state"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class UnsupportedMediaType(HTTPException):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def problem_response(
    problem: Problem,
    headers: Mapping[str, str] | None = None,
    *,
    request: Request[Any, Any, Any] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response[Any]:
    """A response carrying ``problem`` as ``application/problem+json``.

    Given the ``request``, a browser asking for a page gets an HTML error page instead
    (:func:`infra.web.errors.html_error_response`). ``extensions`` are added as RFC 9457
    extension members (``missing``, ``reason`` …); they never replace a standard member.
    """
    if request is not None:
        # Imported here: the web shell imports this module (through the HTTP middleware).
        from infra.web.errors import html_error_response

        page = html_error_response(request, problem, headers or {})
        if page is not None:
            return page
    body: Any = problem
    if extensions:
        body = {**extensions, **msgspec.to_builtins(problem)}
    return Response(
        content=msgspec.json.encode(body, enc_hook=str),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def _problem(
    request: Request[Any, Any, Any], status: int, detail: str | None, **kw: Any
) -> Problem:
    return Problem(
        type=kw.pop("type", "about:blank"),
        title=kw.pop("title", HTTPStatus(status).phrase),
        status=status,
        detail=detail,
        instance=request.url.path,
        trace_id=current_request_id(),
        **kw,
    )


AUDIT_REFUSALS = "audit_refusals"
"""Route option: a refused request (a domain error, a guard's 403 or 404) on this route is
recorded in the audit trail as ``<value>.refused``, in a transaction of its own after the
response, for the object named by the path parameter ``<value>_id`` (Annex IV (g): attempts on
bids, deadlines and the opening must be clearly detectable)."""


async def _record_refusal(
    request: Request[Any, Any, Any], object_type: str, code: str, status: int
) -> None:
    # Imported here: infra.audit and the identity guards import this module.
    from infra.audit.service import record
    from infra.identity.guards import principal_of

    state = request.app.state
    principal = principal_of(request)
    object_id = request.path_params.get(f"{object_type}_id")
    organisation_id = request.path_params.get("organisation_id")
    try:
        async with state.sessions() as session, session.begin():
            await record(
                session,
                now=state.clock.now(),
                action=f"{object_type}.refused",
                object_type=object_type,
                object_id=str(object_id) if object_id is not None else None,
                actor_user_id=principal.user_id,
                organisation_id=organisation_id if isinstance(organisation_id, uuid.UUID) else None,
                after={
                    "method": request.method,
                    "path": request.url.path,
                    "code": code,
                    "status": status,
                    "token": str(principal.token_id) if principal.token_id else None,
                },
            )
    except Exception:
        log.exception("a refused request could not be recorded", extra={"code": code})


def _audited(
    request: Request[Any, Any, Any], response: Response[Any], code: str, status: int
) -> Response[Any]:
    handler = request.scope.get("route_handler")
    object_type = handler.opt.get(AUDIT_REFUSALS) if handler is not None else None
    if isinstance(object_type, str):
        response.background = BackgroundTask(_record_refusal, request, object_type, code, status)
    return response


def _on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    problem = _problem(
        request,
        exc.status_code,
        exc.detail,
        type=f"urn:openvergabe:problem:{exc.code}",
        title=exc.title,
        code=exc.code,
    )
    response = problem_response(problem, request=request, extensions=exc.extra)
    return _audited(request, response, exc.code, exc.status_code)


def _on_validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            named = _FIELD_IN_MESSAGE.search(message)
            field = (named.group(1) or named.group(2)) if named else str(item.get("key") or "body")
            errors.append({"field": field, "message": message})
    detail = exc.detail or "The request is not valid."
    if "malformed" in detail.lower() or "decode" in detail.lower():
        return problem_response(
            _problem(request, 400, "The request body is not well-formed JSON.", code="malformed"),
            request=request,
        )
    return problem_response(
        _problem(request, 422, detail, code="invalid", errors=errors or None),
        request=request,
    )


def _on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return _on_unexpected(request, exc)
    if isinstance(exc.__cause__, SerializationException):
        # Litestar could not decode the body (it raises a 400 ClientException for it).
        return problem_response(
            _problem(request, 400, "The request body is not well-formed JSON.", code="malformed"),
            request=request,
        )
    detail = exc.detail if exc.detail != HTTPStatus(status).phrase else None
    if isinstance(exc, NotFoundException):
        detail = "There is nothing at this address."
    headers = dict(exc.headers or {})
    return problem_response(_problem(request, status, detail), headers, request=request)


def _on_database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A driver error: a refused value (SQLSTATE class 22, "data exception": asyncpg reports
    a NUL character in a text as 22021 without SQLAlchemy's ``DataError``) is bad input, 422;
    anything else is unexpected."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if isinstance(state, str) and state.startswith("22"):
        return _on_refused_value(request, exc)
    return _on_unexpected(request, exc)


def _on_refused_value(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """The database refused a value (a NUL character, an over-long text): bad input, 422."""
    log.info(
        "value refused by the database",
        extra={"path": request.url.path, "error": type(exc.orig).__name__},
    )
    detail = "A value is not acceptable (for example a control character or an over-long text)."
    return problem_response(_problem(request, 422, detail, code="invalid"), request=request)


def _on_undecodable(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """A form field that is not UTF-8 text (Litestar's multipart parser raises): 400."""
    detail = "The request body is not well-formed: a form field is not UTF-8 text."
    return problem_response(_problem(request, 400, detail, code="malformed"), request=request)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(
        "unexpected error",
        exc_info=exc if not isinstance(exc, InternalServerException) else None,
        extra={
            "path": request.url.path,
            "method": request.method,
            "trace_id": current_request_id(),
        },
    )
    detail = "An unexpected error occurred. Please quote the trace id when contacting support."
    return problem_response(_problem(request, 500, detail), request=request)


def exception_handlers() -> dict[type[Exception] | int, Callable[..., Response[Any]]]:
    """The handlers the app factory installs."""
    return {
        DomainError: _on_domain_error,
        ValidationException: _on_validation_error,
        HTTPException: _on_http_error,
        DataError: _on_refused_value,
        DBAPIError: _on_database_error,
        UnicodeDecodeError: _on_undecodable,
        Exception: _on_unexpected,
    }
