"""Pre-qualification end to end in the browser (issue 5, "Done when").

A newcomer registers a company in Chromium (its owner is the test PKI's qualified signer),
confirms the address from the development mailbox and logs in; applies for construction works
with every mandatory document signed (QES, PAdES B-LTA), answers the self-declaration and
submits. An officer of the pre-qualification office logs in in a second context, takes the
application into review, accepts every document and approves; the worker seals the certificate
and anyone confirms it at ``/verify/<number>``. Then the server's clock moves: the reminders 30,
14 and 7 days before the liability insurance expires (2026-04-26) arrive in the mailbox, the day
after it the certificate is suspended; the company uploads a renewal, the officer accepts it and
the certificate is valid again. Everything runs through the real job pipeline (outbox,
scheduler, broker, worker) of :func:`tests.web.prequalification_support.serving_prequalification`;
each wait is bounded. Buttons on the long pages are pressed with the keyboard (Enter), as many
people do: a click first waits until KERN's smooth scrolling has brought them to rest, about a
second each.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, FilePayload, Locator, Page, expect

from tests.prequalification.conftest import SIGNER
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.web.identity_factories import PASSWORD
from tests.web.prequalification_support import (
    BASE,
    OFFICER,
    QUEUE,
    PqApp,
    accessible,
    add_office,
    serving_prequalification,
)
from tests.web.test_identity_browser import Problems, new_context

pytestmark = pytest.mark.browser

COMPANY = {
    "Firma (vollständiger Name)": "Muster Bau GmbH",
    "Straße und Hausnummer": "Schlachte 12",
    "Postleitzahl": "28195",
    "Ort": "Bremen",
    "E-Mail-Adresse des Unternehmens": "info@musterbau.example",
    "Registergericht (optional)": "Bremen",
    "Registernummer (optional)": "HRB 4711",
    "Umsatzsteuer-Identifikationsnummer (USt-IdNr.) (optional)": "DE298765435",
    "Ihr Name": SIGNER,
    "Ihre E-Mail-Adresse": "alice@musterbau.example",
    "Passwort": PASSWORD,
}
"""The sign-up form by its German labels."""
OWNER = COMPANY["Ihre E-Mail-Adresse"]
SHORT = "liability-insurance"
"""Not older than 3 months: issued 2026-01-26, its last day is 2026-04-26."""
SHORT_ISSUED = "2026-01-26"
ISSUED = "2026-03-17"
STATED_EXPIRY = "2027-01-31"
RENEWED = "2026-04-20"
REMINDER = "Nachweis läuft ab: Bestätigung der Betriebshaftpflichtversicherung"
REMINDERS = [("2026-03-27T12:00", 30), ("2026-04-12T06:00", 14), ("2026-04-19T06:00", 7)]
"""When (UTC) the clock stands for each reminder, and the days left it names: each moment lies
in a new six-hour period of the scheduler, so that the sweep runs again."""
SUSPENDED_AT = "2026-04-27T04:00"
NUMBER = re.compile(r"[A-Z]{2}-PQ-\d{4}-\d{6}")
STEP_MS = 15_000
"""How long a page may take to show the result of a form (the machine may be busy)."""
JOB_WAIT_SECONDS = 60.0
"""How long a job (signature check, seal, sweep, mail) may take to show its result."""
JOB_WAIT_MS = int(JOB_WAIT_SECONDS * 1000)


@pytest.fixture(scope="module")
async def journey_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[PqApp]:
    """The live server with the pre-qualification office and its officer, and nobody else."""
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="pqj"
    ) as app:
        async with app.sessions() as session, session.begin():
            await add_office(session, app.clock.now())
        yield app


async def _mails(page: Page, app: PqApp, to: str, subject: str, count: int = 1) -> Locator:
    """Open the mailbox until ``count`` mails to ``to`` with ``subject`` are listed (bounded);
    the rows, newest first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOB_WAIT_SECONDS
    rows = page.get_by_role("row").filter(has_text=to).filter(has_text=subject)
    while True:
        await page.goto(app.url + "/dev/mailbox")
        found = await rows.count()
        if found >= count:
            assert found == count, f"{found} mails {subject!r} to {to}, expected {count}"
            return rows
        assert loop.time() < deadline, f"no mail {subject!r} to {to} within {JOB_WAIT_SECONDS} s"
        await asyncio.sleep(0.2)


