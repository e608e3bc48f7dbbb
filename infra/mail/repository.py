"""Reading the mail table: the development mailbox."""

from __future__ import annotations

__all__ = ["MAILBOX", "MailRepository"]

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.mail.models import Mail

MAILBOX = "mailbox"
"""The transport of mails kept in the development mailbox instead of being sent."""


class MailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mailbox(self, limit: int) -> Sequence[Mail]:
        """The newest ``limit`` mails delivered to the development mailbox, newest first."""
        query = (
            select(Mail)
            .where(Mail.transport == MAILBOX)
            .order_by(Mail.sent_at.desc(), Mail.created_at.desc(), Mail.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def in_mailbox(self, mail_id: uuid.UUID) -> Mail | None:
        """One mail of the development mailbox (``None`` if it is not there)."""
        mail = await self.session.get(Mail, mail_id)
        return mail if mail is not None and mail.transport == MAILBOX else None
