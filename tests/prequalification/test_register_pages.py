"""The public register's pages (prequalification/pages_register.py): the search, and
``/verify/{number}`` answering browsers with a page and API clients with JSON."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.settings import Settings
from tests.prequalification.conftest import World
from tests.prequalification.test_lifecycle import _sweep, approved

REGISTER = "/praequalifizierung/verzeichnis"
HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "accept-language": "de"}


async def _page(world: World, url: str, language: str = "de") -> str:
    response = await world.clients["anonymous"].get(
        url, headers={**HTML, "accept-language": language}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


class TestRegisterPage:
    async def test_lists_the_certificate_and_filters_by_name_category_and_status(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        number = (await approved(sessions, trusted, world)).number

        listed = await _page(world, REGISTER)
        assert f'href="/verify/{number}"' in listed
        assert "Muster Bau GmbH" in listed
        assert "Bauleistungen" in listed
        assert "Gültig" in listed

        for query, found in [
            ("name=muster+bau", True),
            ("name=Deichbau", False),
            ("category=works", True),
            ("category=services", False),
            ("cpv=45", True),
            ("cpv=72", False),
            ("status=valid", True),
            ("status=suspended", False),
        ]:
            text = await _page(world, f"{REGISTER}?{query}")
            assert (number in text) is found, query
            if not found:
                assert "Kein Zertifikat entspricht der Suche." in text

    async def test_in_english(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        await approved(sessions, trusted, world)
        text = await _page(world, REGISTER, language="en")
        assert "Register of pre-qualified companies" in text
        assert ">Valid<" in text


class TestVerifyPage:
    async def test_a_browser_gets_the_page_an_api_client_json(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        number = (await approved(sessions, trusted, world)).number

        page = await _page(world, f"/verify/{number}")
        assert "Muster Bau GmbH" in page
        assert "Status jetzt: Gültig" in page
        assert "kern-alert--success" in page
        assert f"/api/v1/prequalification/certificates/{number}/document/p7s" in page
        assert 'href="/signaturpruefung"' in page

        answer = await world.clients["anonymous"].get(
            f"/verify/{number}", headers={"accept": "application/json"}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        assert (answer.json()["found"], answer.json()["status_now"]) == (True, "valid")
        plain = await world.clients["anonymous"].get(f"/verify/{number}")
        assert plain.json()["certificate"]["company_name"] == "Muster Bau GmbH"

    async def test_an_unknown_number(self, world: World) -> None:
        page = await _page(world, "/verify/HB-PQ-2026-999999")
        assert "Keine Präqualifizierung mit dieser Nummer" in page
        english = await _page(world, "/verify/HB-PQ-2026-999999", language="en")
        assert "No pre-qualification with this number" in english

    async def test_the_moment_form_shows_the_earlier_status(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        number = (await approved(sessions, trusted, world)).number
        world.clock.set(datetime.fromisoformat("2026-04-27T06:00:00+02:00"))
        assert (await _sweep(sessions, trusted, world.clock.now())).suspended == 1

        moment = f"{REGISTER}/{number}/zeitpunkt?date=2026-04-10&time=12:00"
        sent = await world.clients["anonymous"].get(moment, headers=HTML)
        assert sent.status_code == 303
        assert sent.headers["location"] == (
            f"/verify/{number}?at=" + quote("2026-04-10T12:00:00+02:00", safe="")
        )
        page = await _page(world, sent.headers["location"])
        assert "Status jetzt: Ausgesetzt" in page
        assert "kern-alert--warning" in page
        assert "Status am 10.04.2026, 12:00:00: Gültig" in page

        wrong = await world.clients["anonymous"].get(
            f"{REGISTER}/{number}/zeitpunkt?date=10.4.&time=12:00", headers=HTML
        )
        assert wrong.status_code == 422
        assert "Geben Sie das Datum mit Tag, Monat und Jahr ein." in wrong.text
        assert 'aria-invalid="true"' in wrong.text
