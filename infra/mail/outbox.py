"""Queue a mail: one row for the message and one job that sends it, in the caller's transaction.

A change that rolls back sends no mail; a committed one cannot lose its mail. The job's
dedupe key is the mail id, and the message carries ``Message-ID: <mail id@instance>``, so a
rare second delivery after a crash between sending and committing can be recognised.
"""

from __future__ import annotations

__all__ = ["MAIL_SEND", "SendMail", "queue_mail"]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.jobs import outbox
from infra.mail.models import Mail

MAIL_SEND = "mail.send"


class SendMail(msgspec.Struct, frozen=True):
    mail_id: uuid.UUID


async def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    attachment: tuple[str, bytes] | None = None,
) -> uuid.UUID:
    """Write the mail and the job that sends it; returns the mail id. ``attachment``: a PDF's
    file name and bytes, sent with the message."""
    mail = Mail(
        id=uuid.uuid4(),
        to_address=to,
        subject=subject,
        body=body,
        created_at=now,
        attachment_name=attachment[0] if attachment else None,
        attachment=attachment[1] if attachment else None,
    )
    session.add(mail)
    await session.flush()
    await outbox.enqueue(
        session,
        MAIL_SEND,
        SendMail(mail_id=mail.id),
        run_at=now,
        now=now,
        dedupe_key=f"mail:{mail.id}",
        max_attempts=8,
    )
    return mail.id
