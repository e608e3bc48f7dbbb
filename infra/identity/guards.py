"""Who may: guards as plain functions, and the check that every route declares one.

Guards are ``async def`` although none of them awaits anything: Litestar calls an async guard
directly and runs a plain function in a worker thread (``sync_to_thread``), a thread hop per
request for a check of a few attribute reads.

Deny by default: :func:`require_declared_guards` refuses to build an app with a route that has
no guard, so a route is public only because somebody wrote ``guards=[public]``. Organisation
guards read the ``organisation_id`` path parameter and answer 404 to non-members, so that
changing an id reveals nothing about other organisations.
"""

from __future__ import annotations

__all__ = [
    "Guard",
    "authenticated",
    "member_of",
    "person",
    "platform_admin",
    "principal_of",
    "public",
    "require_declared_guards",
]

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from infra.identity.errors import AccessDenied, NotAuthenticated, OrganisationNotFound
from infra.identity.principal import ANONYMOUS, Principal

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
PRINCIPAL_KEY = "vergabe.principal"


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the authentication middleware resolved (anonymous if none)."""
    found = connection.scope.get(PRINCIPAL_KEY, ANONYMOUS)
    return found if isinstance(found, Principal) else ANONYMOUS


async def public(
    _connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Anyone, also without logging in."""


async def authenticated(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Any logged-in person or valid API token."""
    if not principal_of(connection).is_authenticated:
        raise NotAuthenticated("Log in or send an API token.")


async def person(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """A logged-in person (not an API token): account settings, tokens, invitations."""
    principal = principal_of(connection)
    if principal.kind == "anonymous":
        raise NotAuthenticated("Log in first.")
    if principal.kind != "user":
        raise AccessDenied("Only a person can do this, not an API token.")


async def platform_admin(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A platform administrator (a person)."""
    await person(connection, handler)
    principal = principal_of(connection)
    if not principal.is_platform_admin:
        raise AccessDenied("Only platform administrators can do this.")
    if not principal.second_factor:
        raise AccessDenied("Platform administrators must set up the second factor first.")


def member_of(*roles: str, scope: str | None = None) -> Guard:
    """Members of the organisation in the path holding one of ``roles``.

    Args:
        roles: the roles that may (any role if empty).
        scope: the scope an API token of that organisation needs (tokens are refused if None).
    """

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        principal = principal_of(connection)
        if not principal.is_authenticated:
            raise NotAuthenticated("Log in or send an API token.")
        organisation_id = connection.path_params.get("organisation_id")
        if not isinstance(organisation_id, uuid.UUID):
            raise OrganisationNotFound("There is no such organisation.")
        membership = principal.role_in(organisation_id)
        if membership is None:
            raise OrganisationNotFound("There is no such organisation.")
        if principal.kind == "token" and (scope is None or not principal.has_scope(scope)):
            raise AccessDenied(f"This API token lacks the scope {scope or 'for this action'}.")
        if roles and membership.role not in roles:
            raise AccessDenied(f"Only {', '.join(roles)} may do this.")

    guard.__name__ = f"member_of({', '.join(roles) or 'any'})"
    return guard


def require_declared_guards(app: Litestar) -> None:
    """Refuse an app in which any route handler has no guard at all.

    Litestar's automatic OPTIONS handlers (they answer with the ``Allow`` header only) are the
    one exception; the platform declares no OPTIONS handler of its own.
    """
    unguarded = sorted(
        f"{method} {route.path}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if not handler.resolve_guards()
        and set(getattr(handler, "http_methods", {"WS"})) != {"OPTIONS"}
        for method in sorted(getattr(handler, "http_methods", {"WS"}))
    )
    if unguarded:
        raise RuntimeError("routes without a declared guard: " + ", ".join(unguarded))
