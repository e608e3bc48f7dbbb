"""Logging in and out, the second factor and password reset.

Every login creates a new session id (the old cookie, if any, is dropped). Failed attempts are
counted per account and per client address: after 5 failures for an account or 30 from one
address within 15 minutes, further attempts are refused for 15 minutes, with a wrong or right
password alike. Unknown accounts cost the same time as known ones (a dummy hash is checked).
A password reset ends every session of the account.
"""

from __future__ import annotations

__all__ = [
    "LoginResult",
    "complete_second_factor",
    "log_in",
    "log_out",
    "log_out_everywhere",
    "request_password_reset",
    "reset_password",
]

import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import (
    EmailNotVerified,
    IdentityError,
    InvalidCredentials,
    TokenInvalid,
    TooManyAttempts,
    WeakPassword,
)
from infra.identity.links import mail_token_link
from infra.identity.messages import password_reset_mail
from infra.identity.models import LoginThrottle, Session
from infra.identity.passwords import check_strength, hash_password_async, verify_password_async
from infra.identity.repository import IdentityRepository
from infra.identity.secrets import digest, new_secret, open_secret
from infra.identity.totp import accept_code
from infra.settings import Settings

RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose, not a password
RESET_VALID = timedelta(hours=1)
WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 30


class LoginResult(msgspec.Struct, frozen=True):
    session_token: str
    """The new session id for the cookie (shown once; only its digest is stored)."""
    second_factor_pending: bool
    user_id: uuid.UUID


async def _blocked(repo: IdentityRepository, keys: list[str], now: datetime) -> datetime | None:
    for key in keys:
        throttle = await repo.throttle(key)
        if throttle and throttle.blocked_until and throttle.blocked_until > now:
            return throttle.blocked_until
    return None


async def _count_failure(repo: IdentityRepository, key: str, limit: int, now: datetime) -> None:
    throttle = await repo.throttle(key)
    if throttle is None or throttle.window_started_at + WINDOW < now:
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0, window_started_at=now)
            repo.add(throttle)
        throttle.failures = 0
        throttle.window_started_at = now
        throttle.blocked_until = None
    throttle.failures += 1
    if throttle.failures >= limit:
        throttle.blocked_until = now + WINDOW


def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{email.lower()}", ACCOUNT_LIMIT)]
    if address:
        keys.append((f"address:{address}", ADDRESS_LIMIT))
    return keys


