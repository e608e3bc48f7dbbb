"""Members of an organisation: invitations, accepting them, roles, removal.

Owners (suppliers) and admins (authorities) invite by e-mail; an invitation is single-use and
expires after 7 days. Nobody changes their own role (so no member makes themselves owner), and
an organisation always keeps at least one owner or admin. A removed member loses access at the
next request, whatever sessions they still hold.
"""

from __future__ import annotations

__all__ = ["accept_invitation", "change_role", "invite", "remove_member", "revoke_invitation"]

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import AlreadyMember, Forbidden, NotFound, TokenInvalid, WeakPassword
from infra.identity.messages import invitation_mail
from infra.identity.models import (
    ROLES_BY_KIND,
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from infra.identity.passwords import check_strength, hash_password_async
from infra.identity.principal import Principal
from infra.identity.repository import IdentityRepository
from infra.identity.secrets import digest, new_secret
from infra.mail.outbox import queue_mail
from infra.settings import Settings

INVITATION_VALID = timedelta(days=7)
MANAGERS = {OrganisationKind.SUPPLIER: Role.OWNER, OrganisationKind.AUTHORITY: Role.ADMIN}


async def _organisation(repo: IdentityRepository, organisation_id: uuid.UUID) -> Organisation:
    organisation = await repo.organisation(organisation_id)
    if organisation is None:
        raise NotFound("There is no such organisation.")
    return organisation


def _check_role(organisation: Organisation, role: str) -> None:
    if role not in ROLES_BY_KIND[OrganisationKind(organisation.kind)]:
        allowed = ", ".join(ROLES_BY_KIND[OrganisationKind(organisation.kind)])
        raise Forbidden(f"An organisation of this kind has the roles {allowed}.")


async def invite(
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    *,
    organisation_id: uuid.UUID,
    email: str,
    role: str,
    by: Principal,
) -> uuid.UUID:
    """Invite ``email`` with ``role``; mails a single-use link. Returns the invitation id."""
    repo = IdentityRepository(session)
    now = clock.now()
    organisation = await _organisation(repo, organisation_id)
    _check_role(organisation, role)
    existing = await repo.user_by_email(email)
    if existing and await repo.membership(existing.id, organisation_id):
        raise AlreadyMember(f"{email} is already a member of {organisation.legal_name}.")
    token, token_hash = new_secret()
    invitation = Invitation(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        email=email.lower(),
        role=role,
        token_hash=token_hash,
        invited_by=by.user_id,
        created_at=now,
        expires_at=now + INVITATION_VALID,
    )
    repo.add(invitation)
    instance = settings.profile.instance
    subject, body = invitation_mail(
        organisation.legal_name,
        role,
        f"{settings.public_url}/einladung?token={token}",
        instance.name["de"],
        instance.operator["de"],
    )
    await queue_mail(session, to=email.lower(), subject=subject, body=body, now=now)
    await record(
        session,
        now=now,
        action="invitation.create",
        object_type="invitation",
        object_id=str(invitation.id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        after={"email": email.lower(), "role": role},
    )
    return invitation.id


async def accept_invitation(
    session: AsyncSession,
    clock: Clock,
    *,
    token: str,
    by: Principal,
    name: str | None,
    password: str | None,
) -> uuid.UUID:
    """Join the organisation; creates the account when the invitee has none. Returns user id.

    An existing account must be logged in as the invited address; a new account gets the
    address confirmed by the invitation itself.
    """
    repo = IdentityRepository(session)
    now = clock.now()
    invitation = await repo.invitation_by_token(digest(token))
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise TokenInvalid("This invitation is invalid, expired or already used.")
    user = await repo.user_by_email(invitation.email)
    if user is not None:
        if by.user_id != user.id:
            raise Forbidden(f"Log in as {invitation.email} to accept this invitation.")
    else:
        if not name or not password:
            raise WeakPassword("Give your name and a password to create your account.")
        weakness = check_strength(password, [invitation.email, name])
        if weakness:
            raise WeakPassword(f"Choose another password: {weakness}.")
        user = User(
            id=uuid.uuid4(),
            email=invitation.email,
            name=name.strip(),
            password_hash=await hash_password_async(password),
            email_verified_at=now,
            is_platform_admin=False,
            language="de",
            created_at=now,
        )
        repo.add(user)
        await repo.flush()
    if await repo.membership(user.id, invitation.organisation_id):
        raise AlreadyMember("You are already a member of this organisation.")
    repo.add(
        Membership(
            user_id=user.id,
            organisation_id=invitation.organisation_id,
            role=invitation.role,
            created_at=now,
        )
    )
    invitation.accepted_at = now
    await record(
        session,
        now=now,
        action="invitation.accept",
        object_type="invitation",
        object_id=str(invitation.id),
        actor_user_id=user.id,
        organisation_id=invitation.organisation_id,
        after={"role": invitation.role},
    )
    return user.id


async def revoke_invitation(
    session: AsyncSession,
    clock: Clock,
    *,
    organisation_id: uuid.UUID,
    invitation_id: uuid.UUID,
    by: Principal,
) -> None:
    repo = IdentityRepository(session)
    invitation = await repo.invitation(invitation_id)
    if invitation is None or invitation.organisation_id != organisation_id:
        raise NotFound("There is no such invitation.")
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        await record(
            session,
            now=clock.now(),
            action="invitation.revoke",
            object_type="invitation",
            object_id=str(invitation.id),
            actor_user_id=by.user_id,
            organisation_id=organisation_id,
        )


async def change_role(
    session: AsyncSession,
    clock: Clock,
    *,
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    by: Principal,
) -> None:
    """Give a member another role; never one's own, and never the last manager away."""
    repo = IdentityRepository(session)
    organisation = await _organisation(repo, organisation_id)
    _check_role(organisation, role)
    if user_id == by.user_id:
        raise Forbidden("Nobody changes their own role; ask another owner or admin.")
    membership = await repo.membership(user_id, organisation_id)
    if membership is None:
        raise NotFound("This person is not a member.")
    manager = MANAGERS[OrganisationKind(organisation.kind)]
    if membership.role == manager and role != manager:
        await _keep_a_manager(repo, organisation_id, manager)
    before = membership.role
    membership.role = role
    await record(
        session,
        now=clock.now(),
        action="membership.change_role",
        object_type="membership",
        object_id=str(user_id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        before={"role": before},
        after={"role": role},
    )


async def remove_member(
    session: AsyncSession,
    clock: Clock,
    *,
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    by: Principal,
) -> None:
    """Remove a member (or leave); the organisation keeps at least one manager."""
    repo = IdentityRepository(session)
    organisation = await _organisation(repo, organisation_id)
    membership = await repo.membership(user_id, organisation_id)
    if membership is None:
        raise NotFound("This person is not a member.")
    manager = MANAGERS[OrganisationKind(organisation.kind)]
    if membership.role == manager:
        await _keep_a_manager(repo, organisation_id, manager)
    await repo.remove_membership(user_id, organisation_id)
    await record(
        session,
        now=clock.now(),
        action="membership.remove",
        object_type="membership",
        object_id=str(user_id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        before={"role": membership.role},
    )


async def _keep_a_manager(repo: IdentityRepository, organisation_id: uuid.UUID, role: str) -> None:
    if await repo.count_role(organisation_id, role) <= 1:
        raise Forbidden(f"The organisation needs at least one {role}; appoint another first.")
