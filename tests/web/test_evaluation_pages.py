"""The evaluation pages of officers and evaluators (issue 8, item 7), over HTTP.

The app runs in process with the procurement world of ``tests/procurement/conftest.py`` (an
authority with two officers and an evaluator, another authority's officer, two companies) and a
tender whose two bids two officers have opened (:func:`tests.procurement.test_evaluation.
opened_tender`). Every form is sent like a browser sends it: urlencoded, with the page's CSRF
token, without following the redirect.

:class:`TestInChromium` goes through the same pages in Chromium on a live server of its own
(:func:`tests.web.prequalification_support.serving_prequalification`, at the tests' present on
a manual clock): two companies submit their bids through the API, two officers open them, then
an officer starts the evaluation, the evaluator declares and sees the matrix, the officer
declares and admits the bids, the evaluator scores, the officer computes the ranking; each page
free of WCAG 2.1 A/AA violations (axe-core), CSP violations and console errors.
"""

# The world fixture of tests/procurement/conftest.py is imported by name and then requested as
# a parameter, which ruff reads as a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, get_args

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.identity.models import Organisation
from procurement.award.models import Assessment, Declaration, Score
from procurement.award.pages_common import GROUNDS
from procurement.award.schemas import ExclusionGround
from procurement.tenders.models import Tender
from tests.procurement.bid_support import INSURANCE, OFFER, bid_content
from tests.procurement.conftest import world  # noqa: F401 (fixture)
from tests.procurement.test_evaluation import opened_tender
from tests.procurement.test_tenders import _count
from tests.signatures.pki import TestPki
from tests.web.identity_factories import field_in_error, summary_links
from tests.web.prequalification_support import (
    PqApp,
    _session_token,
    accessible,
    serving_prequalification,
)
from tests.web.tender_support import publish_tender
from tests.web.test_identity_browser import Problems, new_context
from tests.web.test_tender_pages import HTML, _main, _post
from tests.worlds import World, organisation, person

OFFICE = "/vergabestelle/ausschreibungen"


def _base(tender: dict[str, Any]) -> str:
    return f"{OFFICE}/{tender['id']}/wertung"


async def _started(world: World) -> dict[str, Any]:
    """The opened tender, its evaluation started by the officer through the page."""
    tender = await opened_tender(world)
    base = _base(tender)
    response = await _post(world.clients["officer"], f"{base}/beginn", {}, page=base)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{base}?notice=started"
    return tender


async def _declare(world: World, tender: dict[str, Any], *roles: str) -> None:
    base = _base(tender)
    for role in roles:
        response = await _post(
            world.clients[role], f"{base}/erklaerung", {"conflict": "none"}, page=base
        )
        assert response.status_code == 303, response.text


