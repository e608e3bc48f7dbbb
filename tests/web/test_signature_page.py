"""The page "Signatur prüfen": upload, refusals as form errors, the verdict arriving by htmx.

The form tests call the app in process. The browser tests run the app as ``vergabe run`` does,
with worker and scheduler, at the tests' present (a fixed clock) and with the test PKI's trusted
list in the trust cache, so that the upload is validated by the real job pipeline while the page
polls; axe checks the form, a refused form and the result under the real CSP.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.app import create_app
from infra.clock import ManualClock
from infra.db import migrate
from infra.db.engine import create_engine
from infra.settings import Settings, load_settings
from signatures.models import SignatureCheck
from tests.conftest import TEST_START
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.support import LoopClient
from tests.web.conftest import _database_of_its_own, _drop_broker_namespace, _free_port, _serving
from tests.web.test_browser import RUN_AXE, WCAG_TAGS
from tests.web.test_identity_browser import Problems, new_context
from workers.process import JobProcess

PATH = "/signaturpruefung"
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
VERDICT_WAIT_MS = 30_000


async def _token(client: LoopClient) -> str:
    page = await client.get(PATH)
    found = TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


async def _send(client: LoopClient, document: bytes, *, token: str | None = None) -> object:
    data = {"_csrf_token": token if token is not None else await _token(client)}
    files = {"document": ("angebot.pdf", document, "application/pdf")}
    return await client.post(PATH, data=data, files=files, headers={"accept": "text/html"})


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SignatureCheck)) or 0)


class TestForm:
    async def test_form_is_german_first_with_file_inputs_and_csrf(self, client: LoopClient) -> None:
        response = await client.get(PATH)
        assert response.status_code == 200
        assert '<h1 class="kern-heading-x-large">Signatur prüfen</h1>' in response.text
        assert 'enctype="multipart/form-data"' in response.text
        assert 'type="file"' in response.text
        assert TOKEN.search(response.text)

    async def test_start_page_links_to_it(self, client: LoopClient) -> None:
        assert f'href="{PATH}"' in (await client.get("/")).text

    async def test_upload_without_csrf_token_is_refused(
        self, client: LoopClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await client.get(PATH)
        response = await client.post(PATH, files={"document": ("a.pdf", make_pdf())})
        assert response.status_code == 403
        assert await _count(sessions) == 0

    async def test_not_a_pdf_is_shown_as_error_at_the_field(
        self, client: LoopClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await _send(client, b"GIF89a" + b"\0" * 64)
        assert response.status_code == 422  # type: ignore[attr-defined]
        text: str = response.text  # type: ignore[attr-defined]
        assert "Bitte korrigieren Sie Folgendes" in text
        assert 'aria-invalid="true"' in text
        assert "Die Datei ist kein PDF-Dokument." in text
        assert await _count(sessions) == 0

    async def test_upload_redirects_to_the_pending_result(self, client: LoopClient) -> None:
        response = await _send(client, make_pdf())
        assert response.status_code == 303  # type: ignore[attr-defined]
        location: str = response.headers["location"]  # type: ignore[attr-defined]
        assert re.fullmatch(rf"{PATH}/[A-Za-z0-9_-]{{22}}", location)
        result = await client.get(location)
        assert result.status_code == 200
        assert "Die Signaturen werden geprüft" in result.text
        assert f'hx-get="{location}/stand"' in result.text
        assert 'hx-trigger="every 1s"' in result.text
        assert f'href="{location}"' in result.text  # reload without JavaScript

    async def test_malformed_form_is_a_400_page_not_a_server_error(
        self, client: LoopClient
    ) -> None:
        body = (
            b'--xyz\r\nContent-Disposition: form-data; name="document"\r\n\r\n'
            b"\x89PNG\r\n--xyz--\r\n"
        )
        response = await client.post(
            PATH,
            content=body,
            headers={"content-type": "multipart/form-data; boundary=xyz", "accept": "text/html"},
        )
        assert response.status_code == 400

    async def test_unknown_check_is_a_404_page(self, client: LoopClient) -> None:
        response = await client.get(f"{PATH}/{'A' * 22}", headers={"accept": "text/html"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")

    async def test_too_large_file_is_shown_as_error(
        self, settings: Settings, clock: ManualClock, engine: AsyncEngine
    ) -> None:
        limits = msgspec.structs.replace(settings.signatures, max_document_bytes=4096)
        app: Litestar = create_app(
            msgspec.structs.replace(settings, signatures=limits), clock=clock, engine=engine
        )
        async with LoopClient(app, lifespan=False) as client:
            response = await _send(client, make_pdf(padding_bytes=8000))
        assert response.status_code == 413  # type: ignore[attr-defined]
        assert "Die Datei ist größer als erlaubt." in response.text  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
async def signature_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[str]:
    """The app with worker and scheduler at the tests' present, trusting the test PKI."""
    listener = _free_port()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    data_dir = tmp_path_factory.mktemp("web-signatures")
    name = f"vergabe_{run_id}_sig"
    async with _database_of_its_own(base_environment["VERGABE_DATABASE_URL"], data_dir, name) as db:
        settings = load_settings(
            {
                **base_environment,
                "VERGABE_DATA_DIR": str(data_dir),
                "VERGABE_DATABASE_URL": db,
                "VERGABE_BROKER_NAMESPACE": f"{run_id}-sig",
                "VERGABE_PUBLIC_URL": url,
                "VERGABE_JOB_POLL_INTERVAL": "0.2",
            }
        )
        install_test_trust(settings, pki)
        engine = create_engine(settings.database)
        await migrate.upgrade(engine)
        clock = ManualClock(TEST_START)
        jobs = JobProcess(settings, clock, worker=True, scheduler=True)
        try:
            with _serving(create_app(settings, clock=clock, jobs=jobs), listener):
                yield url
        finally:
            await engine.dispose()
            _drop_broker_namespace(settings)


