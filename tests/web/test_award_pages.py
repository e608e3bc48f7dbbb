"""The award page of officers and evaluators (issue 8, item 7), over HTTP and in Chromium.

:class:`TestAwardPage` runs the app in process with the procurement world of
``tests/procurement/conftest.py`` and a tender whose two bids are ranked
(:func:`tests.procurement.award_support.ranked_tender`); every form is sent like a browser sends
it, urlencoded with the page's CSRF token, without following the redirect.

:class:`TestInChromium` goes through the award in Chromium on a live server of its own (worker
and scheduler embedded, on a manual clock): an officer proposes (reasons too short first), sees
that a second officer must approve; the second officer queries the competition register and
approves; the letters job sends the information letters and the page counts the standstill
down; the clock passes the day of contract, the end-of-standstill job runs, the officer records
the contracts (one dated before the day of contract first) and completes the tender; the
unsuccessful company reads its result and downloads its letter. Each page is free of WCAG 2.1
A/AA violations (axe-core), CSP violations and console errors, in German and once in English.
"""

# The world fixture of tests/procurement/conftest.py is imported by name and then requested as
# a parameter, which ruff reads as a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from procurement.award import register
from procurement.award.models import AwardProposal, Contract, RegisterQuery, ReviewApplication
from procurement.tenders.models import Tender
from tests.procurement.award_support import LOSER, REASONS, WINNER, ranked_tender
from tests.procurement.conftest import world  # noqa: F401 (fixture)
from tests.procurement.test_tenders import _count
from tests.signatures.pki import TestPki
from tests.web.identity_factories import field_in_error, summary_links
from tests.web.prequalification_support import PqApp, serving_prequalification
from tests.web.test_evaluation_pages import (
    EVALUATOR,
    OFFICER,
    OFFICER2,
    OWNERS,
    _api,
    _as,
    _checked,
    _seed,
    _submit_and_open,
)
from tests.web.test_identity_browser import Problems
from tests.web.test_tender_pages import HTML, _main, _post
from tests.worlds import World

OFFICE = "/vergabestelle/ausschreibungen"
BERLIN = ZoneInfo("Europe/Berlin")


def _page(tender: dict[str, Any] | uuid.UUID) -> str:
    tender_id = tender if isinstance(tender, uuid.UUID) else tender["id"]
    return f"{OFFICE}/{tender_id}/zuschlag"


async def _proposal(sessions: async_sessionmaker[AsyncSession], tender_id: Any) -> Any:
    async with sessions() as session:
        return await session.get(AwardProposal, uuid.UUID(str(tender_id)))