async def log_in(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str | None,
    user_agent: str | None,
    previous_session: str | None = None,
) -> LoginResult | IdentityError:
    """Check the password and open a new session.

    Unlike other services this one runs its own transactions, because of two facts of logging
    in: a refusal must commit (the failure count and its audit event) although the request
    fails, and checking an argon2 hash takes about 100 ms, during which no transaction may be
    open (on SQLite an open transaction holds the database's write lock). So it reads the
    account and the throttle state, verifies with no transaction open, then records the
    outcome. A refusal is returned, not raised, for the caller to raise.

    Returns:
        The new session, or :class:`TooManyAttempts` (account or address blocked for now),
        :class:`InvalidCredentials` (wrong address or password, not saying which),
        :class:`EmailNotVerified` (right password, address not confirmed yet).
    """
    now = clock.now()
    keys = _keys(email, address)
    async with sessions() as session, session.begin():
        repo = IdentityRepository(session)
        blocked_until = await _blocked(repo, [k for k, _ in keys], now)
        account = await repo.user_by_email(email)
        stored_hash = account.password_hash if account else None
        user_id = account.id if account else None
    if blocked_until:
        return TooManyAttempts(
            "Too many failed attempts. Try again later.", retry_after=blocked_until.isoformat()
        )
    valid, upgraded = await verify_password_async(stored_hash, password)
    async with sessions() as session, session.begin():
        repo = IdentityRepository(session)
        user = await repo.user(user_id) if user_id else None
        if (
            user is None
            or not valid
            or user.disabled_at is not None
            or user.password_hash != stored_hash  # changed meanwhile: check again
        ):
            for key, limit in keys:
                await _count_failure(repo, key, limit, now)
            await record(
                session,
                now=now,
                action="user.login_failed",
                object_type="user",
                object_id=str(user_id) if user_id else None,
                after={"email": email.lower(), "address": address},
            )
            return InvalidCredentials("The e-mail address or the password is wrong.")
        if user.email_verified_at is None:
            return EmailNotVerified(
                "Confirm your e-mail address first: follow the link we mailed you."
            )
        if upgraded:
            user.password_hash = upgraded
        await repo.clear_throttle(keys[0][0])
        if previous_session:
            await repo.delete_session(digest(previous_session))
        token, token_hash = new_secret()
        pending = user.totp_enabled_at is not None
        repo.add(
            Session(
                id_hash=token_hash,
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=settings.sessions.max_hours),
                second_factor_pending=pending,
                client_address=address,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
        await record(
            session,
            now=now,
            action="user.login",
            object_type="user",
            object_id=str(user.id),
            actor_user_id=user.id,
        )
    return LoginResult(session_token=token, second_factor_pending=pending, user_id=user.id)


async def complete_second_factor(
    session: AsyncSession, clock: Clock, settings: Settings, *, session_token: str, code: str
) -> IdentityError | None:
    """Accept the TOTP code for a session waiting for it; a refusal is returned (see log_in)."""
    repo = IdentityRepository(session)
    now = clock.now()
    browser = await repo.browser_session(digest(session_token))
    if browser is None or not browser.second_factor_pending:
        return InvalidCredentials("There is no login waiting for a code.")
    user = await repo.user(browser.user_id)
    key = f"totp:{browser.user_id}"
    if await _blocked(repo, [key], now):
        return TooManyAttempts("Too many wrong codes. Try again later.")
    secret = (
        open_secret(settings.secret_key, user.totp_secret) if user and user.totp_secret else None
    )
    if user is None or secret is None or not accept_code(user, secret, code, now):
        await _count_failure(repo, key, ACCOUNT_LIMIT, now)
        return InvalidCredentials("The code is wrong or has expired.")
    await repo.clear_throttle(key)
    browser.second_factor_pending = False
    browser.last_seen_at = now
    return None


async def log_out(session: AsyncSession, session_token: str) -> None:
    await IdentityRepository(session).delete_session(digest(session_token))


async def log_out_everywhere(session: AsyncSession, clock: Clock, user_id: uuid.UUID) -> int:
    """End every session of the user; returns how many."""
    ended = await IdentityRepository(session).delete_sessions_of(user_id)
    await record(
        session,
        now=clock.now(),
        action="user.logout_everywhere",
        object_type="user",
        object_id=str(user_id),
        actor_user_id=user_id,
    )
    return ended


async def request_password_reset(
    session: AsyncSession, clock: Clock, settings: Settings, email: str
) -> None:
    """Mail a reset link if the account exists; says nothing either way."""
    repo = IdentityRepository(session)
    user = await repo.user_by_email(email)
    if user is None or user.disabled_at is not None:
        return
    await mail_token_link(
        session,
        settings,
        user,
        purpose=RESET_PASSWORD,
        valid_for=RESET_VALID,
        path="/reset-password",
        message=password_reset_mail,
        now=clock.now(),
    )


async def reset_password(
    session: AsyncSession, clock: Clock, settings: Settings, *, token: str, password: str
) -> uuid.UUID:
    """Set a new password with a reset token; ends every session of the account."""
    repo = IdentityRepository(session)
    now = clock.now()
    stored = await repo.one_time_token(digest(token), RESET_PASSWORD)
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        raise TokenInvalid("This reset link is invalid, expired or already used.")
    user = await repo.user(stored.user_id)
    if user is None:
        raise TokenInvalid("This reset link is invalid, expired or already used.")
    weakness = check_strength(password, [user.email, user.name])
    if weakness:
        raise WeakPassword(f"Choose another password: {weakness}.")
    if not await repo.use_one_time_token(stored.id, now):
        raise TokenInvalid("This reset link is invalid, expired or already used.")
    user.password_hash = await hash_password_async(password)
    if user.email_verified_at is None:
        user.email_verified_at = now  # the mail reached them
    await repo.delete_sessions_of(user.id)
    await record(
        session,
        now=now,
        action="user.reset_password",
        object_type="user",
        object_id=str(user.id),
        actor_user_id=user.id,
    )
    return user.id