async def _bid_ids(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """The bid ids of the evaluation by company name."""
    async with sessions() as session:
        rows = (await session.scalars(select(Assessment))).all()
        names = {o.id: o.legal_name for o in (await session.scalars(select(Organisation))).all()}
    return {names[row.organisation_id]: str(row.bid_id) for row in rows}


class TestOverview:
    def test_the_exclusion_form_offers_exactly_the_grounds_of_the_api(self) -> None:
        assert set(GROUNDS) == set(get_args(ExclusionGround))

    async def test_without_a_declaration_no_bid_content_is_shown(self, world: World) -> None:
        # Given an evaluation started by the officer
        tender = await _started(world)
        base = _base(tender)
        evaluator = world.clients["evaluator"]
        # When the evaluator opens the pages without having declared
        response = await evaluator.get(base, headers=HTML)
        html = _main(response.text)
        # Then they are asked to declare and see no company, no price, no matrix
        assert response.status_code == 200
        assert f'action="{base}/erklaerung"' in html
        assert "Interessenkonflikt" in html
        assert "Muster Bau GmbH" not in html
        assert "612.345,67" not in html
        assert "Wertungsmatrix" not in html
        for page in (f"{base}/punkte", f"{base}/rangfolge"):
            refused = await evaluator.get(page, headers=HTML)
            assert refused.status_code == 403
            assert "Muster Bau GmbH" not in refused.text
            assert f'href="{base}">Zur Erklärung</a>' in refused.text
        # And an evaluator neither starts nor decides: forbidden, like through the API
        response = await _post(evaluator, f"{base}/pruefung", {}, page=base)
        assert response.status_code == 403
        # The evaluator finds the tender in the list of evaluations; a company's owner has none
        listed = _main((await evaluator.get("/vergabestelle/wertung", headers=HTML)).text)
        assert f'href="{base}">Neubau Grundschule Am Deich: Rohbau</a>' in listed
        assert (
            await world.clients["owner"].get("/vergabestelle/wertung", headers=HTML)
        ).status_code == 403
        other = _main(
            (await world.clients["other_officer"].get("/vergabestelle/wertung", headers=HTML)).text
        )
        assert "Neubau Grundschule" not in other
        # And another authority's officer finds no such tender; a visitor must log in
        assert (await world.clients["other_officer"].get(base, headers=HTML)).status_code == 404
        anonymous = await world.clients["anonymous"].get(base, headers=HTML, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")

    async def test_a_declaration_opens_the_matrix_and_officers_decide(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await _started(world)
        base = _base(tender)
        # A declaration of a conflict without saying which is refused at its field
        response = await _post(
            world.clients["evaluator"], f"{base}/erklaerung", {"conflict": "conflict"}, page=base
        )
        assert response.status_code == 422
        assert summary_links(response.text) == ["decl-details"]
        assert await _count(sessions, Declaration) == 0
        # The evaluator and the officer declare; the matrix shows the checked bids
        await _declare(world, tender, "evaluator", "officer")
        html = _main((await world.clients["evaluator"].get(base, headers=HTML)).text)
        assert "Wertungsmatrix" in html
        assert "Muster Bau GmbH" in html
        assert "Deichbau AG" in html
        assert "Entscheidung ausstehend" in html
        assert "/zulassung" not in html  # an evaluator does not decide
        assert "Eva Wert" in html
        ids = await _bid_ids(sessions)
        company, other = ids["Muster Bau GmbH"], ids["Deichbau AG"]
        officer = world.clients["officer"]
        html = (await officer.get(base, headers=HTML)).text
        assert f'action="{base}/angebote/{company}/zulassung"' in html
        # An exclusion without ground and reason is refused field by field
        response = await _post(
            officer,
            f"{base}/angebote/{other}/ausschluss",
            {"ground": "", "reason": "kurz"},
            page=base,
        )
        assert response.status_code == 422
        prefix = f"exclude-{other}-"
        assert summary_links(response.text) == [f"{prefix}ground", f"{prefix}reason"]
        assert field_in_error(response.text, f"{prefix}ground")
        # The officer admits one bid and excludes the other
        response = await _post(
            officer, f"{base}/angebote/{company}/zulassung", {"note": ""}, page=base
        )
        assert response.status_code == 303
        reason = "Die geforderte Referenzliste fehlt auch nach Nachforderung."
        response = await _post(
            officer,
            f"{base}/angebote/{other}/ausschluss",
            {"ground": "incomplete", "reason": reason},
            page=base,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{base}?notice=excluded"
        html = _main((await officer.get(response.headers["location"], headers=HTML)).text)
        assert "Das Angebot wurde ausgeschlossen." in html
        assert reason in html
        async with sessions() as session:
            statuses = {
                str(r.bid_id): r.status for r in (await session.scalars(select(Assessment)))
            }
        assert statuses == {company: "admitted", other: "excluded"}
        # A request to the bidder with a deadline in the past is refused; a proper one is sent
        ask = f"{base}/angebote/{company}/nachfrage"
        request_form = {
            "kind": "explanation",
            "text": "Bitte erläutern Sie den Preis für Los 2.",
            "deadline": "2026-01-01",
            "deadline_time": "12:00",
        }
        response = await _post(officer, ask, request_form, page=base)
        assert response.status_code == 422
        assert summary_links(response.text) == [f"ask-{company}-deadline"]
        response = await _post(officer, ask, {**request_form, "deadline": "2026-05-15"}, page=base)
        assert response.status_code == 303
        html = _main((await officer.get(base, headers=HTML)).text)
        assert "Bitte erläutern Sie den Preis für Los 2." in html
        # An evaluator cannot decide, and a POST without the CSRF token is refused
        response = await _post(
            world.clients["evaluator"], f"{base}/angebote/{company}/zulassung", {}, page=base
        )
        assert response.status_code == 403
        bare = await officer.post(
            f"{base}/angebote/{company}/ausschluss",
            data={"ground": "other", "reason": reason},
            headers=HTML,
            follow_redirects=False,
        )
        assert bare.status_code == 403
        async with sessions() as session:
            row = (
                await session.scalars(select(Assessment).where(Assessment.status == "excluded"))
            ).one()
        assert str(row.bid_id) == other


class TestScoresAndRanking:
    async def test_points_outside_the_scale_are_refused_and_nothing_is_stored(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await _started(world)
        base = _base(tender)
        await _declare(world, tender, "evaluator", "officer")
        ids = await _bid_ids(sessions)
        for bid in ids.values():
            response = await _post(
                world.clients["officer"], f"{base}/angebote/{bid}/zulassung", {}, page=base
            )
            assert response.status_code == 303
        evaluator = world.clients["evaluator"]
        page = f"{base}/punkte"
        html = _main((await evaluator.get(page, headers=HTML)).text)
        company = ids["Muster Bau GmbH"]
        prefix = f"score-{company}-1-"
        assert f'id="{prefix}points-2"' in html
        assert "Punkte (0 bis 10)" in html
        # Points beyond the maximum: the field says so, nothing is stored
        form = {"bid": company, "lot": "1", "points-2": "11", "justification-2": "Sehr gut."}
        response = await _post(evaluator, page, form, page=page)
        assert response.status_code == 422
        assert summary_links(response.text) == [f"{prefix}points-2"]
        assert field_in_error(response.text, f"{prefix}points-2")
        assert 'value="11"' in response.text
        assert await _count(sessions, Score) == 0
        refused = await _count(sessions, AuditEvent, AuditEvent.action == "tender.refused")
        assert refused == 1
        # Not a number either
        response = await _post(evaluator, page, {**form, "points-2": "gut"}, page=page)
        assert response.status_code == 422
        assert await _count(sessions, Score) == 0
        # Points on the scale in German notation are stored and shown again
        response = await _post(evaluator, page, {**form, "points-2": "7,5"}, page=page)
        assert response.status_code == 303
        assert response.headers["location"] == f"{page}?notice=scored"
        async with sessions() as session:
            (stored,) = (await session.scalars(select(Score))).all()
        assert stored.points == Decimal("7.50")
        html = _main((await evaluator.get(page, headers=HTML)).text)
        assert f'id="{prefix}points-2" name="points-2" type="text" value="7,5"' in html
        # Another person sees only their own (empty) points
        html = _main((await world.clients["officer"].get(page, headers=HTML)).text)
        assert 'value="7,5"' not in html

    async def test_the_ranking_says_what_is_missing_and_then_shows_each_lot(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await _started(world)
        base = _base(tender)
        page = f"{base}/rangfolge"
        await _declare(world, tender, "evaluator", "officer")
        officer = world.clients["officer"]
        html = _main((await officer.get(page, headers=HTML)).text)
        assert "Es gilt keine Rangfolge" in html
        # Undecided bids: refused in words, naming them
        response = await _post(officer, page, {}, page=page)
        assert response.status_code == 409
        assert "Lassen Sie jedes Angebot zu oder schließen Sie es aus" in response.text
        assert "Deichbau AG" in _main(response.text)
        ids = await _bid_ids(sessions)
        for bid in ids.values():
            await _post(officer, f"{base}/angebote/{bid}/zulassung", {}, page=base)
        # Points missing: refused with the list of what is missing
        response = await _post(officer, page, {}, page=page)
        assert response.status_code == 409
        assert "Punkte fehlen" in response.text
        # The evaluator scores every bid in every lot; the officer computes the ranking
        evaluator, scores = world.clients["evaluator"], f"{base}/punkte"
        for company, points in (("Muster Bau GmbH", "8"), ("Deichbau AG", "6")):
            for lot in ("1", "2"):
                form = {"bid": ids[company], "lot": lot, "points-2": points}
                response = await _post(evaluator, scores, form, page=scores)
                assert response.status_code == 303
        response = await _post(officer, page, {}, page=page)
        assert response.status_code == 303
        html = _main((await evaluator.get(page, headers=HTML)).text)
        assert "Los 1: Rohbau" in html
        assert "Los 2: Gerüst" in html
        assert "Ungewöhnlich niedriger Preis" in html
        assert re.search(r"<td[^>]*>1</td>\s*<th[^>]*>Muster Bau GmbH</th>", html)
        assert "8 von 10" in html
        assert '/rangfolge" novalidate' not in html  # an evaluator does not compute it


OFFICER = "officer@immobilien.bremen.example"
OFFICER2 = "officer2@immobilien.bremen.example"
EVALUATOR = "evaluator@immobilien.bremen.example"
OWNERS = {"company": "owner@musterbau.example", "other_company": "owner@deichbau.example"}


@dataclass(frozen=True)
class EvaluationServer:
    app: PqApp
    tender: uuid.UUID
    authority: uuid.UUID


async def _seed(app: PqApp) -> tuple[uuid.UUID, uuid.UUID, dict[str, uuid.UUID]]:
    """The authority with two officers and an evaluator, two companies with their owners, a
    published tender; returns the authority, the tender and the companies."""
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        authority = await organisation(
            session, "authority", "Freie Hansestadt Bremen, Immobilien Bremen", now
        )
        companies = {
            "company": await organisation(session, "supplier", "Muster Bau GmbH", now),
            "other_company": await organisation(session, "supplier", "Deichbau AG", now),
        }
        officer_id = await person(session, OFFICER, "Olga Vergabe", now, authority, "officer")
        await person(session, OFFICER2, "Otto Zweit", now, authority, "officer")
        await person(session, EVALUATOR, "Eva Wert", now, authority, "evaluator")
        await person(session, OWNERS["company"], "Alice Muster", now, companies["company"], "owner")
        await person(
            session, OWNERS["other_company"], "Dora Deich", now, companies["other_company"], "owner"
        )
    tender = await publish_tender(
        app, authority=authority, officer_id=officer_id, email=OFFICER, name="Olga Vergabe"
    )
    return authority, tender.id, companies


async def _api(app: PqApp, email: str) -> httpx.AsyncClient:
    token = await _session_token(app.settings, app.sessions, app.clock, email)
    return httpx.AsyncClient(base_url=app.url, cookies={"vergabe_session": token}, timeout=30)


async def _submit_and_open(
    app: PqApp, authority: uuid.UUID, tender_id: uuid.UUID, companies: dict[str, uuid.UUID]
) -> None:
    """Each company submits its bid through the API; after the deadline two officers open."""
    for key, company in companies.items():
        async with await _api(app, OWNERS[key]) as client:
            response = await client.post(
                f"/api/v1/organisations/{company}/bids/{tender_id}/submission",
                data={
                    "content": json.dumps(bid_content(key)),
                    "requirements": json.dumps(["offer", "liability-insurance"]),
                },
                files=[
                    ("documents", ("angebot.pdf", OFFER, "application/pdf")),
                    ("documents", ("haftpflicht.pdf", INSURANCE, "application/pdf")),
                ],
            )
            assert response.status_code == 201, response.text
        app.clock.advance(timedelta(seconds=30))
    async with app.sessions() as session:
        tender = await session.get(Tender, tender_id)
        assert tender is not None
        assert tender.submission_deadline is not None
        deadline = tender.submission_deadline
    app.clock.set(deadline + timedelta(minutes=5))
    opening = f"/api/v1/organisations/{authority}/tenders/{tender_id}/opening"
    async with await _api(app, OFFICER) as client:
        assert (await client.post(opening)).status_code == 201
    async with await _api(app, OFFICER2) as client:
        assert (await client.post(f"{opening}/confirmation")).status_code == 200


@pytest.fixture(scope="module")
async def evaluation_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[EvaluationServer]:
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="evaluation"
    ) as app:
        authority, tender, companies = await _seed(app)
        await _submit_and_open(app, authority, tender, companies)
        yield EvaluationServer(app=app, tender=tender, authority=authority)


async def _as(browser: Browser, app: PqApp, email: str, language: str = "de") -> BrowserContext:
    token = await _session_token(app.settings, app.sessions, app.clock, email)
    context = await new_context(browser, language)
    await context.add_cookies([{"name": "vergabe_session", "value": token, "url": app.url}])
    return context


async def _checked(page: Page, axe_source: str, problems: Problems) -> None:
    await accessible(page, axe_source)
    assert await problems.csp_violations(page) == []


async def _declare_in(page: Page) -> None:
    await page.check("#decl-conflict-none")
    await page.get_by_role("button", name="Erklärung abgeben").click()
    await expect(page.get_by_role("heading", name="Wertungsmatrix")).to_be_visible()


@pytest.mark.browser
class TestInChromium:
    async def test_declare_decide_score_and_rank(
        self, browser: Browser, evaluation_server: EvaluationServer, axe_source: str
    ) -> None:
        app = evaluation_server.app
        base = f"{app.url}{OFFICE}/{evaluation_server.tender}/wertung"
        problems = Problems()
        # The officer finds the evaluation on the tender's page and starts it
        officer = await _as(browser, app, OFFICER)
        try:
            page = await officer.new_page()
            problems.watch(page)
            await page.goto(f"{app.url}{OFFICE}/{evaluation_server.tender}")
            await page.get_by_role("link", name="Wertung der Angebote").click()
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Wertung:")
            await _checked(page, axe_source, problems)
            await page.get_by_role("button", name="Wertung beginnen").click()
            await expect(page.locator("main")).to_contain_text("Die Wertung hat begonnen")
            # Nothing of the bids before the declaration
            await expect(page.locator("main")).not_to_contain_text("Muster Bau GmbH")
            await _checked(page, axe_source, problems)
            await _declare_in(page)
            await _checked(page, axe_source, problems)
            # It admits both bids
            for index in range(2):
                section = page.locator("section.vg-bid").nth(index)
                await section.locator("summary", has_text="Angebot zulassen").click()
                await section.get_by_role("button", name="Zulassen", exact=True).click()
                await expect(page.locator("main")).to_contain_text("Das Angebot wurde zugelassen.")
            admitted = page.locator("tbody .kern-badge", has_text="Zugelassen")
            await expect(admitted).to_have_count(2)
        finally:
            await officer.close()
        # The evaluator declares, sees the matrix and gives points (one out of the scale first)
        evaluator = await _as(browser, app, EVALUATOR)
        try:
            page = await evaluator.new_page()
            problems.watch(page)
            await page.goto(f"{app.url}/vergabestelle/wertung")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Wertung von Angeboten")
            await _checked(page, axe_source, problems)
            await page.get_by_role("link", name="Neubau Grundschule Am Deich: Rohbau").click()
            await expect(page.locator("#decl-conflict-none")).to_be_visible()
            await _checked(page, axe_source, problems)
            await _declare_in(page)
            await expect(page.locator("main")).to_contain_text("Deichbau AG")
            await _checked(page, axe_source, problems)
            await page.get_by_role("link", name="Ihre Punkte (Bewertungsbogen)").first.click()
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Bewertung:")
            await _checked(page, axe_source, problems)
            sheets = page.locator("form[action$='/punkte']")
            assert await sheets.count() == 4
            await sheets.nth(0).locator("input[name='points-2']").fill("12")
            await sheets.nth(0).get_by_role("button", name="Punkte speichern").click()
            await expect(page.locator(".vg-error-summary")).to_contain_text("außerhalb der Skala")
            await _checked(page, axe_source, problems)
            for index, points in enumerate(("8", "7,5", "6", "6,5")):
                sheet = page.locator("form[action$='/punkte']").nth(index)
                await sheet.locator("input[name='points-2']").fill(points)
                await sheet.locator("textarea[name='justification-2']").fill("Schlüssiges Konzept.")
                await sheet.get_by_role("button", name="Punkte speichern").click()
                await expect(page.locator("main")).to_contain_text(
                    "Ihre Punkte wurden gespeichert."
                )
        finally:
            await evaluator.close()
        # The officer computes the ranking; the evaluator reads it in English
        officer = await _as(browser, app, OFFICER)
        try:
            page = await officer.new_page()
            problems.watch(page)
            await page.goto(f"{base}/rangfolge")
            await page.get_by_role("button", name="Rangfolge berechnen").click()
            await expect(page.locator("main")).to_contain_text("Die Rangfolge wurde berechnet.")
            await expect(page.get_by_role("heading", name="Los 1: Rohbau")).to_be_visible()
            await _checked(page, axe_source, problems)
        finally:
            await officer.close()
        evaluator = await _as(browser, app, EVALUATOR, "en")
        try:
            page = await evaluator.new_page()
            problems.watch(page)
            for address, heading in (
                (f"{base}/rangfolge", "Ranking:"),
                (f"{base}/punkte", "Scoring:"),
                (base, "Evaluation:"),
            ):
                await page.goto(address)
                await expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
                await _checked(page, axe_source, problems)
            await page.goto(f"{base}/rangfolge")
            await expect(page.locator("main")).to_contain_text("Muster Bau GmbH")
        finally:
            await evaluator.close()
        assert problems.found == []
