"""The tender pages in Chromium: WCAG 2.1 A/AA (axe-core), no CSP violation, no console error.

One live server for the module (:func:`tests.web.prequalification_support.serving_prequalification`:
the app as ``vergabe run`` serves it, at the tests' present on a manual clock) with an authority,
its officer, a company and its owner; a draft with a document and a published tender with a
question. Each page is opened in German and in English: the officer's list, the editor (empty
and with its errors, the focus on the error summary), the documents with the upload form, the
checklist, the published tender's page with the inbox; the public search with its results and
the tender's page for an anonymous visitor and for the company's owner with the question form.
"""

# The live server fixture is imported by name and then requested as a parameter, which ruff
# reads as a redefinition.

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity import login
from infra.identity.models import User
from infra.identity.principal import OrgRole, Principal
from infra.settings import Settings
from procurement.tenders import authoring, clarifications, publication
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.schemas import TenderContent
from tests.infra.identity.conftest import PASSWORD
from tests.procurement.test_tenders import PDF, content
from tests.signatures.pki import TestPki
from tests.web.prequalification_support import accessible, serving_prequalification
from tests.web.test_identity_browser import Problems, new_context
from tests.worlds import organisation, person

pytestmark = pytest.mark.browser
OFFICE = "/vergabestelle/ausschreibungen"
PUBLIC = "/ausschreibungen"
OFFICER = "officer@immobilien.bremen.example"
OWNER = "owner@musterbau.example"


@dataclass(frozen=True)
class TenderServer:
    url: str
    officer_session: str
    owner_session: str
    authority: uuid.UUID
    draft: uuid.UUID
    """A draft with one document: the checklist refuses nothing but warns."""
    published: uuid.UUID
    """A published tender with one question of the company."""


def _principal(
    user_id: uuid.UUID, email: str, organisation: uuid.UUID, kind: str, role: str
) -> Principal:
    return Principal(
        kind="user",
        user_id=user_id,
        email=email,
        name=email,
        memberships={organisation: OrgRole(kind=kind, role=role)},
    )


async def _session(settings: Settings, sessions: Any, clock: ManualClock, email: str) -> str:
    result = await login.log_in(
        sessions, clock, settings, email=email, password=PASSWORD, address=None, user_agent=None
    )
    assert isinstance(result, login.LoginResult)
    return result.session_token


async def _seed(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """The authority with its officer, the company with its owner, a draft and a published
    tender with a question; returns the authority, the draft and the published tender."""
    now: datetime = clock.now()
    async with sessions() as session, session.begin():
        authority = await organisation(
            session, "authority", "Freie Hansestadt Bremen, Immobilien Bremen", now
        )
        company = await organisation(session, "supplier", "Muster Bau GmbH", now)
        await person(session, OFFICER, "Olga Vergabe", now, authority, "officer")
        await person(session, OWNER, "Alice Muster", now, company, "owner")
    async with sessions() as session:
        users = {u.email: u.id for u in (await session.scalars(select(User))).all()}
    officer = _principal(users[OFFICER], OFFICER, authority, "authority", "officer")
    owner = _principal(users[OWNER], OWNER, company, "supplier", "owner")
    profile = settings.profile
    files = DocumentFiles(settings.storage.root)
    tender_ids = []
    async with sessions() as session, session.begin():
        for title in ("Neubau Kita Hafenkante", "Neubau Grundschule Am Deich: Rohbau"):
            tender = await authoring.create_draft(
                session,
                profile=profile,
                authority_id=authority,
                content=msgspec.convert(content(title=title), TenderContent),
                by=officer,
                now=now,
            )
            await authoring.add_document(
                session,
                files=files,
                tender=tender,
                title="Leistungsverzeichnis",
                filename="leistungsverzeichnis.pdf",
                media_type="application/pdf",
                stream=io.BytesIO(PDF),
                limit=settings.signatures.max_document_bytes,
                replaces=None,
                by=officer,
                now=now,
            )
            tender_ids.append(tender)
        draft, public = tender_ids
        await publication.publish(
            session, profile=profile, tender=public, version=public.version, by=officer, now=now
        )
        await clarifications.ask(
            session,
            public_url=settings.public_url,
            profile=profile,
            tender=public,
            organisation_id=company,
            by=owner,
            text="Ist eine Baustelleneinrichtungsfläche vorhanden?",
            now=now,
        )
        return authority, draft.id, public.id


@pytest.fixture(scope="module")
async def tender_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[TenderServer]:
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="tenders"
    ) as app:
        authority, draft, published = await _seed(app.settings, app.sessions, app.clock)
        yield TenderServer(
            url=app.url,
            officer_session=await _session(app.settings, app.sessions, app.clock, OFFICER),
            owner_session=await _session(app.settings, app.sessions, app.clock, OWNER),
            authority=authority,
            draft=draft,
            published=published,
        )


