"""The identity pages in Chromium: the newcomer's journey, accessibility and the CSP.

The server runs with the embedded job process, so the mails of sign-up and invitation reach
the development mailbox through the real job pipeline (outbox, scheduler, broker, worker);
the test waits for them, bounded. Every new page is checked by axe against WCAG 2.1 A and AA
in German and English, and loaded under the real Content-Security-Policy without a console
error, a failed request or a CSP violation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec
import pyotp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    expect,
)
from sqlalchemy import select

from infra.clock import SystemClock
from infra.identity import admin, api_tokens, login, members, registration
from infra.identity.models import Membership, User
from infra.identity.principal import Principal
from infra.identity.schemas import ApiTokenCreate, CompanyRegistration
from infra.identity.secrets import seal_secret
from infra.mail.models import Mail
from tests.web.conftest import JobServer
from tests.web.identity_factories import PASSWORD, company, token_in
from tests.web.test_browser import (
    HEADING_LEVELS,
    LOCALES,
    RECORD_CSP_VIOLATIONS,
    RUN_AXE,
    WCAG_TAGS,
)

pytestmark = pytest.mark.browser

MAIL_WAIT_SECONDS = 60.0
NEWCOMER = {
    "legal_name": "Deichbau Nord GmbH",
    "street": "Schlachte 12",
    "postal_code": "28195",
    "city": "Bremen",
    "contact_email": "info@deichbau.example",
    "register_court": "Bremen",
    "register_number": "HRB 4711",
    "vat_id": "DE298765435",
    "owner_name": "Jana Deich",
    "owner_email": "jana@deichbau.example",
}
COLLEAGUE = ("Ole Ostsee", "ole@deichbau.example")
RESOURCE_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of 4")


async def wait_for_mail(page: Page, server: JobServer, to: str) -> None:
    """Open the mailbox until a mail to ``to`` is listed (the worker delivers it), bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAIL_WAIT_SECONDS
    row = page.get_by_role("row").filter(has_text=to)
    while True:
        await page.goto(server.url + "/dev/mailbox")
        if await row.count():
            return
        if loop.time() > deadline:
            raise AssertionError(f"no mail to {to} in the mailbox within {MAIL_WAIT_SECONDS} s")
        await asyncio.sleep(0.2)


async def open_newest_mail(page: Page, server: JobServer, to: str) -> None:
    await wait_for_mail(page, server, to)
    await page.get_by_role("row").filter(has_text=to).first.get_by_role("link").click()
    await expect(page.get_by_text("Entwicklungs-Postfach")).to_be_visible()


