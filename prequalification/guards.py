"""Who may, in pre-qualification: the company's people, and officers of an authority.

Guards run before the handler and see only the principal, so :func:`authority_officer` admits
any officer of an authority in person; whether that authority is a designated pre-qualification
office, and whether the officer belongs to the applying company, the review service decides
(:func:`prequalification.review.office_of`), answering 403 with its own problem code.
"""

from __future__ import annotations

__all__ = ["COMPANY_PEOPLE", "authority_member", "authority_officer", "company_people"]

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from infra.identity.errors import AccessDenied, NotAuthenticated
from infra.identity.guards import member_of, person, principal_of
from infra.identity.models import Role

COMPANY_PEOPLE = (Role.OWNER, Role.MEMBER)
company_people = member_of(*COMPANY_PEOPLE)
"""The applying company's owners and members, in person (API tokens have no PQ scope)."""


async def authority_officer(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """An officer of some authority, in person."""
    await person(connection, handler)
    principal = principal_of(connection)
    if not any(
        membership.kind == "authority" and membership.role == Role.OFFICER
        for membership in principal.memberships.values()
    ):
        raise AccessDenied("Only officers of an authority can do this.")


async def authority_member(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Anyone of an authority, in person or with an API token holding ``prequalification:read``
    (a contracting authority asking the register during its procedure)."""
    principal = principal_of(connection)
    if not principal.is_authenticated:
        raise NotAuthenticated("Log in or send an API token.")
    if not any(m.kind == "authority" for m in principal.memberships.values()):
        raise AccessDenied("Only authorities can ask this.")
    if principal.kind == "token" and not principal.has_scope("prequalification:read"):
        raise AccessDenied("This API token lacks the scope prequalification:read.")
