"""Interactive API documentation at ``/schema``: Swagger UI served by the platform itself.

Litestar's bundled UI plugins load their scripts from CDNs and start them with inline scripts,
which the platform's Content-Security-Policy forbids and which do not work offline. This plugin
renders a page that loads Swagger UI from the npm package ``swagger-ui-dist`` (served under
``/static/vendor/swagger-ui/``) and starts it from the static ``/static/swagger-init.js``; the
spec URL travels in a ``data-`` attribute.
"""

from __future__ import annotations

__all__ = ["SwaggerUIPlugin"]

from collections.abc import Sequence
from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER_ASSETS = "/static/vendor/swagger-ui"
INIT_SCRIPT = "/static/swagger-init.js"
PAGE_STYLE = "/static/swagger.css"


class SwaggerUIPlugin(OpenAPIRenderPlugin):
    """Swagger UI from local files, without inline scripts or styles."""

    def __init__(self, *, path: str | Sequence[str] = "/") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The documentation page; Swagger UI then fetches the spec from ``openapi.json``."""
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{SWAGGER_ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="{PAGE_STYLE}">
<script src="{SWAGGER_ASSETS}/swagger-ui-bundle.js" defer></script>
<script src="{INIT_SCRIPT}" defer></script>
</head>
<body>
<main id="swagger-ui" data-spec-url="{spec_url}">
<h1>{title}</h1>
<p>The interactive documentation needs JavaScript. The OpenAPI document itself is at
<a href="{spec_url}">{spec_url}</a>.</p>
</main>
</body>
</html>
""".encode()
