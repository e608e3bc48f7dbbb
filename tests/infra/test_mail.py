"""Mail goes out through real SMTP from a job (issue 3, item 1), here to a local aiosmtpd."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.jobs.models import Job, JobState
from infra.jobs.runner import JobRunner
from infra.mail.models import Mail
from infra.mail.outbox import queue_mail
from infra.settings import MailSettings, Settings
from tests.jobs.conftest import eventually
from workers import ACTORS
from workers.process import JobProcess


@dataclass
class Inbox:
    """What the local SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _with_mail(settings: Settings, smtp_url: str) -> Settings:
    return msgspec.structs.replace(settings, mail=MailSettings(smtp_url=smtp_url))


@pytest.fixture
async def mailer(
    settings: Settings, clock: ManualClock, smtp: tuple[Inbox, int]
) -> AsyncIterator[JobProcess]:
    process = JobProcess(
        _with_mail(settings, f"smtp://127.0.0.1:{smtp[1]}"),
        clock,
        worker=True,
        scheduler=False,
        periodic=(),
    )
    await process.start()
    yield process
    await process.stop()


async def _mail(sessions: async_sessionmaker[AsyncSession], mail_id: Any) -> Mail:
    async with sessions() as session:
        mail = await session.get(Mail, mail_id)
    assert mail is not None
    return mail


class TestSmtpDelivery:
    async def test_committed_mail_is_delivered_once_over_smtp(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        clock: ManualClock,
        mailer: JobProcess,
        smtp: tuple[Inbox, int],
    ) -> None:
        inbox, _ = smtp
        async with sessions() as session, session.begin():
            mail_id = await queue_mail(
                session,
                to="hanna@hafenbau.example",
                subject="Grüße / Greetings",
                body="Hallo Hanna",
                now=clock.now(),
            )
        assert await mailer.scheduler(engine).tick() == 1

        async def delivered() -> bool:
            return (await _mail(sessions, mail_id)).sent_at is not None

        await eventually(delivered, "the mail was sent")
        (message,) = inbox.messages
        assert inbox.recipients == [["hanna@hafenbau.example"]]
        assert message["Subject"] == "Grüße / Greetings"
        assert str(mail_id) in message["Message-ID"]
        assert message.get_payload(decode=True).decode().strip() == "Hallo Hanna"
        assert (await _mail(sessions, mail_id)).transport == "smtp"

        # a second delivery of the same job sends nothing more
        async with sessions() as session:
            job = await session.scalar(select(Job).where(Job.dedupe_key == f"mail:{mail_id}"))
        assert job is not None
        duplicate = JobRunner(mailer.settings, clock, ACTORS, engine=engine)
        assert await duplicate.run(str(job.id)) == "skipped"
        assert len(inbox.messages) == 1

    async def test_a_sealed_letter_travels_as_a_pdf_attachment(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        clock: ManualClock,
        mailer: JobProcess,
        smtp: tuple[Inbox, int],
    ) -> None:
        inbox, _ = smtp
        pdf = b"%PDF-1.7\n% sealed letter\n%%EOF\n"
        async with sessions() as session, session.begin():
            mail_id = await queue_mail(
                session,
                to="dora@deichbau.example",
                subject="Information nach § 134 GWB",
                body="Das Schreiben ist beigefügt.",
                now=clock.now(),
                attachment=("HB-V-2026-000001-I-01.pdf", pdf),
            )
        assert await mailer.scheduler(engine).tick() == 1

        async def delivered() -> bool:
            return (await _mail(sessions, mail_id)).sent_at is not None

        await eventually(delivered, "the mail was sent")
        (message,) = inbox.messages
        assert message.get_body(("plain",)).get_content().strip() == "Das Schreiben ist beigefügt."
        (attached,) = list(message.iter_attachments())
        assert attached.get_content_type() == "application/pdf"
        assert attached.get_filename() == "HB-V-2026-000001-I-01.pdf"
        assert attached.get_content() == pdf

    async def test_mail_of_a_rolled_back_change_is_never_sent(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        clock: ManualClock,
        mailer: JobProcess,
        smtp: tuple[Inbox, int],
    ) -> None:
        async with sessions() as session, session.begin():
            await queue_mail(session, to="x@example.de", subject="s", body="b", now=clock.now())
            await session.rollback()
        assert await mailer.scheduler(engine).tick() == 0
        assert smtp[0].messages == []

    async def test_unreachable_smtp_server_means_retry_not_loss(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        closed = _free_port()
        process = JobProcess(
            _with_mail(settings, f"smtp://127.0.0.1:{closed}"),
            clock,
            worker=True,
            scheduler=False,
            periodic=(),
        )
        await process.start()
        try:
            async with sessions() as session, session.begin():
                mail_id = await queue_mail(
                    session, to="x@example.de", subject="s", body="b", now=clock.now()
                )
            await process.scheduler(engine).tick()

            async def retried() -> bool:
                async with sessions() as session:
                    job = await session.scalar(
                        select(Job).where(Job.dedupe_key == f"mail:{mail_id}")
                    )
                return job is not None and job.state == JobState.PENDING and job.attempts == 1

            await eventually(retried, "the failed attempt was recorded for a retry")
            assert (await _mail(sessions, mail_id)).sent_at is None
        finally:
            await process.stop()


class TestDevelopmentMailbox:
    async def test_without_smtp_in_development_mail_lands_in_the_mailbox(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        assert settings.env == "development"
        assert settings.mail.smtp_url == ""
        process = JobProcess(settings, clock, worker=True, scheduler=False, periodic=())
        await process.start()
        try:
            async with sessions() as session, session.begin():
                mail_id = await queue_mail(
                    session, to="dev@example.de", subject="s", body="b", now=clock.now()
                )
            await process.scheduler(engine).tick()

            async def boxed() -> bool:
                return (await _mail(sessions, mail_id)).transport == "mailbox"

            await eventually(boxed, "the mail reached the mailbox")
        finally:
            await process.stop()