class Problems:
    """Console errors, failed requests and CSP violations of the pages of one context.

    The answer of a page that is itself an error (a refused form: 4xx) is reported by Chromium
    as a failed resource of the document; that one message is expected and not a problem.
    axe runs in the same page: it is injected through the DevTools protocol, which the page's
    policy does not govern, and any violation it caused would be recorded too.
    """

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type not in ("error", "warning"):
                return
            document = message.location.get("url", "") == page.url
            if document and RESOURCE_STATUS.match(message.text):
                return
            self.found.append(f"console {message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

        def on_failed(request: Request) -> None:
            # A request the browser dropped because the page moved on (a form was sent
            # while the favicon still loaded) is no failure of the page.
            if request.failure != "net::ERR_ABORTED":
                self.found.append(f"failed {request.url}: {request.failure}")

        page.on("requestfailed", on_failed)

    async def csp_violations(self, page: Page) -> list[str]:
        violations: list[str] = await page.evaluate("window.__cspViolations || []")
        return violations


async def new_context(browser: Browser, language: str = "de", **options: bool) -> BrowserContext:
    context = await browser.new_context(locale=LOCALES[language], **options)
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    return context


class TestNewcomerJourney:
    async def test_newcomer_registers_confirms_logs_in_invites_and_the_colleague_joins(
        self, browser: Browser, server_with_jobs: JobServer
    ) -> None:
        server = server_with_jobs
        problems = Problems()
        owner = await new_context(browser)
        try:
            page = await owner.new_page()
            problems.watch(page)
            # A newcomer opens the start page and clicks "Registrieren"
            await page.goto(server.url + "/")
            await page.get_by_role("link", name="Registrieren", exact=True).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                "Unternehmen registrieren"
            )
            # fills in the form and sends it
            labels = {
                "legal_name": "Firma (vollständiger Name)",
                "street": "Straße und Hausnummer",
                "postal_code": "Postleitzahl",
                "city": "Ort",
                "contact_email": "E-Mail-Adresse des Unternehmens",
                "register_court": "Registergericht (optional)",
                "register_number": "Registernummer (optional)",
                "vat_id": "Umsatzsteuer-Identifikationsnummer (USt-IdNr.) (optional)",
                "owner_name": "Ihr Name",
                "owner_email": "Ihre E-Mail-Adresse",
            }
            for field, label in labels.items():
                await page.get_by_label(label, exact=True).fill(NEWCOMER[field])
            await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="Registrieren", exact=True).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                "Bitte prüfen Sie Ihr Postfach"
            )
            # opens the mailbox and the newest mail, follows the confirmation link, confirms
            await open_newest_mail(page, server, NEWCOMER["owner_email"])
            await page.get_by_role("link", name=re.compile("verify-email")).first.click()
            await page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
            await expect(page.get_by_role("status")).to_contain_text(
                "Ihre E-Mail-Adresse ist bestätigt"
            )
            # logs in
            await page.get_by_label("E-Mail-Adresse", exact=True).fill(NEWCOMER["owner_email"])
            await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="Anmelden", exact=True).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
            # on the organisation page invites a colleague
            await page.get_by_role("link", name=NEWCOMER["legal_name"]).first.click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(NEWCOMER["legal_name"])
            await page.get_by_label("E-Mail-Adresse", exact=True).fill(COLLEAGUE[1])
            await page.get_by_label("Rolle", exact=True).select_option("member")
            await page.get_by_role("button", name="Einladung senden").click()
            await expect(page.get_by_role("status")).to_contain_text(
                "Die Einladung wurde gesendet."
            )
            organisation_url = page.url.split("?")[0]
            assert await problems.csp_violations(page) == []
        finally:
            await owner.close()

        colleague = await new_context(browser)
        try:
            page = await colleague.new_page()
            problems.watch(page)
            # The colleague opens the mailbox and follows the invitation link
            await open_newest_mail(page, server, COLLEAGUE[1])
            await page.get_by_role("link", name=re.compile("einladung")).first.click()
            await expect(page.get_by_text(NEWCOMER["legal_name"])).to_be_visible()
            # enters name and password, accepts
            await page.get_by_label("Ihr Name", exact=True).fill(COLLEAGUE[0])
            await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="Konto anlegen und Einladung annehmen").click()
            await expect(page.get_by_role("status")).to_contain_text("Willkommen!")
            # logs in and sees the organisation
            await page.get_by_label("E-Mail-Adresse", exact=True).fill(COLLEAGUE[1])
            await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="Anmelden", exact=True).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(NEWCOMER["legal_name"])
            assert page.url == organisation_url
            members = page.get_by_role("table").first
            await expect(members).to_contain_text(NEWCOMER["owner_name"])
            await expect(members).to_contain_text(COLLEAGUE[0])
            assert await problems.csp_violations(page) == []
        finally:
            await colleague.close()
        assert problems.found == []


@dataclass
class Seeded:
    """What the pages under check show: a company, its people, links from mails."""

    organisation_id: uuid.UUID
    owner_session: str
    admin_session: str
    pending_session: str
    verify_token: str
    reset_token: str
    invitation_token: str
    mail_id: uuid.UUID


async def _mail_to(server: JobServer, to: str) -> Mail:
    async with server.sessions() as session:
        mail = await session.scalar(
            select(Mail).where(Mail.to_address == to).order_by(Mail.created_at.desc())
        )
    assert mail is not None
    return mail


