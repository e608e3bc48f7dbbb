"""My organisation: its details and members; for its managers invitations and API tokens.

Every member sees the page (``member_of()``); owners of a company and administrators of an
authority (the managers) also change roles, remove members, invite, withdraw invitations and
manage API tokens, each through the same service function as the API. Any member may leave.
A new API token is shown on the page that answers its creation, once, never again.

A refused action shows the page again with the error at the top, linked to the form that was
sent; ``error_prefix`` names that form (several forms share the page).
"""

from __future__ import annotations

__all__ = ["MANAGERS", "ROUTES", "InviteForm", "RoleForm", "TokenForm"]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity import api_tokens, members
from infra.identity.account import organisation_view
from infra.identity.errors import Forbidden, IdentityError, NotFound
from infra.identity.guards import member_of, person, principal_of
from infra.identity.models import ROLES_BY_KIND, OrganisationKind, Role
from infra.identity.pages.common import (
    FORM_POST,
    PAGE,
    FormBody,
    Req,
    acting_user,
    redirect,
    savepoint,
    state,
)
from infra.identity.pages.messages import ROLE_NAMES, SCOPE_NAMES, error_message, notice_message
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import (
    SCOPES,
    ApiTokenCreate,
    ApiTokenCreated,
    InvitationCreate,
    RoleChange,
    check_email,
)
from infra.web.forms import FORM, Errors, Rule, check_form, form_values
from infra.web.i18n import N_
from infra.web.rendering import page

MANAGERS = (Role.OWNER, Role.ADMIN)
OrganisationId = FromPath[uuid.UUID]
_ROLE = Rule(N_("Choose a role."), N_("Choose one of the roles in the list."))
INVITE_RULES = {
    "email": Rule(
        N_("Enter the e-mail address of the person to invite."),
        N_("Enter an e-mail address in the form name@example.de."),
        check_email,
    ),
    "role": _ROLE,
}
ROLE_RULES = {"role": _ROLE}
TOKEN_RULES = {
    "name": Rule(
        N_("Enter a name for the token, e.g. the system that will use it."),
        N_("The name can have at most 100 characters."),
    ),
    "scopes": Rule(N_("Choose at least one permission."), N_("Choose permissions from the list.")),
    "days_valid": Rule(
        N_("Enter for how many days the token is valid."),
        N_("Enter a number of days between 1 and 365."),
    ),
}


class InviteForm(msgspec.Struct, kw_only=True):
    email: str = ""
    role: str = ""


class RoleForm(msgspec.Struct, kw_only=True):
    role: str = ""


class TokenForm(msgspec.Struct, kw_only=True):
    name: str = ""
    scopes: list[str] | str = []
    days_valid: str = "90"

    @property
    def scope_list(self) -> list[str]:
        return [self.scopes] if isinstance(self.scopes, str) else list(self.scopes)


class _Failure(msgspec.Struct, frozen=True):
    """A refused action: which form, its errors, the status to answer with."""

    prefix: str
    """The form's id prefix: ``invite-``, ``token-``, ``member-<user id>-`` …"""
    errors: Errors
    status: int
    first_field: str = ""
    """Where an error of the whole form links to (after the prefix)."""


async def _organisation_page(
    request: Req,
    session: DbSession,
    organisation_id: uuid.UUID,
    *,
    failure: _Failure | None = None,
    invite: InviteForm | None = None,
    token_form: TokenForm | None = None,
    created: ApiTokenCreated | None = None,
) -> Template:
    repo = IdentityRepository(session)
    organisation = await repo.organisation(organisation_id)
    if organisation is None:
        raise NotFound("There is no such organisation.")
    principal = principal_of(request)
    own = principal.role_in(organisation_id)
    is_manager = own is not None and own.role in MANAGERS
    now = state(request).clock.now()
    kind = OrganisationKind(organisation.kind)
    return page(
        request,
        "identity/organisation.html",
        status_code=failure.status if failure else 200,
        organisation=organisation_view(organisation),
        members=await repo.members(organisation_id),
        me=principal.user_id,
        my_role=own.role if own else None,
        is_manager=is_manager,
        invitations=await repo.open_invitations(organisation_id, now) if is_manager else [],
        tokens=await api_tokens.list_tokens(session, organisation_id) if is_manager else [],
        roles=[(role.value, ROLE_NAMES[role]) for role in ROLES_BY_KIND[kind]],
        role_names=ROLE_NAMES,
        scopes=[(scope, SCOPE_NAMES[scope]) for scope in SCOPES],
        scope_names=SCOPE_NAMES,
        now=now,
        invite=invite or InviteForm(role=ROLES_BY_KIND[kind][1].value),  # member, officer
        token_form=token_form or TokenForm(),
        created=created,
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=notice_message(request.query_params.get("notice")),
    )


def _refused(prefix: str, field: str, error: IdentityError, first_field: str = "") -> _Failure:
    return _Failure(
        prefix=prefix,
        errors={field: error_message(error)},
        status=error.status_code,
        first_field=first_field,
    )


def _back(organisation_id: uuid.UUID, notice: str) -> Response[Any]:
    return redirect(f"/organisationen/{organisation_id}", notice=notice)


@get("/organisationen/{organisation_id:uuid}", guards=[member_of()], name="identity:org", **PAGE)
async def organisation_page(
    request: Req, session: DbSession, organisation_id: OrganisationId
) -> Template:
    return await _organisation_page(request, session, organisation_id)


