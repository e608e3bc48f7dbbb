"""Mail a person a link carrying a single-use, expiring token (confirmation, password reset)."""

from __future__ import annotations

__all__ = ["mail_token_link"]

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infra.identity.models import OneTimeToken, User
from infra.identity.secrets import new_secret
from infra.mail.outbox import queue_mail
from infra.settings import Settings

Message = Callable[[str, str, str, str], tuple[str, str]]
"""(name, link, platform, operator) -> (subject, body), see :mod:`infra.identity.messages`."""


async def mail_token_link(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    purpose: str,
    valid_for: timedelta,
    path: str,
    message: Message,
    now: datetime,
) -> None:
    """Store a new token for ``purpose`` (only its digest) and mail ``path?token=…`` to the user."""
    token, token_hash = new_secret()
    session.add(
        OneTimeToken(
            id=uuid.uuid4(),
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    instance = settings.profile.instance
    subject, body = message(
        user.name,
        f"{settings.public_url}{path}?token={token}",
        instance.name["de"],
        instance.operator["de"],
    )
    await queue_mail(session, to=user.email, subject=subject, body=body, now=now)
