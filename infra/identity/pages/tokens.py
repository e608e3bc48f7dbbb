"""Looking at the token of a link from a mail without using it up.

The pages behind mailed links (confirm the address, reset the password, accept an invitation)
show a form when the link is opened and act only when the form is sent. Before showing the
form they look whether the token can still be used, so that an expired or used link says so
at once instead of after the visitor has filled in the form.
"""

from __future__ import annotations

__all__ = ["invitation_for", "one_time_token_usable"]

from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.models import Invitation
from infra.identity.repository import IdentityRepository
from infra.identity.secrets import digest

_MAX_TOKEN_LENGTH = 200


async def one_time_token_usable(
    session: AsyncSession, clock: Clock, token: str, purpose: str
) -> bool:
    """Whether ``token`` is an unused, unexpired token for ``purpose``."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    stored = await IdentityRepository(session).one_time_token(digest(token), purpose)
    return stored is not None and stored.used_at is None and stored.expires_at > clock.now()


async def invitation_for(session: AsyncSession, clock: Clock, token: str) -> Invitation | None:
    """The open invitation ``token`` stands for (``None`` if invalid, used, revoked, expired)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    invitation = await IdentityRepository(session).invitation_by_token(digest(token))
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= clock.now()
    ):
        return None
    return invitation
