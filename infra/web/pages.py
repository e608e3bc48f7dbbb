"""The public pages and the language switcher.

Every page is server-rendered and complete without JavaScript. The page that will later list
pre-qualified companies says honestly that nothing is there yet; the tenders are
:mod:`procurement.tenders.pages` at ``/ausschreibungen`` (``/tenders`` redirects there), the
login and the other identity pages are :mod:`infra.identity.pages`.
``POST /language`` is the target of the switcher form in the header: it stores the chosen
language in a cookie and sends the visitor back (303) to the page they came from.
"""

from __future__ import annotations

__all__ = ["PAGES", "LanguageChoice", "safe_next_path", "switch_language"]

from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from infra.http.middleware import ACCEPTS_FORMS
from infra.identity.guards import public
from infra.web.i18n import LANGUAGE_COOKIE
from infra.web.rendering import page

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
_MAX_NEXT_LENGTH = 2000


@get("/", include_in_schema=False, name="web:start", guards=[public])
async def start_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "start.html")


@get("/tenders", include_in_schema=False, name="web:tenders", guards=[public])
async def tenders_page(request: Request[Any, Any, Any]) -> Redirect:
    """The tenders' old address: moved for good to the German ``/ausschreibungen``."""
    query = request.url.query
    return Redirect(path="/ausschreibungen" + (f"?{query}" if query else ""), status_code=301)


@get("/register", include_in_schema=False, name="web:register", guards=[public])
async def register_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "register.html")


@get("/barrierefreiheit", include_in_schema=False, name="web:accessibility", guards=[public])
async def accessibility_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "accessibility.html")


@get("/impressum", include_in_schema=False, name="web:imprint", guards=[public])
async def imprint_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "imprint.html")


class LanguageChoice(msgspec.Struct, kw_only=True):
    """The switcher form's fields (the CSRF token is checked by the middleware)."""

    lang: str
    next: str = "/"


def safe_next_path(value: str) -> str:
    """``value`` if it is a path on this site, else ``/``: the switcher is no open redirect.

    Refused: absolute and scheme-relative URLs (``https://…``, ``//host``), backslashes (which
    browsers read as slashes), control characters and overlong values.
    """
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or len(value) > _MAX_NEXT_LENGTH
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    ):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


@post(
    "/language",
    include_in_schema=False,
    name="web:language",
    guards=[public],
    opt={"accepts": ACCEPTS_FORMS},
    status_code=303,
)
async def switch_language(
    request: Request[Any, Any, Any],
    data: Annotated[LanguageChoice, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    settings = request.app.state.settings
    if data.lang not in settings.profile.instance.languages:
        raise ValidationException(detail=f"Unknown language {data.lang!r}.")
    cookie = Cookie(
        key=LANGUAGE_COOKIE,
        value=data.lang,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.http.behind_tls,
    )
    return Redirect(path=safe_next_path(data.next), status_code=303, cookies=[cookie])


PAGES: list[ControllerRouterHandler] = [
    start_page,
    tenders_page,
    register_page,
    accessibility_page,
    imprint_page,
    switch_language,
]
