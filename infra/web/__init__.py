"""The web shell: layout, static assets, i18n and the public pages (DESIGN.md §7).

The app factory takes :func:`routes` (pages, the language switcher and the static files) and
:func:`template_config`; the Swagger UI at ``/schema`` is :class:`infra.web.openapi.SwaggerUIPlugin`
and the HTML error pages are :func:`infra.web.errors.html_error_response`. Pages use the KERN UX
design system (npm ``@kern-ux/native``) and htmx only as progressive enhancement; no page has
inline scripts or styles, so they work under the platform's strict Content-Security-Policy.
"""

from __future__ import annotations

__all__ = ["STATIC_DIR", "routes", "template_config"]

from pathlib import Path
from typing import Any

from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from infra.identity.guards import public
from infra.settings import Settings
from infra.web.pages import PAGES
from infra.web.rendering import environment

STATIC_DIR = Path(__file__).parent / "static"
_VENDOR = {
    "kern": Path("@kern-ux/native/dist"),
    "htmx": Path("htmx.org/dist"),
    "swagger-ui": Path("swagger-ui-dist"),
}
"""Front-end packages served under ``/static/vendor/<name>/``, relative to the assets dir."""


def template_config(settings: Settings) -> TemplateConfig[Any]:
    """Jinja templates of ``infra/web/templates`` with autoescaping and the i18n extension."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages, the language switcher and the static files.

    Static files may be cached by shared caches, so they are kept out of the CSRF middleware,
    which would otherwise hand a first-time visitor's CSRF cookie out with them.
    """
    options: dict[str, Any] = {
        "cache_control": CacheControlHeader(public=True, max_age=3600),
        "opt": {"exclude_from_csrf": True},
        "guards": [public],
    }
    static: list[ControllerRouterHandler] = [
        create_static_files_router("/static", directories=[STATIC_DIR], name="static", **options),
        *(
            create_static_files_router(
                f"/static/vendor/{name}",
                directories=[settings.assets_dir / package],
                name=f"vendor-{name}",
                **options,
            )
            for name, package in _VENDOR.items()
        ),
    ]
    return [*PAGES, *static]
