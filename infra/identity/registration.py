"""A company registers itself online; its first user confirms the e-mail address.

The company and its owner are created together; the owner can act only after following the
link mailed to them (a single-use token valid 48 hours). Duplicates by e-mail address,
Handelsregister entry or VAT id are refused with 409.
"""

from __future__ import annotations

__all__ = ["Registered", "register_company", "verify_email"]

import uuid
from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import AlreadyRegistered, TokenInvalid, WeakPassword
from infra.identity.links import mail_token_link
from infra.identity.messages import verification_mail
from infra.identity.models import Membership, Organisation, Role, User
from infra.identity.passwords import check_strength, hash_password_async
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import (
    CompanyRegistration,
    check_email,
    normalised_register,
    normalised_vat,
)
from infra.identity.secrets import digest
from infra.settings import Settings

VERIFY_EMAIL = "verify_email"
VERIFICATION_VALID = timedelta(hours=48)


class Registered(msgspec.Struct, frozen=True):
    organisation_id: uuid.UUID
    user_id: uuid.UUID


async def register_company(
    session: AsyncSession, clock: Clock, settings: Settings, data: CompanyRegistration
) -> Registered:
    """Create the company, its owner (unverified) and mail the verification link."""
    repo = IdentityRepository(session)
    now = clock.now()
    email = check_email(data.owner_email)
    register = (
        normalised_register(data.register_court, data.register_number)
        if data.register_court and data.register_number
        else None
    )
    vat_id = normalised_vat(data.vat_id) if data.vat_id else None
    weakness = check_strength(
        data.password, [email, data.owner_name, data.legal_name, *_platform_words(settings)]
    )
    if weakness:
        raise WeakPassword(f"Choose another password: {weakness}.")
    # Hash before the first query: on SQLite the transaction holds the write lock from then on.
    password_hash = await hash_password_async(data.password)
    if await repo.user_by_email(email):
        raise AlreadyRegistered("An account with this e-mail address exists; log in instead.")
    if register and await repo.organisation_by_register(*register):
        raise AlreadyRegistered(
            f"{register[0]} {register[1]} is already registered; ask its owner for an invitation."
        )
    if vat_id and await repo.organisation_by_vat(vat_id):
        raise AlreadyRegistered(f"VAT id {vat_id} is already registered.")

    organisation = Organisation(
        id=uuid.uuid4(),
        kind="supplier",
        legal_name=data.legal_name.strip(),
        street=data.street.strip(),
        postal_code=data.postal_code,
        city=data.city.strip(),
        country="DE",
        register_court=register[0] if register else None,
        register_number=register[1] if register else None,
        vat_id=vat_id,
        contact_email=check_email(data.contact_email),
        created_at=now,
    )
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=data.owner_name.strip(),
        password_hash=password_hash,
        is_platform_admin=False,
        language="de",
        created_at=now,
    )
    repo.add(organisation, user)
    await repo.flush()
    repo.add(
        Membership(
            user_id=user.id, organisation_id=organisation.id, role=Role.OWNER, created_at=now
        )
    )
    await send_verification(session, clock, settings, user)
    await record(
        session,
        now=now,
        action="organisation.register",
        object_type="organisation",
        object_id=str(organisation.id),
        actor_user_id=user.id,
        organisation_id=organisation.id,
        after={"legal_name": organisation.legal_name, "owner": email},
    )
    return Registered(organisation_id=organisation.id, user_id=user.id)


async def send_verification(
    session: AsyncSession, clock: Clock, settings: Settings, user: User
) -> None:
    """Issue a verification token and mail its link."""
    await mail_token_link(
        session,
        settings,
        user,
        purpose=VERIFY_EMAIL,
        valid_for=VERIFICATION_VALID,
        path="/verify-email",
        message=verification_mail,
        now=clock.now(),
    )


async def verify_email(session: AsyncSession, clock: Clock, token: str) -> uuid.UUID:
    """Confirm the address the token was sent to; returns the user id."""
    repo = IdentityRepository(session)
    now = clock.now()
    stored = await repo.one_time_token(digest(token), VERIFY_EMAIL)
    if stored is None or not await repo.use_one_time_token(stored.id, now):
        raise TokenInvalid("This confirmation link is invalid, expired or already used.")
    user = await repo.user(stored.user_id)
    if user is None:
        raise TokenInvalid("This confirmation link is invalid, expired or already used.")
    if user.email_verified_at is None:
        user.email_verified_at = now
    await record(
        session,
        now=now,
        action="user.verify_email",
        object_type="user",
        object_id=str(user.id),
        actor_user_id=user.id,
    )
    return user.id


def _platform_words(settings: Settings) -> list[str]:
    instance = settings.profile.instance
    return [*instance.name.values(), instance.state, "vergabe", "openvergabe"]