async def _read_newest(page: Page, app: PqApp, to: str, subject: str, count: int = 1) -> Locator:
    """The text of the newest of ``count`` mails to ``to`` with ``subject``, opened."""
    rows = await _mails(page, app, to, subject, count)
    await rows.first.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(subject, timeout=STEP_MS)
    return page.locator("pre")


async def _open_as(page: Page, app: PqApp, path: str, email: str) -> None:
    """Open ``path``; when the session has run out (the clock moved), log in on the way."""
    await page.goto(app.url + path)
    if urlsplit(page.url).path == "/login":
        await page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
        await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden", exact=True).click()
    await expect(page).to_have_url(app.url + path, timeout=STEP_MS)


async def _checked(page: Page, axe_source: str, problems: Problems) -> None:
    """The page is accessible and nothing in it broke the Content-Security-Policy."""
    await accessible(page, axe_source)
    assert await problems.csp_violations(page) == []


async def _upload(
    page: Page, code: str, pdf: bytes, name: str, issued: str, expiry: str | None
) -> None:
    """Upload one document of type ``code`` and wait for the page that lists it."""
    items = page.locator(f"#pq-items-{code} article")
    before = await items.count()
    await page.locator(f"details:has(#upload-{code}-document) > summary").press("Enter")
    await page.set_input_files(
        f"#upload-{code}-document",
        files=[FilePayload(name=name, mimeType="application/pdf", buffer=pdf)],
    )
    await page.locator(f"#upload-{code}-issued_on").fill(issued)
    if expiry is not None:
        await page.locator(f"#upload-{code}-stated_expiry").fill(expiry)
    # The upload script sends the form, then opens the page the answer redirected to. Wait for
    # that page: the poller may show the new document on the old page before it is replaced.
    async with page.expect_navigation(timeout=STEP_MS):
        await page.locator(f"form:has(#upload-{code}-document) button[type=submit]").press("Enter")
    await expect(items).to_have_count(before + 1, timeout=STEP_MS)


async def _decide(page: Page, action: str, reason: str) -> None:
    """Accept the document whose decision form posts to ``action``, with ``reason``."""
    form = page.locator(f"form[action='{action}']")
    await form.locator("textarea[name=reason]").fill(reason)
    await form.locator("button[name=decision][value=accept]").press("Enter")
    evidence_id = action.rsplit("/", 2)[-2]
    item = page.locator(f"article[aria-labelledby='item-{evidence_id}-title']")
    await expect(item).to_contain_text("Von der Prüfstelle angenommen", timeout=STEP_MS)


async def _decision_forms(page: Page) -> list[str]:
    """Where the review page's decisions on documents post to."""
    forms = page.locator("form[action*='/nachweise/'][action$='/entscheidung']")
    return [await form.get_attribute("action") or "" for form in await forms.all()]


async def _status_now(page: Page, app: PqApp, number: str, status: str) -> None:
    await page.goto(f"{app.url}/verify/{number}")
    await expect(page.locator("#status-now")).to_contain_text(f"Status jetzt: {status}")


async def _register(page: Page, app: PqApp) -> None:
    """The newcomer signs up, confirms the address from the mailbox and logs in."""
    await page.goto(app.url + "/registrieren")
    for label, value in COMPANY.items():
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_role("button", name="Registrieren", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bitte prüfen Sie Ihr Postfach", timeout=STEP_MS
    )
    await _read_newest(page, app, OWNER, "Bitte bestätigen Sie Ihre E-Mail-Adresse")
    await page.get_by_role("link", name=re.compile("verify-email")).first.click()
    await page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Ihre E-Mail-Adresse ist bestätigt", timeout=STEP_MS
    )
    await page.get_by_label("E-Mail-Adresse", exact=True).fill(OWNER)
    await page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto", timeout=STEP_MS)


