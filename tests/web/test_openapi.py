"""The API documentation at /schema (infra/web/openapi.py)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient


class TestSwaggerUIPlugin:
    async def test_schema_page_is_swagger_ui_from_local_files_without_inline_code(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # When the documentation page is opened
        response = await client.get("/schema")
        # Then it is HTML loading only local scripts and styles
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        scripts = re.findall(r"<script([^>]*)>", html)
        assert scripts
        assert all('src="/static/' in attributes for attributes in scripts)
        assert "style=" not in html
        assert "<style" not in html
        assert "https://" not in html
        assert 'data-spec-url="/schema/openapi.json"' in html
        # And every file it loads is served
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
            assert (await client.get(asset)).status_code == 200, asset

    async def test_openapi_document_is_still_served(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.get("/schema/openapi.json")
        assert response.status_code == 200
        document = response.json()
        assert document["info"]["title"] == "OpenVergabe API"
        assert not any(path in document["paths"] for path in ("/", "/language", "/tenders"))
