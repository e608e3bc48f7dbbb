"""Accepting an invitation from the link in its mail (``/einladung?token=…``).

What the page offers depends on who opens it: the invited person, logged in, gets a button;
somebody without an account gets a form for their name and a password (the invitation proves
the address); an invited address that has an account, opened while not logged in as it, is
asked to log in as that address first and comes back here afterwards.
"""

from __future__ import annotations

__all__ = ["ROUTES", "AcceptForm"]

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Response, get, post
from litestar.params import FromQuery
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity import members
from infra.identity.errors import IdentityError, TokenInvalid
from infra.identity.guards import principal_of, public
from infra.identity.models import Invitation
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.identity.pages.messages import ROLE_NAMES, error_message
from infra.identity.pages.tokens import invitation_for
from infra.identity.repository import IdentityRepository
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_
from infra.web.rendering import page

Offer = Literal["accept", "create", "login"]
_NAME_LENGTH = 200
_PASSWORD_LENGTH = 1024


class AcceptForm(msgspec.Struct, kw_only=True):
    token: str = ""
    name: str = ""
    password: str = ""


async def _offer(request: Req, session: DbSession, invitation: Invitation) -> Offer:
    """What the visitor can do with the invitation."""
    if principal_of(request).email == invitation.email:
        return "accept"
    if await IdentityRepository(session).user_by_email(invitation.email) is None:
        return "create"
    return "login"


async def _page(
    request: Req,
    session: DbSession,
    token: str,
    invitation: Invitation | None,
    *,
    name: str = "",
    errors: Errors | None = None,
    status: int = 200,
) -> Template:
    if invitation is None:
        invalid = TokenInvalid("not usable")
        return page(
            request,
            "identity/invitation.html",
            status_code=invalid.status_code,
            invitation=None,
            errors={FORM: error_message(invalid)},
        )
    organisation = await IdentityRepository(session).organisation(invitation.organisation_id)
    here = "/einladung?" + urlencode({"token": token})
    return page(
        request,
        "identity/invitation.html",
        status_code=status,
        invitation=invitation,
        organisation_name=organisation.legal_name if organisation else "",
        role_name=ROLE_NAMES.get(invitation.role, invitation.role),
        offer=await _offer(request, session, invitation),
        token=token,
        name=name,
        login_link="/login?" + urlencode({"next": here}),
        errors=errors or {},
    )


@get("/einladung", guards=[public], name="identity:invitation", **PAGE)
async def invitation_page(request: Req, session: DbSession, token: FromQuery[str] = "") -> Template:
    invitation = await invitation_for(session, state(request).clock, token)
    return await _page(request, session, token, invitation)


def _check_new_account(data: AcceptForm) -> Errors:
    errors: Errors = {}
    name = data.name.strip()
    if not name:
        errors["name"] = N_("Enter your name.")
    elif len(name) > _NAME_LENGTH:
        errors["name"] = N_("Your name can have at most 200 characters.")
    if not data.password:
        errors["password"] = N_("Choose a password.")
    elif len(data.password) > _PASSWORD_LENGTH:
        errors["password"] = N_("The password can have at most 1024 characters.")
    return errors


@post("/einladung", guards=[public], name="identity:invitation-accept", **FORM_POST)
async def accept(
    request: Req, session: DbSession, data: Annotated[AcceptForm, FormBody]
) -> Response[Any]:
    invitation = await invitation_for(session, state(request).clock, data.token)
    if invitation is None:
        return await _page(request, session, "", None)
    organisation_id = invitation.organisation_id
    offer = await _offer(request, session, invitation)
    if offer == "create" and (errors := _check_new_account(data)):
        return await _page(request, session, data.token, invitation, name=data.name, errors=errors)
    try:
        async with savepoint(session):
            await members.accept_invitation(
                session,
                state(request).clock,
                token=data.token,
                by=principal_of(request),
                name=data.name.strip() if offer == "create" else None,
                password=data.password if offer == "create" else None,
            )
    except IdentityError as error:
        field = "password" if error.code == "weak-password" and offer == "create" else FORM
        return await _page(
            request,
            session,
            data.token,
            await invitation_for(session, state(request).clock, data.token),
            name=data.name,
            errors={field: error_message(error)},
            status=error.status_code,
        )
    if offer == "accept":
        return redirect(f"/organisationen/{organisation_id}", notice="joined")
    return redirect(
        "/login", notice="invitation-accepted", next=f"/organisationen/{organisation_id}"
    )


ROUTES: list[ControllerRouterHandler] = [invitation_page, accept]