async def _apply(
    page: Page, app: PqApp, pdf: bytes, axe_source: str, problems: Problems
) -> tuple[str, int]:
    """The company applies for works with every mandatory document and submits; the path of
    the application and the number of documents."""
    await page.get_by_role("link", name="Präqualifizierung", exact=True).click()
    await page.locator("input[name=categories][value=works]").check()
    await page.locator("#new-cpv-45").check()
    await page.get_by_role("button", name="Antrag anlegen").click()
    await page.wait_for_url(re.compile(rf"{BASE}/antraege/[0-9a-f-]{{36}}\?"))
    application = urlsplit(page.url).path
    documents = 0
    for evidence_type in app.settings.profile.prequalification.required_for(["works"]):
        if not evidence_type.mandatory or evidence_type.form != "document":
            continue
        code = evidence_type.code
        issued = SHORT_ISSUED if code == SHORT else ISSUED
        stated = STATED_EXPIRY if evidence_type.validity.needs_stated_expiry else None
        for number in range(evidence_type.min_items):
            await _upload(page, code, pdf, f"{code}-{number + 1}.pdf", issued, stated)
            documents += 1
    # The signature results appear without a reload (htmx), each valid and by the owner
    await expect(page.get_by_text("Signaturprüfung: Gültig")).to_have_count(
        documents, timeout=JOB_WAIT_MS
    )
    signers = page.locator("article.vg-evidence").get_by_text(SIGNER, exact=True)
    await expect(signers).to_have_count(documents)
    # The self-declaration: no ground applies
    for answer in await page.locator("input[type=radio][value=no]").all():
        await answer.check()
    await page.get_by_role("button", name="Eigenerklärung speichern").press("Enter")
    await expect(page.get_by_text("Bewertung: Kein Ausschlussgrund")).to_be_visible(timeout=STEP_MS)
    # The checklist is complete: 9 types of documents and the declaration
    mandatory = page.locator("#pq-checklist tbody tr").filter(has_text="Pflicht")
    await expect(mandatory).to_have_count(10)
    await expect(mandatory.filter(has_text="Vollständig")).to_have_count(10)
    await _checked(page, axe_source, problems)
    await page.get_by_role("button", name="Antrag einreichen").press("Enter")
    await expect(page.get_by_text("Stand: Eingereicht")).to_be_visible(timeout=STEP_MS)
    return application, documents


async def _approve(
    page: Page, app: PqApp, documents: int, axe_source: str, problems: Problems
) -> str:
    """The officer logs in, reviews, accepts every document and approves; the number."""
    await _open_as(page, app, QUEUE, OFFICER[0])
    await page.get_by_role("link", name="Muster Bau GmbH").click()
    await page.get_by_role("button", name="Bearbeitung übernehmen").click()
    await expect(page.get_by_text("Stand: In Prüfung")).to_be_visible(timeout=STEP_MS)
    await _checked(page, axe_source, problems)
    actions = await _decision_forms(page)
    assert len(actions) == documents
    for action in actions:
        await _decide(page, action, "Geprüft, in Ordnung.")
    await page.get_by_role("button", name="Genehmigen und Urkunde ausstellen").press("Enter")
    await expect(page.get_by_text("Stand: Genehmigt")).to_be_visible(timeout=STEP_MS)
    found = NUMBER.search(await page.locator("main").inner_text())
    assert found, "the review page shows no certificate number"
    return found.group(0)


async def _sealed(page: Page, app: PqApp) -> bytes:
    """The certificate's PDF from the link of the verification page, once the worker sealed
    it (until then the link answers 409)."""
    link = page.get_by_role("link", name="Zertifikat als PDF")
    url = app.url + (await link.get_attribute("href") or "")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOB_WAIT_SECONDS
    while (answer := await page.request.get(url)).status != 200:
        assert answer.status == 409, answer.status
        assert loop.time() < deadline, "the certificate was not sealed in time"
        await asyncio.sleep(0.2)
    return await answer.body()