async def _context(
    browser: Browser, server: TenderServer, language: str, who: str | None
) -> BrowserContext:
    context = await new_context(browser, language)
    if who is not None:
        token = server.officer_session if who == "officer" else server.owner_session
        await context.add_cookies([{"name": "vergabe_session", "value": token, "url": server.url}])
    return context


async def _checked(page: Page, axe_source: str, problems: Problems) -> None:
    await accessible(page, axe_source)
    assert await problems.csp_violations(page) == []


LANGUAGES = pytest.mark.parametrize("language", ["de", "en"])


@LANGUAGES
async def test_the_officers_pages_are_accessible(
    browser: Browser, tender_server: TenderServer, axe_source: str, language: str
) -> None:
    server = tender_server
    problems = Problems()
    context = await _context(browser, server, language, "officer")
    try:
        page = await context.new_page()
        problems.watch(page)
        # The authority's tenders
        await page.goto(server.url + OFFICE)
        await expect(page.locator(f"a[href='{OFFICE}/{server.draft}']")).to_be_visible()
        await _checked(page, axe_source, problems)
        # The editor of a new draft, then with the errors of an empty form
        await page.locator(f"a[href^='{OFFICE}/neu']").click()
        await page.wait_for_url(f"**{OFFICE}/neu?*")
        await _checked(page, axe_source, problems)
        await page.locator("form.vg-form button.kern-btn--primary[type=submit]").click()
        summary = page.locator(".vg-error-summary")
        await expect(summary).to_be_visible()
        await expect(summary).to_be_focused()
        assert await page.get_attribute("#title", "aria-invalid") == "true"
        await _checked(page, axe_source, problems)
        # The draft's documents with the upload form, and its checklist
        await page.goto(f"{server.url}{OFFICE}/{server.draft}/unterlagen")
        await expect(page.locator("#document")).to_be_visible()
        await _checked(page, axe_source, problems)
        await page.goto(f"{server.url}{OFFICE}/{server.draft}/veroeffentlichung")
        await expect(page.locator("form[action$='/veroeffentlichen']")).to_be_visible()
        await _checked(page, axe_source, problems)
        # The published tender with the question in the inbox, the company named
        await page.goto(f"{server.url}{OFFICE}/{server.published}")
        await expect(page.get_by_text("Muster Bau GmbH")).to_be_visible()
        await expect(page.locator("form[action$='/antwort'] textarea")).to_be_visible()
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    assert problems.found == []


@LANGUAGES
async def test_the_public_pages_are_accessible(
    browser: Browser, tender_server: TenderServer, axe_source: str, language: str
) -> None:
    server = tender_server
    problems = Problems()
    context = await _context(browser, server, language, None)
    try:
        page = await context.new_page()
        problems.watch(page)
        # The search with its result
        await page.goto(server.url + PUBLIC)
        link = page.locator(f"a[href='{PUBLIC}/{server.published}']")
        await expect(link).to_be_visible()
        assert await page.locator("link[rel=alternate][type='application/atom+xml']").count() == 1
        await _checked(page, axe_source, problems)
        # The tender's page for an anonymous visitor: the way to the login, no question form
        await link.click()
        await page.wait_for_url(f"{server.url}{PUBLIC}/{server.published}")
        await expect(page.locator("a[href^='/login?next=']").first).to_be_visible()
        assert await page.locator("form[action$='/fragen']").count() == 0
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    assert problems.found == []


@LANGUAGES
async def test_the_company_sees_the_question_form_accessibly(
    browser: Browser, tender_server: TenderServer, axe_source: str, language: str
) -> None:
    server = tender_server
    problems = Problems()
    context = await _context(browser, server, language, "owner")
    try:
        page = await context.new_page()
        problems.watch(page)
        await page.goto(f"{server.url}{PUBLIC}/{server.published}")
        await expect(page.locator("form[action$='/fragen'] textarea")).to_be_visible()
        await expect(page.locator("a[href*='/unterlagen/']").first).to_be_visible()
        await _checked(page, axe_source, problems)
        # An empty question is an accessible form error
        await page.locator("form[action$='/fragen'] button[type=submit]").click()
        await expect(page.locator(".vg-error-summary")).to_be_focused()
        await _checked(page, axe_source, problems)
    finally:
        await context.close()
    assert problems.found == []


async def test_a_row_is_added_without_javascript(
    browser: Browser, tender_server: TenderServer
) -> None:
    context = await new_context(browser, "de", java_script_enabled=False)
    token = tender_server.officer_session
    await context.add_cookies(
        [{"name": "vergabe_session", "value": token, "url": tender_server.url}]
    )
    try:
        page = await context.new_page()
        await page.goto(f"{tender_server.url}{OFFICE}/{tender_server.draft}/bearbeiten")
        rows = await page.locator("fieldset[id^='lot-']").count()
        await page.locator("#title").fill("Neubau Kita Hafenkante, 2. Bauabschnitt")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Los hinzufügen").click()
        assert await page.locator("fieldset[id^='lot-']").count() == rows + 1
        assert await page.input_value("#title") == "Neubau Kita Hafenkante, 2. Bauabschnitt"
    finally:
        await context.close()
