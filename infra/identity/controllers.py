"""Identity JSON API: registration, login, account, members, invitations, API tokens, admin."""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from infra.http import DbSession
from infra.identity import account, admin, api_tokens, login, members, registration
from infra.identity.account import organisation_view
from infra.identity.authentication import SESSION_COOKIE, session_cookie
from infra.identity.errors import Forbidden, IdentityError, NotFound
from infra.identity.guards import (
    member_of,
    person,
    platform_admin,
    principal_of,
    public,
)
from infra.identity.models import Role
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import (
    AcceptInvitation,
    AccountView,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenView,
    AuthorityCreate,
    CompanyRegistration,
    InvitationCreate,
    InvitationView,
    LoginRequest,
    MemberView,
    OrganisationView,
    PasswordResetConfirm,
    PasswordResetRequest,
    RoleChange,
    SecondFactorRequest,
    TokenBody,
    TotpSetup,
)

T = TypeVar("T")
Req = Request[Any, Any, Any]
Cursor = Annotated[uuid.UUID | None, QueryParameter(name="after", required=False)]
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200)]
MANAGERS = (Role.OWNER, Role.ADMIN)


class Created(msgspec.Struct, frozen=True):
    id: uuid.UUID


class Registered(msgspec.Struct, frozen=True):
    organisation_id: uuid.UUID
    user_id: uuid.UUID


