"""Deliver a queued mail over SMTP, or into the development mailbox.

With ``VERGABE_SMTP_URL`` set, mail goes to that server (``smtp://`` with STARTTLS when the
server offers it, ``smtps://`` for implicit TLS, user and password from the URL). Without it,
only in development, mail stays in the local mailbox shown at ``/dev/mailbox``.
"""

from __future__ import annotations

__all__ = ["MailNotConfigured", "deliver"]

import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.mail.models import Mail
from infra.settings import Settings


class MailNotConfigured(Exception):
    """Production without an SMTP server: the mail stays queued and the job fails visibly."""


async def deliver(
    session: AsyncSession, clock: Clock, settings: Settings, mail_id: uuid.UUID
) -> str:
    """Send one mail unless it was sent already; returns what happened."""
    mail = await session.get(Mail, mail_id, with_for_update=True)
    if mail is None:
        return "missing"
    if mail.sent_at is not None:
        return "already sent"
    if settings.mail.smtp_url:
        await _smtp(settings, mail)
        mail.transport = "smtp"
    elif settings.env == "development":
        mail.transport = "mailbox"
    else:
        raise MailNotConfigured("VERGABE_SMTP_URL is not set")
    mail.sent_at = clock.now()
    return mail.transport


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = make_msgid(idstring=str(mail.id), domain=settings.profile.instance.id)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    if mail.attachment is not None:
        message.add_attachment(
            mail.attachment,
            maintype="application",
            subtype="pdf",
            filename=mail.attachment_name or "document.pdf",
        )
    return message


async def _smtp(settings: Settings, mail: Mail) -> None:
    url = urlsplit(settings.mail.smtp_url)
    implicit_tls = url.scheme == "smtps"
    await aiosmtplib.send(
        _message(settings, mail),
        hostname=url.hostname or "localhost",
        port=url.port or (465 if implicit_tls else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=implicit_tls,
        start_tls=None if not implicit_tls else False,
        timeout=30,
    )
