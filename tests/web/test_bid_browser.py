"""The bid pages in Chromium: a company's bid from the first upload to the sealed receipt, and
the two-person opening; WCAG 2.1 A/AA (axe-core) with no CSP violation and no console error on
the bid page, the receipt, the company's bids, the officers' opening page before, during and
after the opening (the opened bids with their prices, the minutes), in German and in English.

One live server for the module (:func:`tests.web.prequalification_support.serving_prequalification`:
the app as ``vergabe run`` serves it, with the worker that seals the receipt, at the tests'
present on a manual clock) with an authority and its two officers, a company and its owner, and
a published tender with two lots. The officers' pages are seen after the clock has been moved
past the submission deadline, when the opening can be started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, expect

from procurement.tenders.models import Tender
from tests.procurement.bid_support import INSURANCE, OFFER
from tests.signatures.pki import TestPki
from tests.web.prequalification_support import (
    PqApp,
    _session_token,
    accessible,
    serving_prequalification,
)
from tests.web.tender_support import publish_tender
from tests.web.test_identity_browser import Problems, new_context
from tests.worlds import organisation, person

pytestmark = pytest.mark.browser
OFFICER = "officer@immobilien.bremen.example"
OFFICER2 = "officer2@immobilien.bremen.example"
OWNER = "owner@musterbau.example"
STEP_MS = 15_000


@dataclass(frozen=True)
class BidServer:
    app: PqApp
    tender: Tender
    owner_session: str


async def _seed(app: PqApp) -> Tender:
    """The authority with its officer, the company with its owner, a published tender."""
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        authority = await organisation(
            session, "authority", "Freie Hansestadt Bremen, Immobilien Bremen", now
        )
        company = await organisation(session, "supplier", "Muster Bau GmbH", now)
        officer_id = await person(session, OFFICER, "Olga Vergabe", now, authority, "officer")
        await person(session, OFFICER2, "Otto Zweitprüfer", now, authority, "officer")
        await person(session, OWNER, "Alice Muster", now, company, "owner")
    return await publish_tender(
        app, authority=authority, officer_id=officer_id, email=OFFICER, name="Olga Vergabe"
    )


@pytest.fixture(scope="module")
async def bid_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[BidServer]:
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="bids"
    ) as app:
        tender = await _seed(app)
        owner = await _session_token(app.settings, app.sessions, app.clock, OWNER)
        yield BidServer(app=app, tender=tender, owner_session=owner)


async def _context(browser: Browser, url: str, language: str, token: str) -> BrowserContext:
    context = await new_context(browser, language)
    await context.add_cookies([{"name": "vergabe_session", "value": token, "url": url}])
    return context


async def _checked(page: Page, axe_source: str, problems: Problems) -> None:
    await accessible(page, axe_source)
    assert await problems.csp_violations(page) == []


async def _upload(page: Page, name: str, data: bytes, purpose: str) -> None:
    """Upload through the form; the progress bar shows while the answer is held back."""
    await page.set_input_files(
        "#upload-document", files=[{"name": name, "mimeType": "application/pdf", "buffer": data}]
    )
    await page.select_option("#upload-requirement", purpose)
    async with page.expect_navigation(timeout=STEP_MS):
        await page.get_by_role("button", name="Hochladen", exact=True).click()
        await expect(page.locator("[data-upload-progress-bar] progress")).to_be_visible()
    await expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


async def test_a_company_submits_a_bid_and_the_pages_are_accessible(
    browser: Browser, bid_server: BidServer, axe_source: str
) -> None:
    server, app = bid_server, bid_server.app
    bid = f"{app.url}/angebote/{server.tender.id}"
    problems = Problems()
    uploads: list[str] = []

    async def held_back(route: Route, request: Request) -> None:
        uploads.append(request.resource_type)
        await asyncio.sleep(0.3)  # long enough to see the progress bar
        await route.continue_()

    context = await _context(browser, app.url, "de", server.owner_session)
    try:
        page = await context.new_page()
        problems.watch(page)
        await page.route("**/dokumente", held_back)
        await page.goto(bid)
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Ihr Angebot")
        await _checked(page, axe_source, problems)
        # The documents go up with the progress script (XHR), the prices in both notations
        await _upload(page, "angebot.pdf", OFFER, "offer")
        await _upload(page, "haftpflicht.pdf", INSURANCE, "liability-insurance")
        assert uploads == ["xhr", "xhr"]
        await page.fill("#price-1", "612.345,67")
        await page.fill("#price-2", "98000.00")
        await page.check("#exclusion-none")
        await page.check("#binding_period_accepted")
        await page.get_by_role("button", name="Angebot abgeben", exact=True).click()
        await page.wait_for_url("**/eingangsbestaetigungen/*?notice=submitted")
        receipt = page.url.split("?")[0]
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Eingangsbestätigung: Angebot eingegangen"
        )
        await expect(page.locator("main")).to_contain_text("2026-03-27 09:00:00 UTC")
        await _checked(page, axe_source, problems)
        # htmx swaps the link to the sealed PDF in once the worker has sealed it
        await expect(page.locator("#receipt-pdf a[download]")).to_be_visible(timeout=30_000)
        await page.goto(f"{app.url}/angebote")
        await expect(page.locator(f"a[href='/angebote/{server.tender.id}']")).to_be_visible()
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    # The same pages in English
    context = await _context(browser, app.url, "en", server.owner_session)
    try:
        page = await context.new_page()
        problems.watch(page)
        for address, heading in (
            (bid, "Your bid"),
            (receipt, "Receipt: Bid received"),
            (f"{app.url}/angebote", "My bids"),
        ):
            await page.goto(address)
            await expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            await _checked(page, axe_source, problems)
    finally:
        await context.close()
    # After the deadline the officer may start the opening
    deadline = server.tender.submission_deadline
    assert deadline is not None
    app.clock.set(deadline + timedelta(minutes=1))
    officer = await _session_token(app.settings, app.sessions, app.clock, OFFICER)
    office = f"{app.url}/vergabestelle/ausschreibungen/{server.tender.id}/angebote"
    for language, button in (("en", "Start the opening"), ("de", "Öffnung beginnen")):
        context = await _context(browser, app.url, language, officer)
        try:
            page = await context.new_page()
            problems.watch(page)
            await page.goto(office)
            await expect(page.get_by_role("button", name=button)).to_be_visible()
            await _checked(page, axe_source, problems)
            if language == "de":  # the first officer starts the opening
                await page.get_by_role("button", name=button).click()
                await expect(page.locator("main")).to_contain_text("Sie haben die Öffnung")
                await _checked(page, axe_source, problems)
        finally:
            await context.close()
    # The second officer confirms it (in English); then both see the opened bids and the minutes
    second = await _session_token(app.settings, app.sessions, app.clock, OFFICER2)
    context = await _context(browser, app.url, "en", second)
    try:
        page = await context.new_page()
        problems.watch(page)
        await page.goto(office)
        await expect(page.locator("main")).to_contain_text("Olga Vergabe started the opening")
        await _checked(page, axe_source, problems)
        await page.get_by_role("button", name="Confirm the opening").click()
        await expect(page.get_by_role("heading", name="Opened bids")).to_be_visible()
        await expect(page.locator("main")).to_contain_text("612,345.67")
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    context = await _context(browser, app.url, "de", officer)
    try:
        page = await context.new_page()
        problems.watch(page)
        await page.goto(office)
        await expect(page.get_by_role("heading", name="Geöffnete Angebote")).to_be_visible()
        await expect(page.locator("main")).to_contain_text("612.345,67")
        await expect(page.locator("main")).to_contain_text("Otto Zweitprüfer")
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    assert problems.found == []
