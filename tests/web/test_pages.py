"""The public pages and the language switcher (infra/web/pages.py)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.web.pages import safe_next_path

PAGES = ["/", "/ausschreibungen", "/register", "/login", "/barrierefreiheit", "/impressum"]
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PROBLEM = "application/problem+json"


async def csrf_token(client: AsyncTestClient[Litestar], path: str = "/") -> str:
    """Open ``path`` like a browser and return the CSRF token of its language switcher."""
    response = await client.get(path)
    found = TOKEN.search(response.text)
    assert found, "the page has no language switcher with a CSRF token"
    return found.group(1)


class TestPages:
    @pytest.mark.parametrize("path", PAGES)
    async def test_page_is_html_with_landmarks_and_no_inline_code(
        self, client: AsyncTestClient[Litestar], path: str
    ) -> None:
        # When a page is opened
        response = await client.get(path)
        # Then it is HTML with the layout's landmarks and one h1
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'href="#main"'):
            assert landmark in html
        assert html.count("<h1") == 1
        # And nothing the Content-Security-Policy would block
        assert "style=" not in html
        assert "<style" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []

    async def test_start_page_names_the_instance_and_leads_to_the_three_areas(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.get("/")
        html = response.text
        assert "Vergabeplattform Bremen" in html
        assert "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen" in html
        for target in ('href="/ausschreibungen"', 'href="/register"', 'href="/login"'):
            assert target in html

    @pytest.mark.parametrize(
        ("path", "empty"),
        [("/register", "Noch keine Unternehmen präqualifiziert.")],
    )
    async def test_pages_without_content_say_so_and_offer_no_form_but_the_switcher(
        self, client: AsyncTestClient[Litestar], path: str, empty: str
    ) -> None:
        html = (await client.get(path)).text
        assert empty in html
        assert html.count("<form") == 1  # the language switcher

    async def test_accessibility_statement_names_the_conformance_target(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        html = (await client.get("/barrierefreiheit")).text
        assert "BITV 2.0" in html
        assert "WCAG) 2.1 auf Stufe AA" in html


class TestSwitchLanguage:
    async def test_valid_token_sets_the_cookie_and_redirects_back(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # Given a visitor on the tender page with its switcher's token
        token = await csrf_token(client, "/ausschreibungen")
        # When they choose English
        response = await client.post(
            "/language",
            data={"_csrf_token": token, "lang": "en", "next": "/ausschreibungen?text=bau"},
            follow_redirects=False,
        )
        # Then they are sent back with a language cookie
        assert response.status_code == 303
        assert response.headers["location"] == "/ausschreibungen?text=bau"
        assert response.cookies["vergabe_lang"] == "en"
        assert "httponly" in response.headers["set-cookie"].lower()
        # And the pages are English from now on
        page = await client.get("/ausschreibungen")
        assert '<html lang="en">' in page.text
        assert "No tenders published yet." in page.text

    @pytest.mark.parametrize("token", [None, "forged-token"])
    async def test_missing_or_invalid_token_is_403_and_changes_nothing(
        self, client: AsyncTestClient[Litestar], token: str | None
    ) -> None:
        # Given a visitor who holds a CSRF cookie
        await csrf_token(client)
        form = {"lang": "en", "next": "/"}
        if token:
            form["_csrf_token"] = token
        # When a form without their token is posted
        response = await client.post("/language", data=form, follow_redirects=False)
        # Then it is refused as a problem and no language is stored
        assert response.status_code == 403
        assert response.headers["content-type"] == PROBLEM
        assert "vergabe_lang" not in response.cookies
        page = await client.get("/")
        assert '<html lang="de">' in page.text

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
    )
    async def test_external_next_is_replaced_by_the_start_page(
        self, client: AsyncTestClient[Litestar], target: str
    ) -> None:
        token = await csrf_token(client)
        response = await client.post(
            "/language",
            data={"_csrf_token": token, "lang": "en", "next": target},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    async def test_unknown_language_is_refused(self, client: AsyncTestClient[Litestar]) -> None:
        token = await csrf_token(client)
        response = await client.post(
            "/language", data={"_csrf_token": token, "lang": "fr"}, follow_redirects=False
        )
        assert response.status_code == 422
        assert "vergabe_lang" not in response.cookies


class TestSafeNextPath:
    @pytest.mark.parametrize("path", ["/", "/tenders", "/tenders?q=bau&page=2", "/a/b#c"])
    def test_site_paths_are_kept(self, path: str) -> None:
        assert safe_next_path(path) == path

    @pytest.mark.parametrize(
        "value",
        ["", "tenders", "http://x", "//x", "/\\x", "/x\r\nSet-Cookie: a=b", "/" + "a" * 2001],
    )
    def test_anything_else_becomes_the_start_page(self, value: str) -> None:
        assert safe_next_path(value) == "/"
