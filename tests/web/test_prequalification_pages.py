"""The pre-qualification pages of the company and the office (issue 5, item 6).

The form tests run the real app in process with the pre-qualification world of
``tests/prequalification/conftest.py`` (a company whose owner is the test PKI's qualified
signer, a designated office with two officers, another authority's officer) and its embedded
worker, so that an upload is checked by the real signature job. The browser tests run the app as
``vergabe run`` does (:mod:`tests.web.prequalification_support`), with worker and scheduler at
the tests' present and the test PKI trusted: axe checks the company's and the office's pages in
German and English under the real CSP, the upload's progress element is driven by a throttled
upload, and the signature result arrives in the page by htmx.
"""

# The fixtures of tests/prequalification/conftest.py (``world``, ``trusted``) and the live server
# (``pq_server``) are imported by name and then requested as parameters, which ruff reads as
# redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.profile_prequalification import CPV_DIVISIONS
from prequalification import exclusion
from prequalification.cpv_names import CPV_DIVISION_NAMES
from prequalification.models import Evidence, SelfDeclarationRecord
from tests.infra.identity.conftest import PASSWORD
from tests.prequalification.conftest import (  # noqa: F401 (fixtures)
    SIGNER,
    World,
    answers_all_no,
    trusted,
    world,
)
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.web.identity_factories import field_in_error, summary_links
from tests.web.prequalification_support import (  # noqa: F401 (fixture)
    BASE,
    QUEUE,
    PqServer,
    accessible,
    logged_in,
    pq_server,
)
from tests.web.test_identity_browser import Problems

HTML = {"accept": "text/html,application/xhtml+xml"}
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
ISSUED = "2026-03-17"
ESPD_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "espd" / "ESPD-Response.xml"


@pytest.fixture(scope="module")
def qes_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")


@pytest.fixture(scope="module")
def other_signer_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-adv", level="B-LTA")


async def _token(client: Any, path: str) -> str:
    response = await client.get(path, headers=HTML)
    found = TOKEN.search(response.text)
    assert found, f"{path} has no form ({response.status_code})"
    return found.group(1)


async def _post(
    client: Any,
    action: str,
    data: dict[str, str | list[str]],
    *,
    page: str,
    files: dict[str, Any] | None = None,
) -> Any:
    """Send a form of ``page`` like a browser: with the page's CSRF token, without following."""
    token = await _token(client, page)
    return await client.post(
        action,
        data={**data, "_csrf_token": token},
        files=files,
        headers=HTML,
        follow_redirects=False,
    )


async def _start(world: World, category: str = "works", division: str = "45") -> str:
    """A new application through the page; returns its page's path."""
    response = await _post(
        world.clients["owner"],
        f"{BASE}/antraege",
        {"categories": category, "cpv_divisions": division},
        page=BASE,
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert re.fullmatch(rf"{BASE}/antraege/[0-9a-f-]{{36}}\?notice=created", location)
    return location.split("?", maxsplit=1)[0]


async def _upload(
    world: World, path: str, type_code: str, document: bytes, *, name: str = "nachweis.pdf"
) -> Any:
    return await _post(
        world.clients["owner"],
        f"{path}/nachweise",
        {"type_code": type_code, "issued_on": ISSUED},
        page=path,
        files={"document": (name, document, "application/pdf")},
    )


async def _evidence_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Evidence)) or 0)


