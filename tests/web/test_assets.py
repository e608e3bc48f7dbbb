"""Static files: the app's own and the front-end packages' (infra/web/__init__.py)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient


class TestStaticAssets:
    @pytest.mark.parametrize(
        ("path", "media_type"),
        [
            ("/static/vendor/kern/kern.min.css", "text/css"),
            ("/static/vendor/kern/fonts/fira-sans.css", "text/css"),
            ("/static/vendor/kern/fonts/fira-sans/FiraSans-Regular.woff2", "font/woff2"),
            ("/static/vendor/htmx/htmx.min.js", "javascript"),
            ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "javascript"),
            ("/static/vendor/swagger-ui/swagger-ui.css", "text/css"),
            ("/static/app.css", "text/css"),
            ("/static/swagger-init.js", "javascript"),
            ("/static/favicon.svg", "image/svg+xml"),
        ],
    )
    async def test_asset_is_served_with_its_media_type(
        self, client: AsyncTestClient[Litestar], path: str, media_type: str
    ) -> None:
        response = await client.get(path)
        assert response.status_code == 200
        assert media_type in response.headers["content-type"]
        assert "max-age=3600" in response.headers["cache-control"]
        # And, being cacheable by anyone, it hands out no cookie
        assert "set-cookie" not in response.headers

    @pytest.mark.parametrize(
        "path",
        [
            "/static/../pyproject.toml",
            "/static/vendor/kern/../../../../pyproject.toml",
            "/static/%2e%2e/%2e%2e/pyproject.toml",
            "/static/vendor/nothing/x.css",
        ],
    )
    async def test_nothing_outside_the_asset_folders_is_served(
        self, client: AsyncTestClient[Litestar], path: str
    ) -> None:
        response = await client.get(path)
        assert response.status_code == 404

    async def test_layout_links_only_assets_that_exist(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # Given the start page's stylesheets, scripts and icon
        html = (await client.get("/")).text
        links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        assert len(links) >= 5
        # Then every one of them is served
        for link in links:
            assert (await client.get(link)).status_code == 200, link
