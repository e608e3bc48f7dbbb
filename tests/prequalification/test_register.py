"""The register's reads (prequalification/register.py): the answers of verification, search and
"pre-qualified at T" for a certificate whose sealed documents are on its row, and the
statements that give them, captured on the engine: one each, none selecting the documents."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.settings import Settings
from prequalification import register
from prequalification.models import (
    Application,
    ApplicationStatus,
    Certificate,
    CertificateEvent,
    CertificateScope,
    CertificateStatus,
)
from tests.prequalification.conftest import _organisation

NUMBER = "HB-PQ-2026-000007"
BASE_URL = "https://vergabe.example"
DOCUMENTS = re.compile(r"\b(pdf|document_json|document_signature)\b")


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The queries the engine sends while the block runs (not SQLite's ``BEGIN IMMEDIATE``)."""
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


@pytest.fixture
async def issued(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> tuple[uuid.UUID, datetime]:
    """A sealed certificate (documents on the row) for works 45 and supplies 44, issued now and
    suspended ten days later; the organisation's id and the moment of issue."""
    now = clock.now()
    async with sessions() as session, session.begin():
        organisation_id = await _organisation(session, "supplier", "Muster Bau GmbH", now)
        application = Application(
            id=uuid.uuid4(),
            organisation_id=organisation_id,
            status=ApplicationStatus.APPROVED,
            categories='["supplies","works"]',
            cpv_divisions='["44","45"]',
            created_at=now,
        )
        session.add(application)
        await session.flush()
        certificate = Certificate(
            id=uuid.uuid4(),
            number=NUMBER,
            organisation_id=organisation_id,
            application_id=application.id,
            status=CertificateStatus.SUSPENDED,
            valid_from=date(2026, 3, 27),
            valid_to=date(2027, 3, 26),
            issued_at=now,
            pdf=b"%PDF-1.7 sealed" + bytes(60_000),
            document_json=b'{"number":"HB-PQ-2026-000007"}',
            document_signature=bytes(4_700),
        )
        session.add(certificate)
        await session.flush()
        session.add_all(
            [
                CertificateScope(certificate_id=certificate.id, category="works", division="45"),
                CertificateScope(certificate_id=certificate.id, category="supplies", division="44"),
                CertificateEvent(certificate_id=certificate.id, at=now, status="valid"),
                CertificateEvent(
                    certificate_id=certificate.id,
                    at=now + timedelta(days=10),
                    status="suspended",
                    reason="evidence-expired",
                ),
            ]
        )
    return organisation_id, now


class TestVerify:
    async def test_one_statement_answers_without_the_documents(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        issued: tuple[uuid.UUID, datetime],
    ) -> None:
        _organisation_id, issued_at = issued
        # When
        async with sessions() as session:
            with statements(engine) as sent:
                answer = await register.verify(
                    session,
                    profile=settings.profile,
                    base_url=BASE_URL,
                    number=NUMBER.lower() + " ",
                    now=issued_at + timedelta(days=20),
                )

        # Then
        assert answer == register.Verification(
            number=NUMBER,
            found=True,
            status_now="suspended",
            certificate=register.CertificateEntry(
                number=NUMBER,
                company_name="Muster Bau GmbH",
                city="Bremen",
                postal_code="28195",
                categories=["supplies", "works"],
                cpv_divisions=["44", "45"],
                status="suspended",
                valid_from=date(2026, 3, 27),
                valid_to=date(2027, 3, 26),
                verify_url=f"{BASE_URL}/verify/{NUMBER}",
            ),
        )
        assert len(sent) == 1
        assert not DOCUMENTS.search(sent[0])

    @pytest.mark.parametrize(
        ("after_issue", "expected"),
        [
            (timedelta(hours=-1), None),
            (timedelta(days=5), "valid"),
            (timedelta(days=11), "suspended"),
        ],
    )
    async def test_the_status_at_a_moment_comes_with_the_same_statement(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        issued: tuple[uuid.UUID, datetime],
        after_issue: timedelta,
        expected: str | None,
    ) -> None:
        _organisation_id, issued_at = issued
        async with sessions() as session:
            with statements(engine) as sent:
                answer = await register.verify(
                    session,
                    profile=settings.profile,
                    base_url=BASE_URL,
                    number=NUMBER,
                    now=issued_at + timedelta(days=20),
                    at=issued_at + after_issue,
                )

        assert (answer.status_now, answer.status_at) == ("suspended", expected)
        assert answer.at == issued_at + after_issue
        assert len(sent) == 1
        assert not DOCUMENTS.search(sent[0])

    async def test_an_unknown_number(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        async with sessions() as session:
            answer = await register.verify(
                session,
                profile=settings.profile,
                base_url=BASE_URL,
                number="HB-PQ-2026-999999",
                now=datetime.now().astimezone(),
            )
        assert answer == register.Verification(
            number="HB-PQ-2026-999999", found=False, status_now=None
        )


class TestSearch:
    async def test_a_page_is_one_statement_without_the_documents(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        issued: tuple[uuid.UUID, datetime],
    ) -> None:
        _organisation_id, issued_at = issued
        async with sessions() as session:
            with statements(engine) as sent:
                found = await register.search(
                    session,
                    profile=settings.profile,
                    base_url=BASE_URL,
                    now=issued_at + timedelta(days=20),
                    name="bau",
                    place="brem",
                    category="works",
                    status="suspended",
                )

        assert [(e.number, e.categories, e.cpv_divisions) for e in found] == [
            (NUMBER, ["supplies", "works"], ["44", "45"])
        ]
        assert len(sent) == 1
        assert not DOCUMENTS.search(sent[0])

    async def test_a_nul_character_finds_nothing(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        issued: tuple[uuid.UUID, datetime],
    ) -> None:
        # PostgreSQL refuses a NUL in a parameter; no stored text holds one anyway
        _organisation_id, issued_at = issued
        async with sessions() as session:
            by_name = await register.search(
                session, profile=settings.profile, base_url=BASE_URL, now=issued_at, name="b\x00"
            )
            by_place = await register.search(
                session, profile=settings.profile, base_url=BASE_URL, now=issued_at, place="\x00"
            )
            after = await register.search(
                session, profile=settings.profile, base_url=BASE_URL, now=issued_at, after="\x00"
            )
            verified = await register.verify(
                session,
                profile=settings.profile,
                base_url=BASE_URL,
                number=NUMBER + "\x00",
                now=issued_at,
            )

        assert (by_name, by_place, [entry.number for entry in after]) == ([], [], [NUMBER])
        assert not verified.found


class TestQualificationAt:
    async def test_answers_from_one_statement_without_the_documents(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        issued: tuple[uuid.UUID, datetime],
    ) -> None:
        organisation_id, issued_at = issued
        async with sessions() as session:
            with statements(engine) as sent:
                then = await register.qualification_at(
                    session,
                    profile=settings.profile,
                    organisation_id=organisation_id,
                    at=issued_at + timedelta(days=5),
                    category="works",
                    cpv_division="45",
                )
                later = await register.qualification_at(
                    session,
                    profile=settings.profile,
                    organisation_id=organisation_id,
                    at=issued_at + timedelta(days=11),
                )

        assert (then.qualified, then.certificate_number, then.status_at) == (True, NUMBER, "valid")
        assert (later.qualified, later.certificate_number, later.status_at) == (
            False,
            NUMBER,
            "suspended",
        )
        assert len(sent) == 2
        assert not any(DOCUMENTS.search(statement) for statement in sent)
