"""The development mailbox: the mails a development instance would have sent, readable.

Without ``VERGABE_SMTP_URL`` a development instance delivers mail into its database
(``transport = "mailbox"``, :mod:`infra.mail.delivery`). ``/dev/mailbox`` lists those mails,
newest first, and shows each one as plain text with its links clickable, so that sign-up,
invitations and password resets can be followed through on one machine. The app factory adds
these routes only when ``settings.env == "development"``; a production instance has no such
pages at all.
"""

from __future__ import annotations

__all__ = ["MAILBOX_SIZE", "ROUTES", "segments"]

import re
import uuid
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.http import DbSession
from infra.identity.guards import public
from infra.mail.repository import MailRepository
from infra.web.rendering import page

MAILBOX_SIZE = 200
_LINK = re.compile(r"https?://[^\s<>\"']+")


def segments(body: str) -> list[tuple[str, bool]]:
    """``body`` cut into text and links: ``(text, is_link)``, links being http(s) URLs."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for match in _LINK.finditer(body):
        if match.start() > position:
            parts.append((body[position : match.start()], False))
        parts.append((match.group(0), True))
        position = match.end()
    if position < len(body):
        parts.append((body[position:], False))
    return parts


@get("/dev/mailbox", guards=[public], include_in_schema=False, name="dev:mailbox")
async def mailbox_page(request: Request[Any, Any, Any], session: DbSession) -> Template:
    mails = await MailRepository(session).mailbox(MAILBOX_SIZE)
    return page(request, "mail/mailbox.html", mails=mails)


@get("/dev/mailbox/{mail_id:uuid}", guards=[public], include_in_schema=False, name="dev:mail")
async def mail_page(
    request: Request[Any, Any, Any], session: DbSession, mail_id: FromPath[uuid.UUID]
) -> Template:
    mail = await MailRepository(session).in_mailbox(mail_id)
    if mail is None:
        raise NotFoundException()
    return page(request, "mail/mail.html", mail=mail, body=segments(mail.body))


ROUTES: list[ControllerRouterHandler] = [mailbox_page, mail_page]
