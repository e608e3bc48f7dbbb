"""Rendering a page: the Jinja environment and the context every page template gets.

:func:`page` is what a route handler returns; :func:`render_page` renders to a string for the
places that cannot return a :class:`~litestar.response.Template` (the HTML error pages). Both
add the request's language, its translations and the instance's names to the context, which
``layout.html`` needs: the principal (who is logged in, for the header), the names of their
organisations (loaded by :class:`infra.web.navigation.NavigationMiddleware`) and date formatting
in the visitor's language and the instance's time zone.
"""

from __future__ import annotations

__all__ = ["TEMPLATES", "environment", "page", "page_context", "page_headers", "render_page"]

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from infra.identity.guards import principal_of
from infra.web.i18n import LANGUAGE_NAMES, negotiate_language, template_callables
from infra.web.navigation import menu_of, organisations_of

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    """A Jinja environment with autoescaping, strict undefined names and the i18n extension.

    The null translations installed here are only a fallback: every render passes its own
    ``gettext``/``ngettext`` (:func:`page_context`), which shadow these globals.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def page_context(request: Request[Any, Any, Any], **context: Any) -> dict[str, Any]:
    """The context of a page in the request's language, with ``context`` added."""
    instance = request.app.state.settings.profile.instance
    language = negotiate_language(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "request": request,
        "lang": language,
        "instance_name": instance.name[language],
        "operator": instance.operator[language],
        "state": instance.state,
        "current_path": request.url.path,
        "next_path": here,
        "other_languages": [
            (code, LANGUAGE_NAMES.get(code, code))
            for code in instance.languages
            if code != language
        ],
        "principal": principal_of(request),
        "my_organisations": organisations_of(request),
        "my_menu": menu_of(request),
        **template_callables(language),
        **date_formatters(language, instance.timezone),
        **context,
    }


def date_formatters(language: str, timezone: str) -> dict[str, Callable[[datetime], str]]:
    """``date`` and ``datetime`` for templates: a UTC time shown in ``timezone``, localised."""
    zone = ZoneInfo(timezone)

    def show_date(value: datetime) -> str:
        return format_date(value.astimezone(zone).date(), format="medium", locale=language)

    def show_datetime(value: datetime) -> str:
        return format_datetime(value, format="medium", tzinfo=zone, locale=language)

    return {"date": show_date, "datetime": show_datetime}


def page_headers(language: str) -> dict[str, str]:
    """Headers of every page: its language, what it varies by, and no shared caching.

    Pages carry the visitor's CSRF token, so no shared cache may keep them.
    """
    return {
        "content-language": language,
        "vary": "Accept, Accept-Language, Cookie",
        "cache-control": "private, no-cache",
    }


def page(
    request: Request[Any, Any, Any], template_name: str, *, status_code: int = 200, **context: Any
) -> Template:
    """The response of a page handler: ``template_name`` rendered in the request's language."""
    full = page_context(request, **context)
    return Template(
        template_name=template_name,
        context=full,
        status_code=status_code,
        headers=page_headers(full["lang"]),
    )


def render_page(request: Request[Any, Any, Any], template_name: str, **context: Any) -> str:
    """``template_name`` rendered to a string in the request's language."""
    engine = cast(JinjaTemplateEngine, request.app.template_engine)
    return engine.engine.get_template(template_name).render(page_context(request, **context))
