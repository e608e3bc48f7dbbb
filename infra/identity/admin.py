"""Platform administration: authorities and users are created here, never by self-service."""

from __future__ import annotations

__all__ = ["create_authority", "create_user"]

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import AlreadyRegistered, WeakPassword
from infra.identity.members import invite
from infra.identity.models import Organisation, Role, User
from infra.identity.passwords import check_strength, hash_password_async
from infra.identity.principal import Principal
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import AuthorityCreate, check_email
from infra.settings import Settings


async def create_authority(
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    data: AuthorityCreate,
    by: Principal,
) -> uuid.UUID:
    """Create a contracting authority and invite its first admin."""
    now = clock.now()
    organisation = Organisation(
        id=uuid.uuid4(),
        kind="authority",
        legal_name=data.legal_name.strip(),
        street=data.street.strip(),
        postal_code=data.postal_code,
        city=data.city.strip(),
        country="DE",
        contact_email=check_email(data.contact_email),
        created_at=now,
    )
    repo = IdentityRepository(session)
    repo.add(organisation)
    await repo.flush()
    await record(
        session,
        now=now,
        action="organisation.create_authority",
        object_type="organisation",
        object_id=str(organisation.id),
        actor_user_id=by.user_id,
        organisation_id=organisation.id,
        after={"legal_name": organisation.legal_name},
    )
    await invite(
        session,
        clock,
        settings,
        organisation_id=organisation.id,
        email=check_email(data.admin_email),
        role=Role.ADMIN,
        by=by,
    )
    return organisation.id


async def create_user(
    session: AsyncSession,
    clock: Clock,
    *,
    email: str,
    name: str,
    password: str,
    platform_admin: bool,
) -> uuid.UUID:
    """Create a verified user directly (command line, for the first platform admin)."""
    repo = IdentityRepository(session)
    email = check_email(email)
    if await repo.user_by_email(email):
        raise AlreadyRegistered(f"{email} has an account already.")
    weakness = check_strength(password, [email, name])
    if weakness:
        raise WeakPassword(f"Choose another password: {weakness}.")
    now = clock.now()
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=name.strip(),
        password_hash=await hash_password_async(password),
        email_verified_at=now,
        is_platform_admin=platform_admin,
        language="de",
        created_at=now,
    )
    repo.add(user)
    await record(
        session,
        now=now,
        action="user.create",
        object_type="user",
        object_id=str(user.id),
        after={"email": email, "platform_admin": platform_admin},
    )
    return user.id