async def _axe_clean(page: Page, axe_source: str) -> None:
    await page.evaluate(axe_source)
    violations = await page.evaluate(RUN_AXE, WCAG_TAGS)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


@pytest.mark.browser
class TestInTheBrowser:
    @pytest.mark.parametrize(
        ("language", "verdict"), [("de", "Ergebnis: Gültig"), ("en", "Result: Accepted")]
    )
    async def test_verdict_appears_without_reload_and_the_pages_are_accessible(
        self,
        browser: Browser,
        signature_server: str,
        axe_source: str,
        pki: TestPki,
        language: str,
        verdict: str,
    ) -> None:
        signed = sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")
        problems = Problems()
        context = await new_context(browser, language)
        try:
            page = await context.new_page()
            problems.watch(page)
            # Given the form, accessible
            await page.goto(signature_server + PATH)
            await _axe_clean(page, axe_source)
            # When a signed PDF is uploaded
            await page.set_input_files(
                "#document",
                files=[{"name": "angebot.pdf", "mimeType": "application/pdf", "buffer": signed}],
            )
            await page.locator("form.vg-form button[type=submit]").click()
            await page.wait_for_url(re.compile(rf"{PATH}/[A-Za-z0-9_-]{{22}}$"))
            await page.evaluate("window.__samePage = true")
            # Then the verdict appears in the same page, polled by htmx
            heading = page.get_by_role("heading", name=verdict)
            await expect(heading).to_be_visible(timeout=VERDICT_WAIT_MS)
            assert await page.evaluate("window.__samePage === true")
            await expect(page.get_by_text("QESig")).to_be_visible()
            json_link = page.locator("a[href$='/report.json']")
            assert await json_link.count() == 1
            # And the result is accessible, with no console error or CSP violation
            await _axe_clean(page, axe_source)
            assert await problems.csp_violations(page) == []
        finally:
            await context.close()
        assert problems.found == []

    async def test_not_a_pdf_is_an_accessible_form_error(
        self, browser: Browser, signature_server: str, axe_source: str
    ) -> None:
        context = await new_context(browser, "de")
        try:
            page = await context.new_page()
            await page.goto(signature_server + PATH)
            await page.set_input_files(
                "#document",
                files=[{"name": "bild.png", "mimeType": "image/png", "buffer": b"\x89PNG" * 8}],
            )
            await page.locator("form.vg-form button[type=submit]").click()
            await expect(page.get_by_role("alert")).to_contain_text("kein PDF-Dokument")
            assert await page.get_attribute("#document", "aria-invalid") == "true"
            await _axe_clean(page, axe_source)
        finally:
            await context.close()