class TestAwardPage:
    async def test_only_the_authority_reads_and_only_officers_act(self, world: World) -> None:
        # Given a ranked tender
        tender = await ranked_tender(world)
        page = _page(tender)
        # Another authority's officer and a company find no such page; a visitor must log in
        for role in ("other_officer", "owner"):
            assert (await world.clients[role].get(page, headers=HTML)).status_code == 404
        anonymous = await world.clients["anonymous"].get(page, headers=HTML, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
        # The evaluator reads the page but gets no form, and may not propose
        html = _main((await world.clients["evaluator"].get(page, headers=HTML)).text)
        assert "Stand des Zuschlags" in html
        assert f'action="{page}/vorschlag"' not in html
        refused = await _post(world.clients["evaluator"], f"{page}/vorschlag", {}, page=page)
        assert refused.status_code == 403
        # The officer gets the proposal form with a choice per lot
        html = _main((await world.clients["officer"].get(page, headers=HTML)).text)
        assert f'action="{page}/vorschlag"' in html
        assert 'id="propose-winner-1"' in html
        assert 'id="propose-winner-2"' in html

    async def test_refusals_are_shown_and_change_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await ranked_tender(world)
        page = _page(tender)
        officer, officer2 = world.clients["officer"], world.clients["officer2"]
        # A POST without the CSRF token is refused
        bare = await officer.post(
            f"{page}/vorschlag", data={"reasons": REASONS}, headers=HTML, follow_redirects=False
        )
        assert bare.status_code == 403
        # Reasons too short: refused at their field, nothing proposed
        response = await _post(officer, f"{page}/vorschlag", {"reasons": "kurz"}, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == ["propose-reasons"]
        assert 'aria-invalid="true"' in response.text
        assert await _proposal(sessions, tender["id"]) is None
        # Another ranked bid without a note: refused at the lot's choice, and recorded
        before = await _count(sessions, AuditEvent, AuditEvent.action == "tender.refused")
        loser = tender["bids"][LOSER]
        form = {"reasons": REASONS, "winner-1": loser, "note-1": ""}
        response = await _post(officer, f"{page}/vorschlag", form, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == ["propose-winner-1"]
        assert field_in_error(response.text, "propose-winner-1")
        assert await _proposal(sessions, tender["id"]) is None
        after = await _count(sessions, AuditEvent, AuditEvent.action == "tender.refused")
        assert after == before + 1
        # The officer proposes; the page tells him a second officer must approve
        response = await _post(officer, f"{page}/vorschlag", {"reasons": REASONS}, page=page)
        assert response.status_code == 303
        assert response.headers["location"] == f"{page}?notice=proposed"
        html = _main((await officer.get(response.headers["location"], headers=HTML)).text)
        assert "Der Zuschlag wurde vorgeschlagen." in html
        assert "Ein zweiter Vertreter der Vergabestelle muss ihn freigeben." in html
        assert f'action="{page}/freigabe"' not in html
        assert WINNER in html
        # His own approval is refused all the same (four eyes), and recorded
        response = await _post(officer, f"{page}/freigabe", {"electronic": "yes"}, page=page)
        assert response.status_code == 403
        assert summary_links(response.text) == ["approve-form"]
        assert (await _proposal(sessions, tender["id"])).approved_at is None
        # The second officer may not approve before the competition register is asked
        response = await _post(officer2, f"{page}/freigabe", {"electronic": "yes"}, page=page)
        assert response.status_code == 409
        assert "Wettbewerbsregister" in _main(response.text)
        assert (await _proposal(sessions, tender["id"])).approved_at is None
        response = await _post(officer2, f"{page}/wettbewerbsregister", {}, page=page)
        assert response.status_code == 303
        assert "DEV-WR-" in _main((await officer2.get(page, headers=HTML)).text)
        response = await _post(officer2, f"{page}/freigabe", {"electronic": "yes"}, page=page)
        assert response.status_code == 303

        async def dispatched() -> bool:
            row = await _proposal(sessions, tender["id"])
            return row is not None and row.dispatched_at is not None

        await world.run_jobs(dispatched, "the information letters are sent")
        html = _main((await officer.get(page, headers=HTML)).text)
        assert 'data-stage="standstill"' in html
        assert LOSER in html
        # A contract during the standstill: no form, and a POST is refused in words
        assert f'action="{page}/vertraege/1"' not in html
        today = world.clock.now().astimezone(BERLIN).date().isoformat()
        response = await _post(
            officer, f"{page}/vertraege/1", {"concluded_on": today, "value": ""}, page=page
        )
        assert response.status_code == 409
        assert summary_links(response.text) == ["stage-heading"]
        assert "Stillhaltefrist" in _main(response.text)
        assert await _count(sessions, Contract) == 0
        # A review application received in the future is refused at its field
        tomorrow = (world.clock.now() + timedelta(days=2)).astimezone(BERLIN).date().isoformat()
        review = {"applicant": LOSER, "reference": "VK 1-23/26", "received_on": tomorrow}
        response = await _post(officer, f"{page}/nachpruefung", review, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == ["review-received_on"]
        assert await _count(sessions, ReviewApplication) == 0
        # A proper one holds the contract; its outcome is recorded
        response = await _post(
            officer, f"{page}/nachpruefung", {**review, "received_on": today}, page=page
        )
        assert response.status_code == 303
        html = _main((await officer.get(page, headers=HTML)).text)
        assert 'data-stage="held"' in html
        assert "VK 1-23/26" in html
        async with sessions() as session:
            (row,) = (await session.scalars(select(ReviewApplication))).all()
        resolve = f"{page}/nachpruefung/{row.id}/ausgang"
        response = await _post(officer, resolve, {"outcome": "maybe"}, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == [f"resolve-{row.id}-outcome"]
        response = await _post(officer, resolve, {"outcome": "dismissed", "note": ""}, page=page)
        assert response.status_code == 303
        html = _main((await officer.get(page, headers=HTML)).text)
        assert 'data-stage="standstill"' in html
        assert "Zurückgewiesen" in html

    async def test_answers_from_the_registers_portal_are_recorded(
        self,
        world: World,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Given an instance that queries the register on its portal, and a proposed award
        monkeypatch.setattr(register, "adapter_for", lambda settings: register.PortalRegister())
        tender = await ranked_tender(world)
        page = _page(tender)
        officer2 = world.clients["officer2"]
        response = await _post(
            world.clients["officer"], f"{page}/vorschlag", {"reasons": REASONS}, page=page
        )
        assert response.status_code == 303
        html = _main((await officer2.get(page, headers=HTML)).text)
        found = re.search(r'name="company" value="([0-9a-f-]{36})"', html)
        assert found, "no field of the company"
        company = found.group(1)
        # An answer without a reference and a choice is refused at its fields
        action = f"{page}/wettbewerbsregister"
        response = await _post(officer2, action, {"company": company}, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == [
            f"register-reference-{company}",
            f"register-entries-{company}",
        ]
        assert await _count(sessions, RegisterQuery) == 0
        # The reference and the answer as received are recorded; entries ask for a note
        answer = {
            "company": company,
            f"reference-{company}": "WR-2026-000123",
            f"entries-{company}": "yes",
            f"answer-{company}": "Eintragung nach § 2 Abs. 1 WRegG vom 3. März 2025.",
        }
        response = await _post(officer2, action, answer, page=page)
        assert response.status_code == 303
        html = _main((await officer2.get(page, headers=HTML)).text)
        assert "WR-2026-000123" in html
        assert 'id="approve-register_note"' in html
        response = await _post(officer2, f"{page}/freigabe", {"electronic": "no"}, page=page)
        assert response.status_code == 409
        assert summary_links(response.text) == ["approve-register_note"]
        assert (await _proposal(sessions, tender["id"])).approved_at is None


@dataclass(frozen=True)
class AwardServer:
    app: PqApp
    tender: uuid.UUID
    authority: uuid.UUID


async def _rank(app: PqApp, authority: uuid.UUID, tender_id: uuid.UUID) -> None:
    """Through the API: the evaluation started, everyone declared, both bids admitted and
    scored (the first company better), the ranking computed."""
    evaluation = f"/api/v1/organisations/{authority}/tenders/{tender_id}/evaluation"
    async with await _api(app, OFFICER) as officer:
        assert (await officer.post(evaluation)).status_code == 201
        for email in (OFFICER, OFFICER2, EVALUATOR):
            async with await _api(app, email) as client:
                declared = await client.post(f"{evaluation}/declaration", json={"conflict": False})
                assert declared.status_code == 201, declared.text
        bids = (await officer.get(f"{evaluation}/bids")).json()
        async with await _api(app, EVALUATOR) as evaluator:
            for bid in bids:
                admitted = await officer.post(
                    f"{evaluation}/bids/{bid['bid_id']}/admission", json={}
                )
                assert admitted.status_code == 200, admitted.text
                points = "9" if bid["company_name"] == WINNER else "6"
                for lot in (1, 2):
                    sheet = {
                        "lot": lot,
                        "scores": [{"criterion": 2, "points": points, "justification": "Gut."}],
                    }
                    scored = await evaluator.put(
                        f"{evaluation}/bids/{bid['bid_id']}/scores", json=sheet
                    )
                    assert scored.status_code == 200, scored.text
        assert (await officer.post(f"{evaluation}/ranking")).status_code == 200


@pytest.fixture(scope="module")
async def award_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[AwardServer]:
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="award"
    ) as app:
        authority, tender, companies = await _seed(app)
        await _submit_and_open(app, authority, tender, companies)
        await _rank(app, authority, tender)
        yield AwardServer(app=app, tender=tender, authority=authority)


async def _until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, f"{what}: not in time"
        await asyncio.sleep(0.2)


async def _pdf(page: Page, link: Any) -> bytes:
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    path = await download.path()
    return path.read_bytes()


@pytest.mark.browser
class TestInChromium:
    async def test_propose_approve_inform_wait_and_conclude(
        self, browser: Browser, award_server: AwardServer, axe_source: str
    ) -> None:
        app, tender_id = award_server.app, award_server.tender
        address = f"{app.url}{_page(tender_id)}"
        main = "main"
        problems = Problems()
        # The officer reaches the award from the evaluation and proposes it
        officer = await _as(browser, app, OFFICER)
        try:
            page = await officer.new_page()
            problems.watch(page)
            await page.goto(f"{app.url}{OFFICE}/{tender_id}/wertung")
            await page.get_by_role("link", name="Zuschlag", exact=True).first.click()
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Zuschlag:")
            await _checked(page, axe_source, problems)
            await page.fill("#propose-reasons", "kurz")
            await page.get_by_role("button", name="Zuschlag vorschlagen").click()
            await expect(page.locator(".vg-error-summary")).to_be_visible()
            await _checked(page, axe_source, problems)
            assert await _proposal(app.sessions, tender_id) is None
            await page.fill("#propose-reasons", REASONS)
            await page.get_by_role("button", name="Zuschlag vorschlagen").click()
            await expect(page.locator(main)).to_contain_text("Der Zuschlag wurde vorgeschlagen.")
            await expect(page.locator("#four-eyes")).to_be_visible()
            await expect(page.locator("form[action$='/freigabe']")).to_have_count(0)
            await _checked(page, axe_source, problems)
        finally:
            await officer.close()
        # The second officer queries the register and approves
        second = await _as(browser, app, OFFICER2)
        try:
            page = await second.new_page()
            problems.watch(page)
            await page.goto(address)
            await page.get_by_role("button", name="Wettbewerbsregister abfragen").click()
            await expect(page.locator(main)).to_contain_text("DEV-WR-")
            await _checked(page, axe_source, problems)
            await page.get_by_role("button", name="Zuschlag freigeben").click()
            await expect(page.locator(main)).to_contain_text("Der Zuschlag wurde freigegeben")

            async def dispatched() -> bool:
                row = await _proposal(app.sessions, tender_id)
                return row is not None and row.dispatched_at is not None

            await _until(dispatched, "the information letters")
            await page.goto(address)
            await expect(page.locator("#award-stage")).to_have_attribute("data-stage", "standstill")
            await expect(page.locator("#standstill-countdown")).to_contain_text("Tage")
            letters = page.locator("table", has_text=LOSER).get_by_role("link")
            assert (await _pdf(page, letters.first)).startswith(b"%PDF")
            await _checked(page, axe_source, problems)
        finally:
            await second.close()
        # The unsuccessful company reads its result and downloads its letter
        loser = await _as(browser, app, OWNERS["other_company"])
        try:
            page = await loser.new_page()
            problems.watch(page)
            await page.goto(f"{app.url}/angebote/{tender_id}")
            await expect(page.locator(main)).to_contain_text(
                "Auf Ihr Angebot soll der Zuschlag nicht erteilt werden"
            )
            link = page.get_by_role("link", name="Information nach § 134 GWB")
            assert (await _pdf(page, link)).startswith(b"%PDF")
            await _checked(page, axe_source, problems)
        finally:
            await loser.close()
        # The day of contract comes; the end-of-standstill job makes the contract possible
        proposal = await _proposal(app.sessions, tender_id)
        app.clock.set(proposal.contract_from_moment + timedelta(minutes=1))

        async def ended() -> bool:
            row = await _proposal(app.sessions, tender_id)
            return row is not None and row.standstill_ended_at is not None

        await _until(ended, "the end of the standstill")
        officer = await _as(browser, app, OFFICER)
        try:
            page = await officer.new_page()
            problems.watch(page)
            await page.goto(address)
            stage = page.locator("#award-stage")
            await expect(stage).to_have_attribute("data-stage", "contract-possible")
            await _checked(page, axe_source, problems)
            # A contract dated before the day of contract is refused at its field
            form = page.locator("form[action$='/vertraege/1']")
            assert proposal.standstill_last_day is not None
            await form.locator("input[name='concluded_on']").fill(
                proposal.standstill_last_day.isoformat()
            )
            await form.get_by_role("button", name="Vertrag erfassen").click()
            await expect(page.locator(".vg-error-summary")).to_be_visible()
            await expect(page.locator("#contract-1-concluded_on")).to_have_attribute(
                "aria-invalid", "true"
            )
            await _checked(page, axe_source, problems)
            assert await _count(app.sessions, Contract) == 0
            # The contracts of both lots on the day of contract, with the award's values
            for lot in (1, 2):
                form = page.locator(f"form[action$='/vertraege/{lot}']")
                await form.locator("input[name='concluded_on']").fill(
                    proposal.contract_from.isoformat()
                )
                await form.get_by_role("button", name="Vertrag erfassen").click()
                await expect(page.locator(main)).to_contain_text("Der Vertrag wurde erfasst.")
            await expect(stage).to_have_attribute("data-stage", "awarded")
            await expect(page.locator("#publication-heading")).to_be_visible()
            await expect(page.locator(main)).to_contain_text("612.345,67")
            await _checked(page, axe_source, problems)
            await page.get_by_role(
                "button", name="Ausschreibung als abgeschlossen markieren"
            ).click()
            await expect(stage).to_have_attribute("data-stage", "completed")
            await _checked(page, axe_source, problems)
        finally:
            await officer.close()
        async with app.sessions() as session:
            tender = await session.get(Tender, tender_id)
            values = list(await session.scalars(select(Contract.value).order_by(Contract.lot)))
        assert tender is not None
        assert tender.status == "completed"
        assert [str(v) for v in values] == ["612345.67", "98000.00"]
        # The evaluator reads the award in English
        evaluator = await _as(browser, app, EVALUATOR, "en")
        try:
            page = await evaluator.new_page()
            problems.watch(page)
            await page.goto(address)
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Award:")
            await expect(page.locator(main)).to_contain_text("The tender is completed.")
            await _checked(page, axe_source, problems)
        finally:
            await evaluator.close()
        assert problems.found == []
