"""All SQL of the identity domain."""

from __future__ import annotations

__all__ = ["IdentityRepository"]

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import (
    ApiToken,
    Invitation,
    LoginThrottle,
    Membership,
    OneTimeToken,
    Organisation,
    Session,
    User,
)


def _count(result: Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount


class IdentityRepository:
    """SQL for organisations, users, memberships, tokens and sessions, on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *rows: object) -> None:
        self.session.add_all(rows)

    async def flush(self) -> None:
        await self.session.flush()

    # organisations -------------------------------------------------------------------------

    async def organisation(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def organisation_by_register(self, court: str, number: str) -> Organisation | None:
        return await self.session.scalar(
            select(Organisation).where(
                Organisation.register_court == court, Organisation.register_number == number
            )
        )

    async def organisation_by_vat(self, vat_id: str) -> Organisation | None:
        return await self.session.scalar(select(Organisation).where(Organisation.vat_id == vat_id))

    async def organisations(self, limit: int, after: uuid.UUID | None) -> Sequence[Organisation]:
        query = select(Organisation).order_by(Organisation.id).limit(limit)
        if after is not None:
            query = query.where(Organisation.id > after)
        return (await self.session.scalars(query)).all()

    # users ---------------------------------------------------------------------------------

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email.lower()))

    async def users(self, limit: int, after: uuid.UUID | None) -> Sequence[User]:
        query = select(User).order_by(User.id).limit(limit)
        if after is not None:
            query = query.where(User.id > after)
        return (await self.session.scalars(query)).all()

    # memberships ---------------------------------------------------------------------------

    async def membership(self, user_id: uuid.UUID, organisation_id: uuid.UUID) -> Membership | None:
        return await self.session.get(Membership, (user_id, organisation_id))

    async def memberships_of_user(
        self, user_id: uuid.UUID
    ) -> Sequence[tuple[Membership, Organisation]]:
        rows = await self.session.execute(
            select(Membership, Organisation)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.user_id == user_id)
            .order_by(Organisation.legal_name)
        )
        return [(row[0], row[1]) for row in rows]

    async def members(self, organisation_id: uuid.UUID) -> Sequence[tuple[Membership, User]]:
        rows = await self.session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.name)
        )
        return [(row[0], row[1]) for row in rows]

    async def count_role(self, organisation_id: uuid.UUID, role: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.organisation_id == organisation_id, Membership.role == role)
            )
            or 0
        )

    async def remove_membership(self, user_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(Membership).where(
                Membership.user_id == user_id, Membership.organisation_id == organisation_id
            )
        )
        return _count(result) > 0

    # invitations ---------------------------------------------------------------------------

    async def invitation(self, invitation_id: uuid.UUID) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)

    async def invitation_by_token(self, token_hash: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
        )

    async def open_invitations(
        self, organisation_id: uuid.UUID, now: datetime
    ) -> Sequence[Invitation]:
        return (
            await self.session.scalars(
                select(Invitation)
                .where(
                    Invitation.organisation_id == organisation_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > now,
                )
                .order_by(Invitation.created_at)
            )
        ).all()

    # one-time tokens -----------------------------------------------------------------------

    async def one_time_token(self, token_hash: str, purpose: str) -> OneTimeToken | None:
        return await self.session.scalar(
            select(OneTimeToken)
            .where(OneTimeToken.token_hash == token_hash, OneTimeToken.purpose == purpose)
            .with_for_update()
        )

    async def use_one_time_token(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark a token used; ``False`` if it was used or expired meanwhile."""
        result = await self.session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.id == token_id,
                OneTimeToken.used_at.is_(None),
                OneTimeToken.expires_at > now,
            )
            .values(used_at=now)
        )
        return _count(result) > 0

    # sessions ------------------------------------------------------------------------------

    async def browser_session(self, id_hash: str) -> Session | None:
        return await self.session.get(Session, id_hash)

    async def touch_session(self, id_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(Session).where(Session.id_hash == id_hash).values(last_seen_at=now)
        )

    async def delete_session(self, id_hash: str) -> None:
        await self.session.execute(delete(Session).where(Session.id_hash == id_hash))

    async def delete_sessions_of(self, user_id: uuid.UUID) -> int:
        result = await self.session.execute(delete(Session).where(Session.user_id == user_id))
        return _count(result)

    async def purge_sessions(self, expired_before: datetime, idle_before: datetime) -> int:
        result = await self.session.execute(
            delete(Session).where(
                (Session.expires_at < expired_before) | (Session.last_seen_at < idle_before)
            )
        )
        return _count(result)

    # API tokens ----------------------------------------------------------------------------

    async def api_token_by_hash(self, token_hash: str) -> ApiToken | None:
        return await self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    async def api_tokens(self, organisation_id: uuid.UUID) -> Sequence[ApiToken]:
        return (
            await self.session.scalars(
                select(ApiToken)
                .where(ApiToken.organisation_id == organisation_id)
                .order_by(ApiToken.created_at.desc())
            )
        ).all()

    async def api_token(self, token_id: uuid.UUID) -> ApiToken | None:
        return await self.session.get(ApiToken, token_id)

    async def mark_token_used(self, token_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        )

    # login throttle ------------------------------------------------------------------------

    async def throttle(self, key: str) -> LoginThrottle | None:
        return await self.session.get(LoginThrottle, key)

    async def purge_throttles(self, before: datetime) -> int:
        """Delete throttles whose window started before ``before`` and that block nobody."""
        result = await self.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.window_started_at < before,
                (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < before),
            )
        )
        return _count(result)

    async def purge_one_time_tokens(self, before: datetime) -> int:
        """Delete one-time tokens that expired before ``before``."""
        result = await self.session.execute(
            delete(OneTimeToken).where(OneTimeToken.expires_at < before)
        )
        return _count(result)

    async def clear_throttle(self, key: str) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
