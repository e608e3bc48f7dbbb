"""What the header shows about the logged-in person: their organisations and their work.

The principal (resolved by :class:`~infra.identity.authentication.AuthenticationMiddleware`)
knows the ids of a person's organisations but not their names. :class:`NavigationMiddleware`
reads the names once per page request of a logged-in person, so that every page, also an error
page, links the header to "my organisations"; requests of anonymous visitors, API clients,
the documentation, health probes and static files touch no database for it.
:func:`menu_of` adds the links a person's roles call for (the bids and pre-qualification for the
people of a company, the tenders and the review queue for officers of an authority), read from
the principal alone.
"""

from __future__ import annotations

__all__ = [
    "ORGANISATIONS_KEY",
    "MenuLink",
    "NavigationMiddleware",
    "OrganisationLink",
    "menu_of",
    "organisations_of",
]

import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from infra.identity.guards import PRINCIPAL_KEY, principal_of
from infra.identity.models import Role
from infra.identity.principal import Principal
from infra.identity.repository import IdentityRepository
from infra.web.i18n import N_

ORGANISATIONS_KEY = "vergabe.organisations"
_NOT_PAGES = ("/api/", "/api", "/schema", "/health", "/static/")


class OrganisationLink(msgspec.Struct, frozen=True):
    """An organisation of the logged-in person, as the header links it."""

    id: uuid.UUID
    name: str


class NavigationMiddleware:
    """Puts the logged-in person's organisations into the scope for the page layout."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not scope["path"].startswith(_NOT_PAGES):
            principal = scope.get(PRINCIPAL_KEY)
            if (
                isinstance(principal, Principal)
                and principal.kind == "user"
                and principal.user_id is not None
                and principal.memberships
            ):
                state: Any = scope["litestar_app"].state
                async with state.sessions() as session:
                    rows = await IdentityRepository(session).memberships_of_user(principal.user_id)
                links = [OrganisationLink(id=o.id, name=o.legal_name) for _, o in rows]
                scope[ORGANISATIONS_KEY] = links  # type: ignore[literal-required]
        await self.app(scope, receive, send)


def organisations_of(connection: ASGIConnection[Any, Any, Any, Any]) -> list[OrganisationLink]:
    """The logged-in person's organisations (empty for anyone else)."""
    found = connection.scope.get(ORGANISATIONS_KEY)
    return found if isinstance(found, list) else []


class MenuLink(msgspec.Struct, frozen=True):
    """A link of the header that depends on the person's roles."""

    href: str
    label: str
    """English msgid; the layout translates it."""


PREQUALIFICATION = MenuLink("/praequalifizierung", N_("Pre-qualification"))
MY_BIDS = MenuLink("/angebote", N_("My bids"))
PREQUALIFICATION_REVIEW = MenuLink("/praequalifizierung/pruefung", N_("Pre-qualification review"))
OFFICE_TENDERS = MenuLink("/vergabestelle/ausschreibungen", N_("Tenders of my authority"))
EVALUATION = MenuLink("/vergabestelle/wertung", N_("Evaluation of bids"))


def menu_of(connection: ASGIConnection[Any, Any, Any, Any]) -> list[MenuLink]:
    """The role-dependent links of the logged-in person: their bids and pre-qualification for
    the owners and members of a company; the authority's tenders and the review for officers
    of an authority (whether their authority is a pre-qualification office, the page itself
    says); the evaluation of bids for its officers and evaluators."""
    principal = principal_of(connection)
    if principal.kind != "user":
        return []
    memberships = principal.memberships.values()
    links = []
    if any(m.kind == "supplier" and m.role in (Role.OWNER, Role.MEMBER) for m in memberships):
        links.append(MY_BIDS)
        links.append(PREQUALIFICATION)
    if any(m.kind == "authority" and m.role == Role.OFFICER for m in memberships):
        links.append(OFFICE_TENDERS)
    if any(m.kind == "authority" and m.role in (Role.OFFICER, Role.EVALUATOR) for m in memberships):
        links.append(EVALUATION)
    if any(m.kind == "authority" and m.role == Role.OFFICER for m in memberships):
        links.append(PREQUALIFICATION_REVIEW)
    return links
