"""The web shell: layout, static assets, i18n and the public pages (DESIGN.md §7)."""

from __future__ import annotations

__all__ = ["routes", "template_config"]

from pathlib import Path
from typing import Any

from litestar import get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from infra.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


def template_config(settings: Settings) -> TemplateConfig[Any]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


@get("/", include_in_schema=False)
async def start_page() -> Template:
    return Template(template_name="start.html")


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [start_page]
