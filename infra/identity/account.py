"""One's own account: what it is, and the TOTP second factor (RFC 6238).

Setting up shows the secret once; it is enabled only after a first valid code proves the
authenticator app has it. Platform administrators cannot act until it is enabled.
"""

from __future__ import annotations

__all__ = ["account_view", "confirm_totp", "disable_totp", "pending_totp", "start_totp"]

import uuid

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import Forbidden, InvalidCredentials, NotFound
from infra.identity.models import Organisation
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import AccountView, MembershipView, OrganisationView, TotpSetup
from infra.identity.secrets import open_secret, seal_secret
from infra.identity.totp import accept_code
from infra.settings import Settings


def organisation_view(organisation: Organisation) -> OrganisationView:
    return OrganisationView(
        id=organisation.id,
        kind=organisation.kind,
        legal_name=organisation.legal_name,
        street=organisation.street,
        postal_code=organisation.postal_code,
        city=organisation.city,
        country=organisation.country,
        register_court=organisation.register_court,
        register_number=organisation.register_number,
        vat_id=organisation.vat_id,
        contact_email=organisation.contact_email,
    )


async def account_view(session: AsyncSession, user_id: uuid.UUID) -> AccountView:
    repo = IdentityRepository(session)
    user = await repo.user(user_id)
    if user is None:
        raise NotFound("There is no such account.")
    memberships = await repo.memberships_of_user(user_id)
    return AccountView(
        id=user.id,
        email=user.email,
        name=user.name,
        is_platform_admin=user.is_platform_admin,
        second_factor=user.totp_enabled_at is not None,
        memberships=[
            MembershipView(organisation=organisation_view(o), role=m.role) for m, o in memberships
        ],
    )


async def start_totp(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> TotpSetup:
    """A new secret for the authenticator app (replaces any unconfirmed one)."""
    user = await IdentityRepository(session).user(user_id)
    if user is None:
        raise NotFound("There is no such account.")
    if user.totp_enabled_at is not None:
        raise Forbidden("The second factor is already set up; turn it off first.")
    secret = pyotp.random_base32()
    user.totp_secret = seal_secret(settings.secret_key, secret)
    return _setup(settings, user.email, secret)


async def pending_totp(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> TotpSetup | None:
    """The secret started but not yet confirmed, to show again after a wrong code."""
    user = await IdentityRepository(session).user(user_id)
    if user is None or user.totp_secret is None or user.totp_enabled_at is not None:
        return None
    secret = open_secret(settings.secret_key, user.totp_secret)
    return _setup(settings, user.email, secret) if secret else None


def _setup(settings: Settings, email: str, secret: str) -> TotpSetup:
    issuer = settings.profile.instance.name["de"]
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    return TotpSetup(secret=secret, otpauth_uri=uri)


async def confirm_totp(
    session: AsyncSession, clock: Clock, settings: Settings, user_id: uuid.UUID, code: str
) -> None:
    """Enable the second factor once a code from the app matches."""
    user = await IdentityRepository(session).user(user_id)
    if user is None or user.totp_secret is None or user.totp_enabled_at is not None:
        raise Forbidden("Start setting up the second factor first.")
    secret = open_secret(settings.secret_key, user.totp_secret)
    if secret is None or not accept_code(user, secret, code, clock.now()):
        raise InvalidCredentials("The code is wrong or has expired.")
    user.totp_enabled_at = clock.now()
    await record(
        session,
        now=clock.now(),
        action="user.totp_enable",
        object_type="user",
        object_id=str(user.id),
        actor_user_id=user.id,
    )


async def disable_totp(
    session: AsyncSession, clock: Clock, settings: Settings, user_id: uuid.UUID, code: str
) -> None:
    """Turn the second factor off with a current code; platform admins cannot."""
    user = await IdentityRepository(session).user(user_id)
    if user is None or user.totp_enabled_at is None or user.totp_secret is None:
        raise Forbidden("The second factor is not set up.")
    if user.is_platform_admin:
        raise Forbidden("Platform administrators must keep the second factor.")
    secret = open_secret(settings.secret_key, user.totp_secret)
    if secret is None or not accept_code(user, secret, code, clock.now()):
        raise InvalidCredentials("The code is wrong or has expired.")
    user.totp_enabled_at = None
    user.totp_secret = None
    await record(
        session,
        now=clock.now(),
        action="user.totp_disable",
        object_type="user",
        object_id=str(user.id),
        actor_user_id=user.id,
    )
