"""Platform administration: the organisations and users, and creating a contracting authority.

Only platform administrators with a second factor get here (``platform_admin``). The lists are
paged by cursor like the API (``?after=<last id>``); creating an authority invites its first
administrator by mail.
"""

from __future__ import annotations

__all__ = ["PAGE_SIZE", "ROUTES", "AuthorityForm"]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity import admin
from infra.identity.account import organisation_view
from infra.identity.errors import IdentityError
from infra.identity.guards import platform_admin, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.identity.pages.messages import error_message, notice_message
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import AuthorityCreate, check_email
from infra.web.forms import FORM, Errors, Rule, check_form, form_values
from infra.web.i18n import N_
from infra.web.rendering import page

PAGE_SIZE = 50
Cursor = Annotated[uuid.UUID | None, QueryParameter(name="after", required=False)]
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200)]
_EMAIL = N_("Enter an e-mail address in the form name@example.de.")
AUTHORITY_RULES = {
    "legal_name": Rule(
        N_("Enter the name of the contracting authority."),
        N_("The name must have between 2 and 300 characters."),
    ),
    "street": Rule(
        N_("Enter the street and house number."),
        N_("The street must have between 2 and 200 characters."),
    ),
    "postal_code": Rule(
        N_("Enter the postal code."), N_("Enter a German postal code of five digits, e.g. 28195.")
    ),
    "city": Rule(N_("Enter the city."), N_("The city must have between 2 and 100 characters.")),
    "contact_email": Rule(N_("Enter the authority's e-mail address."), _EMAIL, check_email),
    "admin_email": Rule(
        N_("Enter the e-mail address of the authority's first administrator."), _EMAIL, check_email
    ),
}


class AuthorityForm(msgspec.Struct, kw_only=True):
    legal_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    contact_email: str = ""
    admin_email: str = ""


@get("/admin/organisationen", guards=[platform_admin], name="identity:admin-orgs", **PAGE)
async def organisations_page(
    request: Req, session: DbSession, after: Cursor = None, limit: Limit = PAGE_SIZE
) -> Template:
    rows = await IdentityRepository(session).organisations(limit + 1, after)
    items = [organisation_view(o) for o in rows[:limit]]
    return page(
        request,
        "identity/admin_organisations.html",
        organisations=items,
        next_cursor=items[-1].id if len(rows) > limit else None,
        limit=limit,
        paged=after is not None,
        notice=notice_message(request.query_params.get("notice")),
    )


@get("/admin/benutzer", guards=[platform_admin], name="identity:admin-users", **PAGE)
async def users_page(
    request: Req, session: DbSession, after: Cursor = None, limit: Limit = PAGE_SIZE
) -> Template:
    rows = await IdentityRepository(session).users(limit + 1, after)
    items = list(rows[:limit])
    return page(
        request,
        "identity/admin_users.html",
        users=items,
        next_cursor=items[-1].id if len(rows) > limit else None,
        limit=limit,
        paged=after is not None,
    )


def _authority_page(request: Req, form: AuthorityForm, errors: Errors, status: int) -> Template:
    return page(
        request, "identity/admin_authority.html", status_code=status, form=form, errors=errors
    )


@get("/admin/organisationen/neu", guards=[platform_admin], name="identity:admin-new", **PAGE)
async def authority_form(request: Req) -> Template:
    return _authority_page(request, AuthorityForm(), {}, 200)


@post(
    "/admin/organisationen/neu",
    guards=[platform_admin],
    name="identity:admin-new-send",
    **FORM_POST,
)
async def create_authority(
    request: Req, session: DbSession, data: Annotated[AuthorityForm, FormBody]
) -> Response[Any]:
    checked, errors = check_form(AuthorityCreate, form_values(data), AUTHORITY_RULES)
    if checked is None:
        return _authority_page(request, data, errors, 422)
    app = state(request)
    try:
        async with savepoint(session):
            await admin.create_authority(
                session, app.clock, app.settings, checked, by=principal_of(request)
            )
    except IdentityError as error:
        return _authority_page(request, data, {FORM: error_message(error)}, error.status_code)
    return redirect("/admin/organisationen", notice="authority-created")


ROUTES: list[ControllerRouterHandler] = [
    organisations_page,
    users_page,
    authority_form,
    create_authority,
]
