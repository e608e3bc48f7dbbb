"""A company answers the authority's request on its bid page (issue 8, item 1: § 56 Abs. 2 VgV),
over HTTP like a browser: the answer in words with the documents asked for, sealed like the bid;
the officer reads them (each read recorded); empty answers, too many files, late answers and
other companies are refused without a change."""

# The world fixture of tests/procurement/conftest.py is imported by name and then requested as
# a parameter, which ruff reads as a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.settings import Settings
from procurement.award.models import EvaluationRequest
from procurement.bids.models import BidDocument
from tests.procurement.conftest import world  # noqa: F401 (fixture)
from tests.procurement.test_evaluation import (
    bids_by_company,
    declare,
    evaluation_url,
    opened_tender,
    start,
)
from tests.procurement.test_tenders import _json
from tests.web.test_tender_pages import _post
from tests.worlds import World

LIST = b"%PDF-1.7\n% Referenzliste der Muster Bau GmbH\n%%EOF\n"
INSURANCE = b"%PDF-1.7\n% Versicherungsbestaetigung 2026\n%%EOF\n"


async def _asked(world: World, days: int = 6) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An opened tender whose officer asked the company for documents."""
    tender = await opened_tender(world)
    await start(world, tender)
    await declare(world, tender, "officer")
    company = (await bids_by_company(world, tender, "officer"))["Muster Bau GmbH"]
    deadline = (world.clock.now() + timedelta(days=days)).isoformat()
    asked = await _json(
        await world.clients["officer"].post(
            f"{evaluation_url(world, tender)}/bids/{company['bid_id']}/requests",
            json={"text": "Bitte reichen Sie die Referenzliste nach.", "deadline": deadline},
        ),
        201,
    )
    return tender, asked, company["bid_id"]


def _form(tender: dict[str, Any], asked: dict[str, Any]) -> tuple[str, str]:
    page = f"/angebote/{tender['id']}"
    return page, f"{page}/nachfragen/{asked['id']}"


async def _answer(
    world: World,
    tender: dict[str, Any],
    asked: dict[str, Any],
    text: str,
    files: list[tuple[str, bytes]],
    role: str = "member",
) -> Any:
    page, action = _form(tender, asked)
    return await _post(
        world.clients[role],
        action,
        {"answer": text},
        page=page,
        files=[("documents", (name, data, "application/pdf")) for name, data in files] or None,
    )


async def _answers(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(EvaluationRequest)
                .where(EvaluationRequest.answered_at.is_not(None))
            )
            or 0
        )


class TestAnswerPage:
    async def test_the_company_answers_with_documents_and_the_officer_reads_them(
        self, world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        tender, asked, bid_id = await _asked(world)
        page, _ = _form(tender, asked)
        # The bid page shows the request with its answer form
        html = (await world.clients["member"].get(page, headers={"accept": "text/html"})).text
        assert "Bitte reichen Sie die Referenzliste nach." in html
        assert f"/nachfragen/{asked['id']}" in html
        # When the company answers with two documents
        answered = await _answer(
            world,
            tender,
            asked,
            "Anbei die Referenzliste und die Versicherungsbestätigung.",
            [("Referenzliste.pdf", LIST), ("Versicherung.pdf", INSURANCE)],
        )
        assert answered.status_code == 303, answered.text
        # Then the page shows the answer and its documents, no more form
        html = (await world.clients["member"].get(page, headers={"accept": "text/html"})).text
        assert "Referenzliste.pdf" in html
        assert hashlib.sha256(LIST).hexdigest() in html
        assert f"/nachfragen/{asked['id']}" not in html
        # And the officer reads the answer and downloads each document (the read recorded)
        (seen,) = await _json(
            await world.clients["officer"].get(f"{evaluation_url(world, tender)}/requests")
        )
        assert [d["filename"] for d in seen["documents"]] == [
            "Referenzliste.pdf",
            "Versicherung.pdf",
        ]
        office = (
            f"/api/v1/organisations/{world.organisations['authority']}/tenders/{tender['id']}"
            f"/bids/{bid_id}/documents"
        )
        for document, data in zip(seen["documents"], (LIST, INSURANCE), strict=True):
            download = await world.clients["officer"].get(f"{office}/{document['id']}")
            assert download.status_code == 200
            assert download.content == data
        async with sessions() as session:
            reads = await session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "bid.document_read")
            )
            rows = list(await session.scalars(select(BidDocument)))
        assert reads == 2
        # And the files on disk hold ciphertext only
        for row in rows:
            stored = Path(settings.storage.root).rglob(str(row.id))
            for path in stored:
                assert b"Referenzliste" not in path.read_bytes()
        # And the company's own list of bid documents is unchanged (the answer is apart)
        company = f"/api/v1/organisations/{world.organisations['company']}/bids/{tender['id']}"
        mine = await _json(await world.clients["member"].get(company))
        assert "Referenzliste.pdf" not in [d["filename"] for d in mine["documents"]]

    async def test_empty_too_many_late_and_foreign_answers_change_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender, asked, _ = await _asked(world, days=2)
        async with sessions() as session:
            before = await session.scalar(select(func.count()).select_from(BidDocument))
        empty = await _answer(world, tender, asked, "   ", [])
        assert empty.status_code == 422
        assert "Answer in words" in empty.text or "Antworten Sie" in empty.text
        many = await _answer(
            world, tender, asked, "Sechs Dateien", [(f"{n}.pdf", LIST) for n in range(6)]
        )
        assert many.status_code == 422
        blank_file = await _answer(world, tender, asked, "Leer", [("leer.pdf", b"")])
        assert blank_file.status_code == 422
        # another company has no such request
        foreign = await _post(
            world.clients["stranger"],
            _form(tender, asked)[1],
            {"answer": "Fremd"},
            page=f"/angebote/{tender['id']}",
        )
        assert foreign.status_code == 404
        # without the CSRF token nothing is taken
        forged = await world.clients["member"].post(
            _form(tender, asked)[1],
            data={"answer": "Ohne Token"},
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        assert forged.status_code == 403
        # after the deadline the answer is refused
        world.clock.advance(timedelta(days=3))
        await world.log_in_again("member")
        late = await _answer(world, tender, asked, "Zu spät", [("spaet.pdf", LIST)])
        assert late.status_code == 409
        assert await _answers(sessions) == 0
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(BidDocument)) == before
