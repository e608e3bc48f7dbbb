"""The public register's pages in Chromium (prequalification/pages_register.py): axe finds no
WCAG 2.1 A/AA violation on the search, the verification page and its "status at a moment"
answer, in German and English, under the real CSP. The app runs as ``vergabe run`` does; the
certificate is issued straight into its database (``approved`` of the lifecycle tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

import pytest
from playwright.async_api import Browser, expect

from infra.app import create_app
from infra.clock import ManualClock
from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.settings import load_settings
from tests.conftest import TEST_START
from tests.prequalification.conftest import World, _organisation
from tests.prequalification.test_lifecycle import approved
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.web.conftest import _database_of_its_own, _drop_broker_namespace, _free_port, _serving
from tests.web.prequalification_support import accessible
from tests.web.test_identity_browser import Problems, new_context
from workers.process import JobProcess

REGISTER = "/praequalifizierung/verzeichnis"


@dataclass(frozen=True)
class RegisterServer:
    url: str
    number: str


@pytest.fixture(scope="module")
async def register_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[RegisterServer]:
    """The app with one issued certificate of "Muster Bau GmbH"."""
    listener = _free_port()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    data_dir = tmp_path_factory.mktemp("web-pq-register")
    name = f"vergabe_{run_id}_pqreg"
    async with _database_of_its_own(base_environment["VERGABE_DATABASE_URL"], data_dir, name) as db:
        settings = load_settings(
            {
                **base_environment,
                "VERGABE_DATA_DIR": str(data_dir),
                "VERGABE_DATABASE_URL": db,
                "VERGABE_BROKER_NAMESPACE": f"{run_id}-pqreg",
                "VERGABE_PUBLIC_URL": url,
                "VERGABE_JOB_POLL_INTERVAL": "0.2",
            }
        )
        install_test_trust(settings, pki)
        engine = create_engine(settings.database)
        await migrate.upgrade(engine)
        clock = ManualClock(TEST_START)
        jobs = JobProcess(settings, clock, worker=True, scheduler=True)
        sessions = session_factory(engine)
        try:
            with _serving(create_app(settings, clock=clock, jobs=jobs), listener):
                async with sessions() as session, session.begin():
                    company = await _organisation(
                        session, "supplier", "Muster Bau GmbH", TEST_START
                    )
                # approved() reads only the clock and the company of the world
                world = cast(
                    World, SimpleNamespace(clock=clock, organisations={"company": company})
                )
                certificate = await approved(sessions, settings, world)
                yield RegisterServer(url=url, number=certificate.number)
        finally:
            await engine.dispose()
            _drop_broker_namespace(settings)


@pytest.mark.browser
class TestInTheBrowser:
    @pytest.mark.parametrize(("language", "moment_status"), [("de", "Gültig"), ("en", "Valid")])
    async def test_register_and_verification_are_accessible(
        self,
        browser: Browser,
        register_server: RegisterServer,
        axe_source: str,
        language: str,
        moment_status: str,
    ) -> None:
        server = register_server
        problems = Problems()
        context = await new_context(browser, language)
        try:
            page = await context.new_page()
            problems.watch(page)
            # Given the register, searched by name
            await page.goto(server.url + REGISTER)
            await page.locator("#name").fill("muster")
            await page.locator("form[role=search] button[type=submit]").click()
            await page.wait_for_url(f"{server.url}{REGISTER}?**")
            await expect(page.locator(f"a[href='/verify/{server.number}']")).to_be_visible()
            await accessible(page, axe_source)
            # When the visitor opens the certificate
            await page.locator(f"a[href='/verify/{server.number}']").click()
            await page.wait_for_url(f"{server.url}/verify/{server.number}")
            # Then the verification page shows it, accessibly
            await expect(page.locator("#status-now")).to_be_visible()
            await accessible(page, axe_source)
            # And asking for the status at a moment answers on the same page
            await page.locator("#at-date").fill("2026-04-10")
            await page.locator("#at-time").fill("12:00")
            await page.locator("form[action$='/zeitpunkt'] button[type=submit]").click()
            await page.wait_for_url(f"{server.url}/verify/{server.number}?at=**")
            await expect(page.locator("#status-at")).to_contain_text(moment_status)
            await accessible(page, axe_source)
            # And an unknown number is an accessible page too
            await page.goto(f"{server.url}/verify/HB-PQ-2026-999999")
            await accessible(page, axe_source)
            assert await problems.csp_violations(page) == []
        finally:
            await context.close()
        assert problems.found == []