async def _delivered(server: JobServer, mail_id: uuid.UUID) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAIL_WAIT_SECONDS
    while True:
        async with server.sessions() as session:
            mail = await session.get(Mail, mail_id)
        if mail is not None and mail.transport == "mailbox":
            return
        assert loop.time() < deadline, "the worker did not deliver the mail"
        await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def seeded(server_with_jobs: JobServer) -> Seeded:
    """A company with an owner, a member, an invitation and an API token; a platform admin."""
    server, clock = server_with_jobs, SystemClock()
    settings = server.settings
    async with server.sessions() as session, session.begin():
        done = await registration.register_company(
            session, clock, settings, msgspec.convert(company(1), CompanyRegistration)
        )
        unverified = await registration.register_company(
            session, clock, settings, msgspec.convert(company(3), CompanyRegistration)
        )
        owner = await session.get(User, done.user_id)
        assert owner is not None
        owner.email_verified_at = clock.now()
        member_id = await admin.create_user(
            session,
            clock,
            email="kai@hafenbau1.example",
            name="Kai Kran",
            password=PASSWORD,
            platform_admin=False,
        )
        session.add(
            Membership(
                user_id=member_id,
                organisation_id=done.organisation_id,
                role="member",
                created_at=clock.now(),
            )
        )
        by = Principal(kind="user", user_id=done.user_id)
        await members.invite(
            session,
            clock,
            settings,
            organisation_id=done.organisation_id,
            email="ute@example.de",
            role="member",
            by=by,
        )
        await api_tokens.create_token(
            session,
            clock,
            organisation_id=done.organisation_id,
            data=ApiTokenCreate(name="ERP", scopes=["organisation:read"]),
            by=by,
        )
        await login.request_password_reset(session, clock, settings, company(1)["owner_email"])
        admin_id = await admin.create_user(
            session,
            clock,
            email="admin@vergabe.example",
            name="Ada Admin",
            password=PASSWORD,
            platform_admin=True,
        )
        secret = pyotp.random_base32()
        platform_admin = await session.get(User, admin_id)
        assert platform_admin is not None
        platform_admin.totp_secret = seal_secret(settings.secret_key, secret)
        platform_admin.totp_enabled_at = clock.now()
    sessions = []
    for email in (company(1)["owner_email"], "admin@vergabe.example", "admin@vergabe.example"):
        result = await login.log_in(
            server.sessions,
            clock,
            settings,
            email=email,
            password=PASSWORD,
            address=None,
            user_agent=None,
        )
        assert isinstance(result, login.LoginResult)
        sessions.append(result.session_token)
    async with server.sessions() as session, session.begin():
        refused = await login.complete_second_factor(
            session,
            clock,
            settings,
            session_token=sessions[1],
            code=pyotp.TOTP(secret).at(clock.now()),
        )
    assert refused is None
    verify = await _mail_to(server, company(3)["owner_email"])
    await _delivered(server, verify.id)
    assert unverified.user_id
    return Seeded(
        organisation_id=done.organisation_id,
        owner_session=sessions[0],
        admin_session=sessions[1],
        pending_session=sessions[2],
        verify_token=token_in(verify.body),
        reset_token=token_in((await _mail_to(server, company(1)["owner_email"])).body),
        invitation_token=token_in((await _mail_to(server, "ute@example.de")).body),
        mail_id=verify.id,
    )


Opener = Callable[[Page, str, Seeded], Awaitable[None]]


async def _submit_empty(page: Page) -> None:
    await page.locator("main form[novalidate] button[type=submit]").first.click()


def _goto(path: str) -> Opener:
    async def open_page(page: Page, base: str, seeded: Seeded) -> None:
        await page.goto(base + path.format(s=seeded))

    return open_page


def _then_submit(path: str) -> Opener:
    """The page with its (empty) form sent: the form again, with the errors."""

    async def open_page(page: Page, base: str, seeded: Seeded) -> None:
        await page.goto(base + path.format(s=seeded))
        await _submit_empty(page)
        await expect(page.locator(".vg-error-summary")).to_be_visible()

    return open_page


async def _totp_setup(page: Page, base: str, seeded: Seeded) -> None:
    await page.goto(base + "/konto")
    await page.locator("form[action='/konto/zweiter-faktor'] button").click()
    await expect(page.locator(".vg-qr svg")).to_be_visible()


async def _new_token(page: Page, base: str, seeded: Seeded) -> None:
    await page.goto(f"{base}/organisationen/{seeded.organisation_id}")
    await page.locator("#token-name").fill("Nightly export")
    await page.locator("#token-scopes-1").check()
    await page.locator("form[action$='/api-tokens'] button[type=submit]").click()
    await expect(page.locator("#new-token")).to_be_visible()


async def _invite_errors(page: Page, base: str, seeded: Seeded) -> None:
    await page.goto(f"{base}/organisationen/{seeded.organisation_id}")
    await page.locator("#invite-email").fill("no-address")
    await page.locator("form[action$='/einladungen'] button[type=submit]").click()
    await expect(page.locator(".vg-error-summary")).to_be_visible()


