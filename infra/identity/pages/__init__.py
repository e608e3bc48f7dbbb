"""The identity pages: signing up, logging in, my account, my organisation, administration.

Server-rendered HTML (templates under ``infra/web/templates/identity/``) calling the same service
functions as the JSON API in :mod:`infra.identity.controllers`. Every form is a plain POST with
the CSRF token that works without JavaScript; a refused form is shown again with the visitor's
input (never a password), an error summary and a message at each wrong field.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

from litestar.types import ControllerRouterHandler

from infra.identity.pages import account, admin, invitation, organisation, sessions, signup

ROUTES: list[ControllerRouterHandler] = [
    *signup.ROUTES,
    *sessions.ROUTES,
    *account.ROUTES,
    *organisation.ROUTES,
    *invitation.ROUTES,
    *admin.ROUTES,
]