class LoginOutcome(msgspec.Struct, frozen=True):
    second_factor_pending: bool
    """True: send the code from the authenticator app to ``/api/v1/auth/second-factor``."""


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a list; pass ``next_cursor`` as ``after`` for the next."""

    items: list[T]
    next_cursor: uuid.UUID | None


class UserView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    email: str
    name: str
    verified: bool
    is_platform_admin: bool


def _state(request: Req) -> Any:
    return request.app.state


class AuthController(Controller):
    path = "/api/v1"
    tags = ["identity"]

    @post("/registrations", guards=[public], operation_id="registration_create", status_code=201)
    async def register(
        self, request: Req, session: DbSession, data: JSONBody[CompanyRegistration]
    ) -> Registered:
        """A company registers; its owner receives a confirmation mail."""
        state = _state(request)
        done = await registration.register_company(session, state.clock, state.settings, data)
        return Registered(organisation_id=done.organisation_id, user_id=done.user_id)

    @post("/auth/verify-email", guards=[public], operation_id="auth_verify_email", status_code=204)
    async def verify_email(
        self, request: Req, session: DbSession, data: JSONBody[TokenBody]
    ) -> None:
        await registration.verify_email(session, _state(request).clock, data.token)

    @post("/auth/login", guards=[public], operation_id="auth_login", status_code=200)
    async def log_in(self, request: Req, data: JSONBody[LoginRequest]) -> Response[LoginOutcome]:
        """Log in with e-mail and password; sets the session cookie."""
        state = _state(request)
        outcome = await login.log_in(
            state.sessions,
            state.clock,
            state.settings,
            email=data.email,
            password=data.password,
            address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            previous_session=request.cookies.get(SESSION_COOKIE),
        )
        if isinstance(outcome, IdentityError):
            raise outcome
        return Response(
            LoginOutcome(second_factor_pending=outcome.second_factor_pending),
            cookies=[session_cookie(state.settings, outcome.session_token)],
        )

    @post(
        "/auth/second-factor", guards=[public], operation_id="auth_second_factor", status_code=204
    )
    async def second_factor(self, request: Req, data: JSONBody[SecondFactorRequest]) -> None:
        state = _state(request)
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotFound("There is no login waiting for a code.")
        async with state.sessions() as session, session.begin():
            refused = await login.complete_second_factor(
                session, state.clock, state.settings, session_token=token, code=data.code
            )
        if refused is not None:
            raise refused

    @post("/auth/logout", guards=[person], operation_id="auth_logout", status_code=204)
    async def log_out(self, request: Req, session: DbSession) -> Response[None]:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await login.log_out(session, token)
        return Response(
            None, status_code=204, cookies=[session_cookie(_state(request).settings, None)]
        )

    @post(
        "/auth/logout-everywhere",
        guards=[person],
        operation_id="auth_logout_everywhere",
        status_code=204,
    )
    async def log_out_everywhere(self, request: Req, session: DbSession) -> Response[None]:
        state = _state(request)
        user_id = principal_of(request).user_id
        assert user_id is not None
        await login.log_out_everywhere(session, state.clock, user_id)
        return Response(None, status_code=204, cookies=[session_cookie(state.settings, None)])

    @post(
        "/auth/password-reset",
        guards=[public],
        operation_id="auth_password_reset_request",
        status_code=202,
    )
    async def request_reset(
        self, request: Req, session: DbSession, data: JSONBody[PasswordResetRequest]
    ) -> None:
        """Mails a reset link if the account exists; answers the same either way."""
        state = _state(request)
        await login.request_password_reset(session, state.clock, state.settings, data.email)

    @post(
        "/auth/password-reset/confirm",
        guards=[public],
        operation_id="auth_password_reset_confirm",
        status_code=204,
    )
    async def reset(
        self, request: Req, session: DbSession, data: JSONBody[PasswordResetConfirm]
    ) -> None:
        state = _state(request)
        await login.reset_password(
            session, state.clock, state.settings, token=data.token, password=data.password
        )

    @post("/invitations/accept", guards=[public], operation_id="invitation_accept", status_code=200)
    async def accept(
        self, request: Req, session: DbSession, data: JSONBody[AcceptInvitation]
    ) -> Created:
        """Accept an invitation; creates the account when the invitee has none."""
        user_id = await members.accept_invitation(
            session,
            _state(request).clock,
            token=data.token,
            by=principal_of(request),
            name=data.name,
            password=data.password,
        )
        return Created(id=user_id)


class AccountController(Controller):
    path = "/api/v1/account"
    tags = ["identity"]
    guards = [person]

    @get("", operation_id="account_get")
    async def get_account(self, request: Req, session: DbSession) -> AccountView:
        user_id = principal_of(request).user_id
        assert user_id is not None
        return await account.account_view(session, user_id)

    @post("/totp", operation_id="account_totp_start", status_code=200)
    async def start_totp(self, request: Req, session: DbSession) -> TotpSetup:
        """A new TOTP secret, shown once; confirm it with a code to enable it."""
        user_id = principal_of(request).user_id
        assert user_id is not None
        return await account.start_totp(session, _state(request).settings, user_id)

    @post("/totp/confirm", operation_id="account_totp_confirm", status_code=204)
    async def confirm_totp(
        self, request: Req, session: DbSession, data: JSONBody[SecondFactorRequest]
    ) -> None:
        state = _state(request)
        user_id = principal_of(request).user_id
        assert user_id is not None
        await account.confirm_totp(session, state.clock, state.settings, user_id, data.code)

    @post("/totp/disable", operation_id="account_totp_disable", status_code=204)
    async def disable_totp(
        self, request: Req, session: DbSession, data: JSONBody[SecondFactorRequest]
    ) -> None:
        state = _state(request)
        user_id = principal_of(request).user_id
        assert user_id is not None
        await account.disable_totp(session, state.clock, state.settings, user_id, data.code)


class OrganisationController(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}"
    tags = ["organisations"]

    @get("", guards=[member_of(scope="organisation:read")], operation_id="organisation_get")
    async def get_organisation(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> OrganisationView:
        organisation = await IdentityRepository(session).organisation(organisation_id)
        if organisation is None:
            raise NotFound("There is no such organisation.")
        return organisation_view(organisation)

    @get(
        "/members",
        guards=[member_of(scope="organisation:read")],
        operation_id="organisation_members_list",
    )
    async def list_members(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> list[MemberView]:
        rows = await IdentityRepository(session).members(organisation_id)
        return [
            MemberView(user_id=u.id, name=u.name, email=u.email, role=m.role, since=m.created_at)
            for m, u in rows
        ]

    @put(
        "/members/{user_id:uuid}/role",
        guards=[member_of(*MANAGERS)],
        operation_id="organisation_member_role_set",
        status_code=204,
    )
    async def change_role(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[RoleChange],
    ) -> None:
        await members.change_role(
            session,
            _state(request).clock,
            organisation_id=organisation_id,
            user_id=user_id,
            role=data.role,
            by=principal_of(request),
        )

    @delete(
        "/members/{user_id:uuid}",
        guards=[member_of()],
        operation_id="organisation_member_remove",
        status_code=204,
    )
    async def remove_member(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
    ) -> None:
        """Managers remove members; anyone may leave."""
        principal = principal_of(request)
        own = principal.role_in(organisation_id)
        if user_id != principal.user_id and (own is None or own.role not in MANAGERS):
            raise Forbidden("Only owners or admins remove other members.")
        await members.remove_member(
            session,
            _state(request).clock,
            organisation_id=organisation_id,
            user_id=user_id,
            by=principal,
        )

    @post(
        "/invitations",
        guards=[member_of(*MANAGERS)],
        operation_id="invitation_create",
        status_code=201,
    )
    async def invite(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[InvitationCreate],
    ) -> Created:
        state = _state(request)
        invitation_id = await members.invite(
            session,
            state.clock,
            state.settings,
            organisation_id=organisation_id,
            email=data.email,
            role=data.role,
            by=principal_of(request),
        )
        return Created(id=invitation_id)

    @get("/invitations", guards=[member_of(*MANAGERS)], operation_id="invitation_list")
    async def list_invitations(
        self, request: Req, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> list[InvitationView]:
        rows = await IdentityRepository(session).open_invitations(
            organisation_id, _state(request).clock.now()
        )
        return [
            InvitationView(id=i.id, email=i.email, role=i.role, expires_at=i.expires_at)
            for i in rows
        ]

    @delete(
        "/invitations/{invitation_id:uuid}",
        guards=[member_of(*MANAGERS)],
        operation_id="invitation_revoke",
        status_code=204,
    )
    async def revoke_invitation(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        invitation_id: FromPath[uuid.UUID],
    ) -> None:
        await members.revoke_invitation(
            session,
            _state(request).clock,
            organisation_id=organisation_id,
            invitation_id=invitation_id,
            by=principal_of(request),
        )

    @get("/api-tokens", guards=[member_of(*MANAGERS)], operation_id="api_token_list")
    async def list_tokens(
        self, session: DbSession, organisation_id: FromPath[uuid.UUID]
    ) -> list[ApiTokenView]:
        return await api_tokens.list_tokens(session, organisation_id)

    @post(
        "/api-tokens",
        guards=[person, member_of(*MANAGERS)],
        operation_id="api_token_create",
        status_code=201,
    )
    async def create_token(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        data: JSONBody[ApiTokenCreate],
    ) -> ApiTokenCreated:
        """Create a token; its value is in this answer and nowhere else, ever."""
        return await api_tokens.create_token(
            session,
            _state(request).clock,
            organisation_id=organisation_id,
            data=data,
            by=principal_of(request),
        )

    @delete(
        "/api-tokens/{token_id:uuid}",
        guards=[person, member_of(*MANAGERS)],
        operation_id="api_token_revoke",
        status_code=200,
    )
    async def revoke_token(
        self,
        request: Req,
        session: DbSession,
        organisation_id: FromPath[uuid.UUID],
        token_id: FromPath[uuid.UUID],
    ) -> ApiTokenView:
        return await api_tokens.revoke_token(
            session,
            _state(request).clock,
            organisation_id=organisation_id,
            token_id=token_id,
            by=principal_of(request),
        )


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["administration"]
    guards = [platform_admin]

    @post("/authorities", operation_id="admin_authority_create", status_code=201)
    async def create_authority(
        self, request: Req, session: DbSession, data: JSONBody[AuthorityCreate]
    ) -> Created:
        """Create an authority; its first admin receives an invitation."""
        state = _state(request)
        organisation_id = await admin.create_authority(
            session, state.clock, state.settings, data, by=principal_of(request)
        )
        return Created(id=organisation_id)

    @get("/organisations", operation_id="admin_organisation_list")
    async def list_organisations(
        self, session: DbSession, after: Cursor = None, limit: Limit = 50
    ) -> Page[OrganisationView]:
        rows = await IdentityRepository(session).organisations(limit + 1, after)
        items = [organisation_view(o) for o in rows[:limit]]
        return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)

    @get("/users", operation_id="admin_user_list")
    async def list_users(
        self, session: DbSession, after: Cursor = None, limit: Limit = 50
    ) -> Page[UserView]:
        rows = await IdentityRepository(session).users(limit + 1, after)
        items = [
            UserView(
                id=u.id,
                email=u.email,
                name=u.name,
                verified=u.email_verified_at is not None,
                is_platform_admin=u.is_platform_admin,
            )
            for u in rows[:limit]
        ]
        return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


ROUTES = [AuthController, AccountController, OrganisationController, AdminController]
