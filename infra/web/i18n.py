"""Languages of the web pages: the message catalogs and which language a request gets.

The catalogs are gettext catalogs in ``infra/web/locale/<lang>/LC_MESSAGES/messages.po`` with
English msgids; ``make`` compiles them to ``.mo`` files. A request's language is the one named
in the ``vergabe_lang`` cookie (set by the language switcher), else the best match of its
``Accept-Language`` header, else the profile's default; only the profile's languages are ever
chosen. Translations are handed to each template render (:func:`template_callables`), never
installed globally, so two requests in different languages can be served side by side.
"""

from __future__ import annotations

__all__ = [
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "N_",
    "negotiate_language",
    "parse_accept_language",
    "template_callables",
    "translations",
]

import functools
import gettext as stdlib_gettext
import io
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Request
from markupsafe import Markup

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGE_COOKIE = "vergabe_lang"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
"""Each language named in itself, as the language switcher shows it."""

log = logging.getLogger("vergabe.web")


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (the template translates it).

    Python code that picks a text for a page (an error message, a notice) returns the English
    msgid marked with ``N_``, so that pybabel extracts it; the page shows it with ``_()``.
    """
    return message


@functools.cache
def translations(language: str, locale_dir: Path = LOCALE_DIR) -> stdlib_gettext.NullTranslations:
    """The catalog of ``language`` in ``locale_dir``, loaded once per process.

    The compiled ``.mo`` file is used when it is at least as new as the ``.po`` file; otherwise
    (a fresh checkout before ``make``, or an edited catalog) the ``.po`` file is compiled in
    memory, so that the pages never show a stale text.
    """
    directory = locale_dir / language / "LC_MESSAGES"
    mo, po = directory / f"{DOMAIN}.mo", directory / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po.is_file():
        log.warning("no message catalog for language %r", language)
        return stdlib_gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def parse_accept_language(header: str) -> list[str]:
    """The language ranges of an ``Accept-Language`` header, most preferred first.

    Ranges with ``q=0`` are dropped, malformed weights count as ``q=0``; ties keep the order of
    the header.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate_language(request: Request[Any, Any, Any]) -> str:
    """The language to answer ``request`` in: cookie, then ``Accept-Language``, then default."""
    offered: Sequence[str] = request.app.state.settings.profile.instance.languages
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in offered:
        return str(chosen)
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        primary = tag.split("-", 1)[0]
        if primary in offered:
            return primary
    return offered[0]


def template_callables(language: str) -> dict[str, Callable[..., str]]:
    """``gettext``, ``ngettext`` and ``_`` of ``language`` for a template's context.

    They follow Jinja's "new style" gettext: the translated text is marked safe (translators
    are trusted) and keyword arguments are escaped and filled in, as in
    ``{{ _("Welcome to %(name)s", name=instance_name) }}``.
    """
    catalog = translations(language)
    # The catalogs are part of the code base and reviewed like it, so their texts are trusted
    # as markup; the variables filled in are escaped by ``Markup.__mod__``.

    @pass_context
    def gettext(context: Context, message: str, /, **variables: Any) -> str:
        text = catalog.gettext(message)
        result = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704
        return result % variables

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, count: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", count)
        text = catalog.ngettext(singular, plural, count)
        result = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704
        return result % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}
