"""API tokens for machines: per organisation, scoped, expiring, revocable, shown once."""

from __future__ import annotations

__all__ = ["create_token", "list_tokens", "revoke_token", "token_view"]

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.errors import NotFound
from infra.identity.models import ApiToken
from infra.identity.principal import Principal
from infra.identity.repository import IdentityRepository
from infra.identity.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenView
from infra.identity.secrets import new_api_token


def token_view(token: ApiToken) -> ApiTokenView:
    return ApiTokenView(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes.split(),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


async def create_token(
    session: AsyncSession,
    clock: Clock,
    *,
    organisation_id: uuid.UUID,
    data: ApiTokenCreate,
    by: Principal,
) -> ApiTokenCreated:
    now = clock.now()
    value, prefix, token_hash = new_api_token()
    token = ApiToken(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        name=data.name.strip(),
        prefix=prefix,
        token_hash=token_hash,
        scopes=" ".join(sorted(set(data.scopes))),
        created_by=by.user_id,
        created_at=now,
        expires_at=now + timedelta(days=data.days_valid),
    )
    IdentityRepository(session).add(token)
    await record(
        session,
        now=now,
        action="api_token.create",
        object_type="api_token",
        object_id=str(token.id),
        actor_user_id=by.user_id,
        organisation_id=organisation_id,
        after={"name": token.name, "scopes": token.scopes},
    )
    return ApiTokenCreated(token=value, details=token_view(token))


async def list_tokens(session: AsyncSession, organisation_id: uuid.UUID) -> list[ApiTokenView]:
    return [token_view(t) for t in await IdentityRepository(session).api_tokens(organisation_id)]


async def revoke_token(
    session: AsyncSession,
    clock: Clock,
    *,
    organisation_id: uuid.UUID,
    token_id: uuid.UUID,
    by: Principal,
) -> ApiTokenView:
    token = await IdentityRepository(session).api_token(token_id)
    if token is None or token.organisation_id != organisation_id:
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        await record(
            session,
            now=clock.now(),
            action="api_token.revoke",
            object_type="api_token",
            object_id=str(token.id),
            actor_user_id=by.user_id,
            organisation_id=organisation_id,
        )
    return token_view(token)