@post(
    "/organisationen/{organisation_id:uuid}/einladungen",
    guards=[member_of(*MANAGERS)],
    name="identity:org-invite",
    **FORM_POST,
)
async def invite(
    request: Req,
    session: DbSession,
    organisation_id: OrganisationId,
    data: Annotated[InviteForm, FormBody],
) -> Response[Any]:
    checked, errors = check_form(InvitationCreate, form_values(data), INVITE_RULES)
    failure = _Failure(prefix="invite-", errors=errors, status=422, first_field="email")
    if checked is not None:
        app = state(request)
        try:
            async with savepoint(session):
                await members.invite(
                    session,
                    app.clock,
                    app.settings,
                    organisation_id=organisation_id,
                    email=checked.email,
                    role=checked.role,
                    by=principal_of(request),
                )
        except IdentityError as error:
            field = "role" if isinstance(error, Forbidden) else "email"
            failure = _refused("invite-", field, error, "email")
        else:
            return _back(organisation_id, "invited")
    return await _organisation_page(request, session, organisation_id, failure=failure, invite=data)


@post(
    "/organisationen/{organisation_id:uuid}/einladungen/{invitation_id:uuid}/zurueckziehen",
    guards=[member_of(*MANAGERS)],
    name="identity:org-invitation-revoke",
    **FORM_POST,
)
async def revoke_invitation(
    request: Req,
    session: DbSession,
    organisation_id: OrganisationId,
    invitation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        async with savepoint(session):
            await members.revoke_invitation(
                session,
                state(request).clock,
                organisation_id=organisation_id,
                invitation_id=invitation_id,
                by=principal_of(request),
            )
    except IdentityError as error:
        failure = _refused("invitations-", FORM, error, "heading")
        return await _organisation_page(request, session, organisation_id, failure=failure)
    return _back(organisation_id, "invitation-revoked")


@post(
    "/organisationen/{organisation_id:uuid}/mitglieder/{user_id:uuid}/rolle",
    guards=[member_of(*MANAGERS)],
    name="identity:org-member-role",
    **FORM_POST,
)
async def change_role(
    request: Req,
    session: DbSession,
    organisation_id: OrganisationId,
    user_id: FromPath[uuid.UUID],
    data: Annotated[RoleForm, FormBody],
) -> Response[Any]:
    prefix = f"member-{user_id}-"
    checked, errors = check_form(RoleChange, form_values(data), ROLE_RULES)
    failure = _Failure(prefix=prefix, errors=errors, status=422, first_field="role")
    if checked is not None:
        try:
            async with savepoint(session):
                await members.change_role(
                    session,
                    state(request).clock,
                    organisation_id=organisation_id,
                    user_id=user_id,
                    role=checked.role,
                    by=principal_of(request),
                )
        except IdentityError as error:
            failure = _refused(prefix, "role", error, "role")
        else:
            return _back(organisation_id, "role-changed")
    return await _organisation_page(request, session, organisation_id, failure=failure)


@post(
    "/organisationen/{organisation_id:uuid}/mitglieder/{user_id:uuid}/entfernen",
    guards=[member_of()],
    name="identity:org-member-remove",
    **FORM_POST,
)
async def remove_member(
    request: Req, session: DbSession, organisation_id: OrganisationId, user_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """Managers remove members; anyone may leave."""
    principal = principal_of(request)
    leaving = user_id == acting_user(request)
    own = principal.role_in(organisation_id)
    prefix, anchor = ("members-", "leave") if leaving else (f"member-{user_id}-", "remove")
    try:
        if not leaving and (own is None or own.role not in MANAGERS):
            raise Forbidden("Only owners or admins remove other members.")
        async with savepoint(session):
            await members.remove_member(
                session,
                state(request).clock,
                organisation_id=organisation_id,
                user_id=user_id,
                by=principal,
            )
    except IdentityError as error:
        failure = _refused(prefix, FORM, error, anchor)
        return await _organisation_page(request, session, organisation_id, failure=failure)
    if leaving:
        return redirect("/konto", notice="left")
    return _back(organisation_id, "member-removed")


@post(
    "/organisationen/{organisation_id:uuid}/api-tokens",
    guards=[person, member_of(*MANAGERS)],
    name="identity:org-token-create",
    **FORM_POST,
)
async def create_token(
    request: Req,
    session: DbSession,
    organisation_id: OrganisationId,
    data: Annotated[TokenForm, FormBody],
) -> Response[Any]:
    """Create a token and show it on the answer, the only time it is ever shown."""
    values = {"name": data.name, "scopes": data.scope_list, "days_valid": data.days_valid}
    checked, errors = check_form(ApiTokenCreate, values, TOKEN_RULES)
    if checked is None:
        failure = _Failure(prefix="token-", errors=errors, status=422, first_field="name")
        return await _organisation_page(
            request, session, organisation_id, failure=failure, token_form=data
        )
    created = await api_tokens.create_token(
        session,
        state(request).clock,
        organisation_id=organisation_id,
        data=checked,
        by=principal_of(request),
    )
    await session.flush()
    return await _organisation_page(request, session, organisation_id, created=created)


@post(
    "/organisationen/{organisation_id:uuid}/api-tokens/{token_id:uuid}/widerrufen",
    guards=[person, member_of(*MANAGERS)],
    name="identity:org-token-revoke",
    **FORM_POST,
)
async def revoke_token(
    request: Req, session: DbSession, organisation_id: OrganisationId, token_id: FromPath[uuid.UUID]
) -> Response[Any]:
    try:
        async with savepoint(session):
            await api_tokens.revoke_token(
                session,
                state(request).clock,
                organisation_id=organisation_id,
                token_id=token_id,
                by=principal_of(request),
            )
    except IdentityError as error:
        failure = _refused("tokens-", FORM, error, "heading")
        return await _organisation_page(request, session, organisation_id, failure=failure)
    return _back(organisation_id, "token-revoked")


ROUTES: list[ControllerRouterHandler] = [
    organisation_page,
    invite,
    revoke_invitation,
    change_role,
    remove_member,
    create_token,
    revoke_token,
]
