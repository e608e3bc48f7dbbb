"""Mail actor: sends one queued mail (idempotent: a sent mail is not sent again)."""

from __future__ import annotations

__all__ = ["SEND"]

import logging

from infra.jobs.specs import ActorSpec, JobContext
from infra.mail.delivery import deliver
from infra.mail.outbox import MAIL_SEND, SendMail

log = logging.getLogger("vergabe.mail")


async def _send(context: JobContext, payload: SendMail) -> None:
    outcome = await deliver(context.session, context.clock, context.settings, payload.mail_id)
    log.info("mail", extra={"mail_id": str(payload.mail_id), "outcome": outcome})


SEND = ActorSpec(name=MAIL_SEND, payload_type=SendMail, fn=_send)