class TestCompanyPages:
    async def test_the_overview_offers_categories_and_named_cpv_divisions(
        self, world: World
    ) -> None:
        response = await world.clients["owner"].get(BASE, headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert '<h1 class="kern-heading-x-large">Präqualifizierung</h1>' in html
        assert "Es gibt noch keine Anträge." in html
        for label in ("Bauleistungen", "Lieferleistungen", "Dienstleistungen"):
            assert label in html
        assert "45 – Bauarbeiten" in html
        assert "72 – IT-Dienste" in html
        # And the header links to it
        assert 'href="/praequalifizierung" aria-current="page"' in html

    async def test_divisions_outside_the_categories_are_shown_as_form_error(
        self, world: World
    ) -> None:
        response = await _post(
            world.clients["owner"],
            f"{BASE}/antraege",
            {"categories": "works", "cpv_divisions": ["45", "30"]},
            page=BASE,
        )
        assert response.status_code == 422
        assert "Jede CPV-Abteilung muss zu einer gewählten Leistungsart gehören" in response.text
        assert field_in_error(response.text, "new-cpv_divisions")
        assert summary_links(response.text) == ["new-cpv_divisions"]
        # The choice is kept
        assert 'id="new-cpv-30" name="cpv_divisions" type="checkbox" value="30" checked' in (
            response.text
        )

    async def test_an_empty_form_names_each_missing_field(self, world: World) -> None:
        response = await _post(world.clients["owner"], f"{BASE}/antraege", {}, page=BASE)
        assert response.status_code == 422
        assert field_in_error(response.text, "new-categories")
        assert field_in_error(response.text, "new-cpv_divisions")

    async def test_a_new_application_shows_its_status_and_checklist(self, world: World) -> None:
        path = await _start(world)
        response = await world.clients["owner"].get(f"{path}?notice=created", headers=HTML)
        html = response.text
        assert "Der Antrag wurde angelegt." in html
        assert "Stand: Entwurf" in html
        assert "Handelsregisterauszug" in html
        assert "Bescheinigung in Steuersachen" in html
        assert "Muss eine qualifizierte elektronische Signatur oder ein Siegel tragen." in html
        assert "Fehlt" in html
        # The upload form: a PDF, the issue date, the expiry where the type needs it
        assert 'accept=".pdf,application/pdf"' in html
        assert 'id="upload-tax-clearance-stated_expiry"' in html
        assert 'id="upload-turnover-stated_expiry"' not in html
        assert 'id="upload-turnover-progress"' in html
        assert 'src="/static/upload-progress.js"' in html
        # The submit button is disabled and says why
        assert re.search(r'<button[^>]*disabled aria-describedby="submit-missing"', html)
        # Another company's person sees nothing of it
        other = await world.clients["stranger"].get(path, headers=HTML)
        assert other.status_code == 404

    async def test_a_signed_upload_is_checked_and_its_result_shown_in_words(
        self,
        world: World,
        qes_pdf: bytes,
        other_signer_pdf: bytes,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        # Given an application with two uploads: one signed by the owner, one by a stranger
        path = await _start(world)
        response = await _upload(world, path, "turnover", qes_pdf, name="umsatz.pdf")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{path}?notice=uploaded"
        response = await _upload(world, path, "staff-numbers", other_signer_pdf, name="staff.pdf")
        assert response.status_code == 303, response.text

        # Then the page says they are being checked and polls the status fragment
        owner = world.clients["owner"]
        pending = (await owner.get(f"{path}?notice=uploaded", headers=HTML)).text
        assert "Das Dokument wurde hochgeladen." in pending
        assert "Die Signaturen werden geprüft" in pending
        assert f'hx-get="{path}/stand"' in pending
        assert 'hx-trigger="every 1s"' in pending
        assert f'href="{path}"' in pending  # reload without JavaScript

        # When the worker has checked them
        async def checked() -> bool:
            async with sessions() as session:
                rows = (await session.scalars(select(Evidence))).all()
            return len(rows) == 2 and all(row.status == "checked" for row in rows)

        await world.run_jobs(checked, "both uploads were checked")

        # Then the fragment stops polling and swaps the results in out of band
        fragment = (await owner.get(f"{path}/stand", headers=HTML)).text
        assert "hx-trigger" not in fragment
        assert 'id="pq-checklist" hx-swap-oob="true"' in fragment
        assert 'id="pq-items-turnover" hx-swap-oob="true"' in fragment
        assert "Alle Signaturen sind geprüft." in fragment
        # And the page shows each result in words
        html = (await owner.get(path, headers=HTML)).text
        assert "hx-trigger" not in html
        owner_item = html[html.index("umsatz.pdf") : html.index("staff.pdf")]
        assert "Signaturprüfung: Gültig" in owner_item
        assert "QESig – qualifizierte elektronische Signatur" in owner_item
        assert SIGNER in owner_item
        assert "Geprüft, Entscheidung der Prüfstelle steht aus" in owner_item
        stranger_item = html[html.index("staff.pdf") :]
        assert "Bob Beispiel" in stranger_item
        assert "Der Unterzeichner ist keine registrierte Person des Unternehmens." in (
            stranger_item
        )

    async def test_a_file_that_is_no_pdf_is_refused_at_its_field(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        path = await _start(world)
        response = await _upload(world, path, "turnover", b"GIF89a not a pdf", name="bild.gif")
        assert response.status_code == 422
        assert "Die Datei ist kein PDF-Dokument. Laden Sie den Nachweis als PDF hoch." in (
            response.text
        )
        assert field_in_error(response.text, "upload-turnover-document")
        assert summary_links(response.text) == ["upload-turnover-document"]
        assert 'value="2026-03-17"' in response.text  # the issue date is kept
        assert await _evidence_count(sessions) == 0

    async def test_an_unsigned_file_where_a_qualified_signature_is_required_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        path = await _start(world)
        response = await _post(
            world.clients["owner"],
            f"{path}/nachweise",
            {"type_code": "tax-clearance", "issued_on": ISSUED, "stated_expiry": ""},
            page=path,
            files={"document": ("steuer.pdf", make_pdf(), "application/pdf")},
        )
        # The missing expiry is named first: nothing reaches the domain
        assert response.status_code == 422
        assert field_in_error(response.text, "upload-tax-clearance-stated_expiry")
        response = await _post(
            world.clients["owner"],
            f"{path}/nachweise",
            {"type_code": "tax-clearance", "issued_on": ISSUED, "stated_expiry": "2027-01-31"},
            page=path,
            files={"document": ("steuer.pdf", make_pdf(), "application/pdf")},
        )
        assert response.status_code == 422
        assert "muss eine qualifizierte elektronische Signatur oder ein Siegel tragen" in (
            response.text
        )
        assert field_in_error(response.text, "upload-tax-clearance-document")
        assert await _evidence_count(sessions) == 0

    async def test_a_withdrawn_document_leaves_the_page(self, world: World, qes_pdf: bytes) -> None:
        path = await _start(world)
        await _upload(world, path, "turnover", qes_pdf, name="umsatz.pdf")
        html = (await world.clients["owner"].get(path, headers=HTML)).text
        action = re.search(rf'action="({path}/nachweise/[0-9a-f-]+/zurueckziehen)"', html)
        assert action
        response = await _post(world.clients["owner"], action.group(1), {}, page=path)
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?notice=withdrawn"
        html = (await world.clients["owner"].get(path, headers=HTML)).text
        assert "umsatz.pdf" not in html

    async def test_the_declaration_form_stores_a_pass(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        path = await _start(world)
        fields = {f"{code}-applies": "no" for code in exclusion.GROUND_CODES}
        response = await _post(world.clients["owner"], f"{path}/eigenerklaerung", fields, page=path)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{path}?notice=declared"
        html = (await world.clients["owner"].get(response.headers["location"], headers=HTML)).text
        assert "Die Eigenerklärung wurde gespeichert." in html
        assert "Bewertung: Kein Ausschlussgrund" in html
        # The stored answers are shown again in the form
        assert 'id="decl-corruption-applies-no" name="corruption-applies" type="radio" ' in html
        async with sessions() as session:
            record = (await session.scalars(select(SelfDeclarationRecord))).one()
        assert record.outcome == "pass"
        assert record.source == "form"

    async def test_declaration_errors_are_shown_at_each_field(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        path = await _start(world)
        fields = {f"{code}-applies": "no" for code in exclusion.GROUND_CODES}
        fields["fraud-applies"] = "yes"  # but no date
        fields["corruption-applies"] = ""  # not answered
        fields["insolvency-applies"] = "yes"
        fields["insolvency-date"] = "2099-01-01"  # in the future
        response = await _post(world.clients["owner"], f"{path}/eigenerklaerung", fields, page=path)
        assert response.status_code == 422
        html = response.text
        assert field_in_error(html, "decl-fraud-date")
        assert field_in_error(html, "decl-corruption-applies")
        assert field_in_error(html, "decl-insolvency-date")
        assert "Das Datum darf nicht in der Zukunft liegen." in html
        assert summary_links(html) == [
            "decl-fraud-date",
            "decl-corruption-applies",
            "decl-insolvency-date",
        ]
        # What was answered stays answered
        assert (
            'id="decl-fraud-applies-yes" name="fraud-applies" type="radio" value="yes" checked'
            in html
        )
        async with sessions() as session:
            assert (
                await session.scalar(select(func.count()).select_from(SelfDeclarationRecord)) == 0
            )

    async def test_an_invalid_espd_shows_line_and_column(self, world: World) -> None:
        path = await _start(world)
        broken = ESPD_SAMPLE.read_bytes().replace(
            b"<cbc:UBLVersionID", b"<cbc:NoSuchElement>x</cbc:NoSuchElement><cbc:UBLVersionID", 1
        )
        line = broken[: broken.index(b"<cbc:NoSuchElement>")].count(b"\n") + 1
        response = await _post(
            world.clients["owner"],
            f"{path}/eigenerklaerung/espd",
            {},
            page=path,
            files={"document": ("espd.xml", broken, "application/xml")},
        )
        assert response.status_code == 422
        html = response.text
        assert "Die Datei ist keine gültige ESPD-Antwort (ESPD-EDM 4.1.0)." in html
        assert field_in_error(html, "espd-document")
        assert f'<td class="kern-table__cell">{line}</td>' in html
        assert "NoSuchElement" in html

    async def test_an_incomplete_espd_fills_the_form_and_names_the_open_grounds(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        path = await _start(world)
        response = await _post(
            world.clients["owner"],
            f"{path}/eigenerklaerung/espd",
            {},
            page=path,
            files={"document": ("espd.xml", ESPD_SAMPLE.read_bytes(), "application/xml")},
        )
        assert response.status_code == 422
        html = response.text
        assert "Die ESPD wurde gelesen, lässt aber Fragen offen" in html
        assert 'href="#decl-tax-social-security-applies"' in html
        assert field_in_error(html, "decl-tax-social-security-applies")
        assert re.search(r'id="decl-corruption-applies-(no|yes)"[^>]* checked', html)
        assert '<input type="hidden" name="source" value="espd">' in html
        async with sessions() as session:
            assert (
                await session.scalar(select(func.count()).select_from(SelfDeclarationRecord)) == 0
            )

    async def test_a_refused_submission_lists_what_is_missing(self, world: World) -> None:
        path = await _start(world)
        response = await _post(world.clients["owner"], f"{path}/einreichen", {}, page=path)
        assert response.status_code == 409
        html = response.text
        assert "Es fehlen noch:" in html
        assert "<li>Bescheinigung in Steuersachen</li>" in html
        assert "Stand: Entwurf" in html

    async def test_an_officer_has_no_company_pages(self, world: World) -> None:
        response = await world.clients["officer"].get(BASE, headers=HTML)
        assert response.status_code == 403
        assert "Nur die Inhaberinnen, Inhaber und Mitglieder eines registrierten Unternehmens" in (
            response.text
        )


async def _submitted(world: World, document: bytes) -> str:
    """An application with every mandatory item, checked and submitted (through the API)."""
    from tests.prequalification.test_api import _complete, _create

    application = await _create(world)
    await _complete(world, application["id"], document)
    response = await world.clients["owner"].post(
        f"{world.company_url()}/{application['id']}/submit"
    )
    assert response.status_code == 200, response.text
    return str(application["id"])


class TestOfficePages:
    async def test_the_queue_lists_the_application_with_its_age(
        self, world: World, qes_pdf: bytes, clock: ManualClock
    ) -> None:
        application_id = await _submitted(world, qes_pdf)
        clock.advance(timedelta(days=3, hours=2))
        officer = world.clients["officer"]
        again = await officer.post(  # the session has expired meanwhile
            "/api/v1/auth/login", json={"email": world.emails["officer"], "password": PASSWORD}
        )
        assert again.status_code == 200, again.text
        response = await officer.get(QUEUE, headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert f'href="{QUEUE}/{application_id}">Muster Bau GmbH</a>' in html
        assert "3 Tage" in html
        assert "Eingereicht" in html
        assert 'href="/praequalifizierung/pruefung" aria-current="page"' in html

    async def test_an_officer_takes_over_and_accepts_an_item_with_a_reason(
        self, world: World, qes_pdf: bytes, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        application_id = await _submitted(world, qes_pdf)
        officer = world.clients["officer"]
        page = f"{QUEUE}/{application_id}"
        html = (await officer.get(page, headers=HTML)).text
        assert "Signaturprüfung: Gültig" in html
        assert "/api/v1/prequalification/applications/" in html  # the PDF
        version = re.search(r'name="version" value="(\d+)"', html)
        assert version
        response = await _post(
            officer, f"{page}/uebernehmen", {"version": version.group(1)}, page=page
        )
        assert response.status_code == 303, response.text
        html = (await officer.get(page, headers=HTML)).text
        assert "Stand: In Prüfung" in html
        action = re.search(rf'action="({page}/nachweise/([0-9a-f-]+)/entscheidung)"', html)
        assert action
        version = re.search(r'name="version" value="(\d+)"', html)
        assert version
        response = await _post(
            officer,
            action.group(1),
            {"version": version.group(1), "decision": "accept", "reason": "Geprüft, in Ordnung."},
            page=page,
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{page}?notice=accepted"
        async with sessions() as session:
            item = await session.get(Evidence, uuid.UUID(action.group(2)))
        assert item is not None
        assert item.status == "accepted"
        assert item.review_reason == "Geprüft, in Ordnung."
        html = (await officer.get(f"{page}?notice=accepted", headers=HTML)).text
        assert "Das Dokument wurde angenommen." in html
        assert "Geprüft, in Ordnung." in html

    async def test_a_decision_without_reason_or_on_a_stale_version_is_refused(
        self, world: World, qes_pdf: bytes, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        application_id = await _submitted(world, qes_pdf)
        officer = world.clients["officer"]
        page = f"{QUEUE}/{application_id}"
        html = (await officer.get(page, headers=HTML)).text
        version = re.search(r'name="version" value="(\d+)"', html)
        assert version
        await _post(officer, f"{page}/uebernehmen", {"version": version.group(1)}, page=page)
        html = (await officer.get(page, headers=HTML)).text
        action = re.search(rf'action="({page}/nachweise/([0-9a-f-]+)/entscheidung)"', html)
        assert action
        current = int(re.findall(r'name="version" value="(\d+)"', html)[0])
        # Without a reason: the field says so
        response = await _post(
            officer,
            action.group(1),
            {"version": str(current), "decision": "reject", "reason": ""},
            page=page,
        )
        assert response.status_code == 422
        field = f"item-{action.group(2)}-reason"
        textarea = re.search(rf'<textarea[^>]*id="{field}"[^>]*>', response.text)
        assert textarea
        assert 'aria-invalid="true"' in textarea.group(0)
        assert f"{field}-error" in textarea.group(0)
        assert "Geben Sie die Begründung an: Das Unternehmen liest sie." in response.text
        # With the version before the take-over: reload
        response = await _post(
            officer,
            action.group(1),
            {"version": str(current - 1), "decision": "reject", "reason": "Unleserlich."},
            page=page,
        )
        assert response.status_code == 409
        assert "Der Antrag wurde inzwischen geändert" in response.text
        assert summary_links(response.text) == ["stale-heading"]
        async with sessions() as session:
            item = await session.get(Evidence, uuid.UUID(action.group(2)))
        assert item is not None
        assert item.status == "checked"

    async def test_approval_with_items_not_accepted_names_them(
        self, world: World, qes_pdf: bytes
    ) -> None:
        application_id = await _submitted(world, qes_pdf)
        officer = world.clients["officer"]
        page = f"{QUEUE}/{application_id}"
        html = (await officer.get(page, headers=HTML)).text
        version = re.findall(r'name="version" value="(\d+)"', html)[0]
        await _post(officer, f"{page}/uebernehmen", {"version": version}, page=page)
        html = (await officer.get(page, headers=HTML)).text
        version = re.findall(r'name="version" value="(\d+)"', html)[0]
        response = await _post(officer, f"{page}/genehmigen", {"version": version}, page=page)
        assert response.status_code == 409
        assert "Noch nicht angenommen:" in response.text
        assert "<li>Bescheinigung in Steuersachen</li>" in response.text
        assert summary_links(response.text) == ["approve-heading"]

    async def test_an_officer_of_another_authority_gets_the_403_page(
        self, world: World, qes_pdf: bytes
    ) -> None:
        outsider = world.clients["other_officer"]
        response = await outsider.get(QUEUE, headers=HTML)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Zugriff verweigert" in response.text
        assert (
            "Nur Sachbearbeiterinnen und Sachbearbeiter einer benannten Präqualifizierungsstelle"
            in response.text
        )
        # And a company person is no officer at all
        response = await world.clients["owner"].get(QUEUE, headers=HTML)
        assert response.status_code == 403


class TestCpvNames:
    def test_every_division_of_every_category_has_both_names(self) -> None:
        divisions = set().union(*CPV_DIVISIONS.values())
        assert divisions == set(CPV_DIVISION_NAMES)
        assert all(de and en for de, en in CPV_DIVISION_NAMES.values())


# --- In the browser ---------------------------------------------------------------------------

VERDICT_WAIT_MS = 30_000
THROTTLED_UPLOAD = {"offline": False, "latency": 20, "downloadThroughput": -1}
"""Chromium's network emulation: the upload is slowed down below, so that its progress shows."""


@pytest.mark.browser
class TestInTheBrowser:
    @pytest.mark.parametrize(
        ("language", "category", "division", "verdict"),
        [
            ("de", "services", "72", "Signaturprüfung: Gültig"),
            ("en", "supplies", "30", "Signature check: Accepted"),
        ],
    )
    async def test_the_company_applies_uploads_with_progress_and_sees_the_result(
        self,
        browser: Browser,
        pq_server: PqServer,
        axe_source: str,
        pki: TestPki,
        language: str,
        category: str,
        division: str,
        verdict: str,
    ) -> None:
        large = sign_pdf(pki, make_pdf(padding_bytes=1_500_000), signer="signer-qes", level="B-LTA")
        problems = Problems()
        context = await logged_in(browser, pq_server, language, "owner")
        try:
            page = await context.new_page()
            problems.watch(page)
            # Given the overview with the form for a new application, accessible
            await page.goto(pq_server.url + BASE)
            await accessible(page, axe_source)
            # When the company starts an application
            await page.locator(f"input[name=categories][value={category}]").check()
            await page.locator(f"#new-cpv-{division}").check()
            await page.locator("form[action='/praequalifizierung/antraege'] button").click()
            await page.wait_for_url(
                re.compile(rf"{BASE}/antraege/[0-9a-f-]{{36}}\?notice=created$")
            )
            application_url = page.url.split("?")[0]
            # Then its page is accessible, also with the errors of an empty declaration
            await accessible(page, axe_source)
            await page.locator("form[action$='/eigenerklaerung'] button[type=submit]").click()
            await expect(page.locator(".vg-error-summary")).to_be_visible()
            await accessible(page, axe_source)
            await page.goto(application_url)

            # When a file that is no PDF is uploaded (sent by the page's script)
            await page.locator("details:has(#upload-turnover-document) > summary").click()
            await page.set_input_files(
                "#upload-turnover-document",
                files=[{"name": "bild.png", "mimeType": "image/png", "buffer": b"\x89PNG" * 8}],
            )
            await page.locator("#upload-turnover-issued_on").fill(ISSUED)
            await page.locator("form:has(#upload-turnover-document) button[type=submit]").click()
            # Then the refusal is shown at the field, on the same address, accessibly
            await expect(page.locator(".vg-error-summary")).to_be_visible()
            assert await page.get_attribute("#upload-turnover-document", "aria-invalid") == "true"
            assert page.url == application_url
            await accessible(page, axe_source)

            # When a large signed PDF is uploaded over a slow line
            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send(
                "Network.emulateNetworkConditions",
                {**THROTTLED_UPLOAD, "uploadThroughput": 400 * 1024},
            )
            await page.set_input_files(
                "#upload-turnover-document",
                files=[{"name": "umsatz.pdf", "mimeType": "application/pdf", "buffer": large}],
            )
            await page.locator("#upload-turnover-issued_on").fill(ISSUED)
            await page.locator("form:has(#upload-turnover-document) button[type=submit]").click()
            # Then the progress bar shows the part sent, while it is being sent
            progress = page.locator("#upload-turnover-progress")
            await expect(progress).to_be_visible()
            await page.wait_for_function(
                "() => { const p = document.getElementById('upload-turnover-progress');"
                " return p && p.value > 0 && p.value < p.max; }"
            )
            # And after the upload the page with its notice opens
            await page.wait_for_url(f"{application_url}?notice=uploaded", timeout=60_000)
            await cdp.send(
                "Network.emulateNetworkConditions", {**THROTTLED_UPLOAD, "uploadThroughput": -1}
            )
            await page.evaluate("window.__samePage = true")
            # And the signature result appears in words without a reload, polled by htmx
            await expect(page.get_by_text(verdict)).to_be_visible(timeout=VERDICT_WAIT_MS)
            assert await page.evaluate("window.__samePage === true")
            await expect(page.get_by_text(SIGNER).first).to_be_visible()
            await accessible(page, axe_source)
            assert await problems.csp_violations(page) == []
        finally:
            await context.close()
        # The refused upload's answer (422, fetched by the script) is the one expected failure
        refused = [p for p in problems.found if "status of 422" in p]
        assert len(refused) == 1
        assert [p for p in problems.found if p not in refused] == []

    @pytest.mark.parametrize("language", ["de", "en"])
    async def test_the_office_pages_are_accessible(
        self, browser: Browser, pq_server: PqServer, axe_source: str, language: str
    ) -> None:
        problems = Problems()
        context = await logged_in(browser, pq_server, language, "officer")
        try:
            page = await context.new_page()
            problems.watch(page)
            # Given the queue
            await page.goto(pq_server.url + QUEUE)
            await accessible(page, axe_source)
            # When the officer opens the application in review
            await page.locator(f"a[href='{QUEUE}/{pq_server.in_review}']").click()
            await page.wait_for_url(f"{pq_server.url}{QUEUE}/{pq_server.in_review}")
            # Then every document, the declaration and the decisions are there, accessibly
            assert await page.locator("form[action$='/entscheidung']").count() >= 10
            await expect(page.locator("form[action$='/genehmigen']")).to_be_visible()
            await accessible(page, axe_source)
            # And a decision without a reason is an accessible form error
            await page.locator("form[action$='/ablehnen'] button[type=submit]").click()
            await expect(page.locator(".vg-error-summary")).to_be_visible()
            await accessible(page, axe_source)
            assert await problems.csp_violations(page) == []
        finally:
            await context.close()
        assert problems.found == []

    @pytest.mark.parametrize("language", ["de", "en"])
    async def test_the_company_sees_its_application_in_review_accessibly(
        self, browser: Browser, pq_server: PqServer, axe_source: str, language: str
    ) -> None:
        context = await logged_in(browser, pq_server, language, "owner")
        try:
            page = await context.new_page()
            await page.goto(f"{pq_server.url}{BASE}/antraege/{pq_server.in_review}")
            assert await page.locator("form[action$='/nachweise']").count() == 0
            await accessible(page, axe_source)
        finally:
            await context.close()
