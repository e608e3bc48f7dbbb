"""Resolve who is asking, once per request: a session cookie, a Bearer token, or nobody.

Requests without credentials touch no database. A session ends at its absolute expiry or
after the idle timeout; its memberships are read fresh on every request, so a member removed
from an organisation loses access at once. A Bearer token that is unknown, expired or revoked
is refused (401) rather than treated as anonymous.
"""

from __future__ import annotations

__all__ = ["SESSION_COOKIE", "AuthenticationMiddleware", "resolve_principal", "session_cookie"]

from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import Clock
from infra.identity.errors import NotAuthenticated
from infra.identity.guards import PRINCIPAL_KEY
from infra.identity.principal import ANONYMOUS, OrgRole, Principal
from infra.identity.repository import IdentityRepository
from infra.identity.secrets import API_TOKEN_PREFIX, digest
from infra.settings import Settings

SESSION_COOKIE = "vergabe_session"
TOUCH_EVERY = timedelta(minutes=1)


def session_cookie(settings: Settings, value: str | None) -> Cookie:
    """The session cookie to set (``value``) or to clear (``None``)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=value or "",
        path="/",
        httponly=True,
        secure=settings.http.behind_tls,
        samesite="lax",
        max_age=settings.sessions.max_hours * 3600 if value else 0,
    )


def _credentials(scope: Scope) -> tuple[str | None, str | None]:
    bearer = cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            bearer = text[7:].strip() if text[:7].lower() == "bearer " else ""
        elif name == b"cookie":
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header means no session
                continue
            if SESSION_COOKIE in parsed:
                cookie = parsed[SESSION_COOKIE].value or None
    return bearer, cookie


async def resolve_principal(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: Settings,
    bearer: str | None,
    cookie: str | None,
) -> Principal:
    """The principal for the given credentials; raises NotAuthenticated for a bad token."""
    if bearer is not None:
        return await _token_principal(sessions, clock, bearer)
    if cookie:
        return await _session_principal(sessions, clock, settings, cookie)
    return ANONYMOUS


async def _token_principal(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, bearer: str
) -> Principal:
    if not bearer.startswith(API_TOKEN_PREFIX) or len(bearer) > 100:
        raise NotAuthenticated("The Authorization header holds no valid API token.")
    now = clock.now()
    async with sessions() as session, session.begin():
        repo = IdentityRepository(session)
        token = await repo.api_token_by_hash(digest(bearer))
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise NotAuthenticated("This API token is unknown, expired or revoked.")
        organisation = await repo.organisation(token.organisation_id)
        if organisation is None:
            raise NotAuthenticated("This API token is unknown, expired or revoked.")
        if token.last_used_at is None or token.last_used_at + TOUCH_EVERY < now:
            await repo.mark_token_used(token.id, now)
        return Principal(
            kind="token",
            memberships={organisation.id: OrgRole(kind=organisation.kind, role="token")},
            scopes=frozenset(token.scopes.split()),
            token_id=token.id,
        )


async def _session_principal(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings, cookie: str
) -> Principal:
    now = clock.now()
    id_hash = digest(cookie)
    idle = timedelta(minutes=settings.sessions.idle_minutes)
    async with sessions() as session, session.begin():
        repo = IdentityRepository(session)
        browser = await repo.browser_session(id_hash)
        if browser is None:
            return ANONYMOUS
        if browser.expires_at <= now or browser.last_seen_at + idle <= now:
            await repo.delete_session(id_hash)
            return ANONYMOUS
        user = await repo.user(browser.user_id)
        if user is None or user.disabled_at is not None:
            await repo.delete_session(id_hash)
            return ANONYMOUS
        if browser.second_factor_pending:
            return Principal(kind="anonymous", session_id_hash=id_hash, second_factor_pending=True)
        if browser.last_seen_at + TOUCH_EVERY < now:
            await repo.touch_session(id_hash, now)
        memberships = {
            m.organisation_id: OrgRole(kind=o.kind, role=m.role)
            for m, o in await repo.memberships_of_user(user.id)
        }
        return Principal(
            kind="user",
            user_id=user.id,
            email=user.email,
            name=user.name,
            is_platform_admin=user.is_platform_admin,
            second_factor=user.totp_enabled_at is not None,
            memberships=memberships,
            session_id_hash=id_hash,
        )


class AuthenticationMiddleware:
    """Puts the request's :class:`Principal` into the scope for the guards and handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            bearer, cookie = _credentials(scope)
            principal = ANONYMOUS
            if bearer is not None or cookie:
                state: Any = scope["litestar_app"].state
                principal = await resolve_principal(
                    state.sessions, state.clock, state.settings, bearer, cookie
                )
            scope[PRINCIPAL_KEY] = principal  # type: ignore[literal-required]
        await self.app(scope, receive, send)