class TestPrequalificationInTheBrowser:
    async def test_from_registration_to_certificate_suspension_and_reinstatement(
        self, browser: Browser, journey_server: PqApp, axe_source: str, pki: TestPki
    ) -> None:
        app = journey_server
        signed = sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")
        problems = Problems()
        contexts = [await new_context(browser) for _ in range(3)]
        try:
            company, office, anyone = [await context.new_page() for context in contexts]
            for page in (company, office, anyone):
                problems.watch(page)

            # Given a newcomer whose owner signs with the test PKI's qualified certificate
            await _register(company, app)
            # When it applies with every mandatory document, and an officer approves
            application, documents = await _apply(company, app, signed, axe_source, problems)
            number = await _approve(office, app, documents, axe_source, problems)

            # Then anyone confirms the certificate, whose sealed PDF the worker made
            await _status_now(anyone, app, number, "Gültig")
            assert (await _sealed(anyone, app)).startswith(b"%PDF-")
            await _checked(anyone, axe_source, problems)
            # And the company is told
            text = await _read_newest(company, app, OWNER, f"Präqualifiziert: {number}")
            await expect(text).to_contain_text("gültig bis 26.03.2027")
            await expect(text).to_contain_text(app.url + application)

            # When the days pass, the owner is reminded 30, 14 and 7 days before the last day
            for count, (moment, days) in enumerate(REMINDERS, start=1):
                app.clock.set(datetime.fromisoformat(f"{moment}+00:00"))
                text = await _read_newest(company, app, OWNER, REMINDER, count)
                await expect(text).to_contain_text(f"in {days} Tagen")
                await expect(text).to_contain_text("26.04.2026")

            # When the insurance has expired
            app.clock.set(datetime.fromisoformat(f"{SUSPENDED_AT}+00:00"))
            # Then the certificate is suspended, and the owner told
            subject = f"Präqualifizierung ausgesetzt: {number}"
            await expect(await _read_newest(company, app, OWNER, subject)).to_contain_text(SHORT)
            await _status_now(anyone, app, number, "Ausgesetzt")

            # When the company (logging in again) uploads a renewed insurance
            await _open_as(company, app, application, OWNER)
            await expect(company.locator(f"details:has(#upload-{SHORT}-document)")).to_contain_text(
                "Erneuerten Nachweis hochladen"
            )
            await _upload(company, SHORT, signed, "haftpflicht-2026.pdf", RENEWED, None)
            renewal = company.locator(f"#pq-items-{SHORT} article").filter(
                has_text="haftpflicht-2026.pdf"
            )
            await expect(renewal.get_by_text("Signaturprüfung:")).to_be_visible(timeout=JOB_WAIT_MS)
            # And the officer (logging in again) finds it in the queue and accepts it
            await _open_as(office, app, QUEUE, OFFICER[0])
            await expect(office.get_by_role("row", name="Muster Bau GmbH")).to_contain_text(
                "Erneuerter Nachweis zur Entscheidung"
            )
            await office.get_by_role("link", name="Muster Bau GmbH").click()
            await office.wait_for_url(re.compile(rf"{QUEUE}/[0-9a-f-]{{36}}$"))
            (action,) = await _decision_forms(office)
            await _decide(office, action, "Aktuelle Bestätigung.")

            # Then the certificate is valid again, and the owner told, and reminded no more
            await _status_now(anyone, app, number, "Gültig")
            await _read_newest(company, app, OWNER, f"Präqualifizierung gilt wieder: {number}")
            await _mails(company, app, OWNER, REMINDER, len(REMINDERS))
            for page in (company, office, anyone):
                assert await problems.csp_violations(page) == []
        finally:
            for context in contexts:
                await context.close()
        assert problems.found == []