# (name, who, how to open it): who is "anonymous", "owner", "admin" or "pending".
PAGES: list[tuple[str, str, Opener]] = [
    ("sign-up", "anonymous", _goto("/registrieren")),
    ("sign-up with errors", "anonymous", _then_submit("/registrieren")),
    ("check your mail", "anonymous", _goto("/registrieren/gesendet")),
    ("confirm address", "anonymous", _goto("/verify-email?token={s.verify_token}")),
    ("confirm address, bad link", "anonymous", _goto("/verify-email?token=invalid")),
    ("login", "anonymous", _goto("/login")),
    ("login with errors", "anonymous", _then_submit("/login")),
    ("login code", "pending", _goto("/login/code")),
    ("login code with errors", "pending", _then_submit("/login/code")),
    ("forgotten password", "anonymous", _goto("/passwort-vergessen")),
    ("forgotten password with errors", "anonymous", _then_submit("/passwort-vergessen")),
    ("reset link sent", "anonymous", _goto("/passwort-vergessen/gesendet")),
    ("new password", "anonymous", _goto("/reset-password?token={s.reset_token}")),
    (
        "new password with errors",
        "anonymous",
        _then_submit("/reset-password?token={s.reset_token}"),
    ),
    ("new password, bad link", "anonymous", _goto("/reset-password?token=invalid")),
    ("invitation", "anonymous", _goto("/einladung?token={s.invitation_token}")),
    ("invitation with errors", "anonymous", _then_submit("/einladung?token={s.invitation_token}")),
    ("invitation, bad link", "anonymous", _goto("/einladung?token=invalid")),
    ("mailbox", "anonymous", _goto("/dev/mailbox")),
    ("mail", "anonymous", _goto("/dev/mailbox/{s.mail_id}")),
    ("my account", "owner", _goto("/konto")),
    ("second factor set-up", "owner", _totp_setup),
    ("organisation", "owner", _goto("/organisationen/{s.organisation_id}")),
    ("organisation, new token", "owner", _new_token),
    ("organisation, invitation errors", "owner", _invite_errors),
    ("admin: organisations", "admin", _goto("/admin/organisationen?limit=1")),
    ("admin: users", "admin", _goto("/admin/benutzer")),
    ("admin: new authority", "admin", _goto("/admin/organisationen/neu")),
    ("admin: new authority with errors", "admin", _then_submit("/admin/organisationen/neu")),
]


async def _as(context: BrowserContext, who: str, server: JobServer, seeded: Seeded) -> None:
    token = {
        "owner": seeded.owner_session,
        "admin": seeded.admin_session,
        "pending": seeded.pending_session,
    }.get(who)
    if token:
        await context.add_cookies([{"name": "vergabe_session", "value": token, "url": server.url}])


class TestIdentityPagesInTheBrowser:
    @pytest.mark.parametrize("language", LOCALES)
    @pytest.mark.parametrize(("name", "who", "opener"), PAGES, ids=[p[0] for p in PAGES])
    async def test_page_is_accessible_and_within_the_csp(
        self,
        browser: Browser,
        server_with_jobs: JobServer,
        seeded: Seeded,
        axe_source: str,
        name: str,
        who: str,
        opener: Opener,
        language: str,
    ) -> None:
        server = server_with_jobs
        # Given the page, opened under the real Content-Security-Policy
        problems = Problems()
        context = await new_context(browser, language)
        try:
            await _as(context, who, server, seeded)
            page = await context.new_page()
            problems.watch(page)
            await opener(page, server.url, seeded)
            await page.wait_for_load_state("load")
            await page.evaluate("document.fonts.ready.then(() => true)")
            html = await page.content()
            # When axe checks it against WCAG 2.1 A and AA
            await page.evaluate(axe_source)
            violations = await page.evaluate(RUN_AXE, WCAG_TAGS)
            levels = await page.evaluate(HEADING_LEVELS)
            blocked = await problems.csp_violations(page)
        finally:
            await context.close()
        # Then there is no violation, and the headings skip no level
        assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
        # And it is in the visitor's language, and nothing was blocked or failed
        assert f'<html lang="{language}">' in html
        assert "style=" not in html
        assert blocked == []
        assert problems.found == []
