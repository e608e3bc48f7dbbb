"""HTML error pages for browsers, problem details for everything else (infra/web/errors.py)."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

import infra.web.errors
from tests.support import LoopClient

PROBLEM = "application/problem+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@get("/boom", include_in_schema=False)
async def boom() -> None:
    raise RuntimeError("internals that must not leak")


class TestErrorNegotiation:
    async def test_browser_gets_an_html_404_page_with_the_trace_id(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # When a browser opens an address that does not exist
        response = await client.get("/gibt-es-nicht", headers={"accept": BROWSER})
        # Then it gets a page in the site's layout, keeping the status code
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="de">' in response.text
        assert "Seite nicht gefunden" in response.text
        assert response.headers["x-request-id"] in response.text
        assert "unsafe-inline" not in response.headers["content-security-policy"]

    async def test_error_page_follows_the_language(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.get(
            "/gibt-es-nicht", headers={"accept": BROWSER, "accept-language": "en"}
        )
        assert response.status_code == 404
        assert "Page not found" in response.text

    @pytest.mark.parametrize("accept", ["*/*", "application/json", PROBLEM, ""])
    async def test_other_clients_keep_problem_details(
        self, client: AsyncTestClient[Litestar], accept: str
    ) -> None:
        response = await client.get("/gibt-es-nicht", headers={"accept": accept})
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM

    @pytest.mark.parametrize(
        "path", ["/api/v1/nothing", "/api", "/schema/nothing.json", "/health/nothing"]
    )
    async def test_machine_paths_keep_problem_details_even_for_browsers(
        self, client: AsyncTestClient[Litestar], path: str
    ) -> None:
        response = await client.get(path, headers={"accept": BROWSER})
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM

    async def test_wrong_method_on_a_page_is_an_html_405_page(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.put("/tenders", headers={"accept": BROWSER})
        assert response.status_code == 405
        assert response.headers["content-type"].startswith("text/html")
        assert "Aktion hier nicht möglich" in response.text

    async def test_failed_csrf_check_in_a_browser_is_an_html_403_page(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.post("/language", data={"lang": "en"}, headers={"accept": BROWSER})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Zugriff verweigert" in response.text

    async def test_unexpected_error_is_an_html_500_page_without_internals(
        self, own_app: Litestar
    ) -> None:
        # Given a page that fails
        own_app.register(boom)
        # When a browser opens it
        async with LoopClient(own_app, lifespan=False) as client:
            response = await client.get("/boom", headers={"accept": BROWSER})
        # Then it sees the error page, but nothing of the exception
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert "Ein Fehler ist aufgetreten" in response.text
        assert "internals" not in response.text
        assert response.headers["x-request-id"] in response.text

    async def test_a_failing_error_page_falls_back_to_problem_details(
        self, client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Given an error page that cannot be rendered
        def broken(*args: object, **kwargs: object) -> str:
            raise RuntimeError("template broken")

        monkeypatch.setattr(infra.web.errors, "render_page", broken)
        # When a browser meets an error
        response = await client.get("/gibt-es-nicht", headers={"accept": BROWSER})
        # Then the original error still reaches it, as problem details
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
