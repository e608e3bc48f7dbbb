"""Languages of the web pages: negotiation and complete catalogs (infra/web/i18n.py)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.web.i18n import LOCALE_DIR, parse_accept_language, translations

WEB = Path(LOCALE_DIR).parent
PAGE_CODE = [
    WEB,
    WEB.parent / "identity" / "pages",
    WEB.parent / "mail",
    WEB.parent.parent / "signatures",
    WEB.parent.parent / "prequalification",
    WEB.parent.parent / "procurement",
]
"""Where page texts are marked: the web shell and the pages of the domains (see babel.cfg)."""
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def heading(html: str) -> str:
    found = H1.search(html)
    assert found, "the page has no h1"
    return found.group(1).strip()


class TestParseAcceptLanguage:
    def test_orders_by_weight_and_keeps_header_order_for_ties(self) -> None:
        # Given a header with weights
        header = "fr;q=0.5, en-GB, de;q=0.8, en;q=1.0"
        # When it is parsed
        ranges = parse_accept_language(header)
        # Then the ranges come most preferred first
        assert ranges == ["en-gb", "en", "de", "fr"]

    @pytest.mark.parametrize("header", ["", " , ", "de;q=0", "de;q=abc"])
    def test_empty_refused_and_malformed_ranges_are_dropped(self, header: str) -> None:
        assert parse_accept_language(header) == []


class TestNegotiateLanguage:
    async def test_default_is_the_profiles_first_language(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # Given a visitor without cookie or Accept-Language
        # When they open the start page
        response = await client.get("/", headers={"accept-language": ""})
        # Then it is in German, the Bremen profile's default
        assert '<html lang="de">' in response.text
        assert response.headers["content-language"] == "de"
        assert heading(response.text) == "Vergabeplattform Bremen"

    async def test_accept_language_picks_an_offered_language(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # Given a browser preferring French, then British English
        headers = {"accept-language": "fr-FR, en-GB;q=0.9, de;q=0.5"}
        # When it opens the tender page
        response = await client.get("/ausschreibungen", headers=headers)
        # Then the first offered language (English) is chosen
        assert '<html lang="en">' in response.text
        assert heading(response.text) == "Tenders"

    async def test_cookie_wins_over_accept_language(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        # Given a visitor who chose German but whose browser prefers English
        client.cookies.set("vergabe_lang", "de")
        # When they open the tender page
        response = await client.get("/ausschreibungen", headers={"accept-language": "en"})
        # Then the chosen language wins
        assert heading(response.text) == "Ausschreibungen"

    async def test_cookie_with_a_language_not_offered_is_ignored(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        client.cookies.set("vergabe_lang", "fr")
        response = await client.get("/ausschreibungen", headers={"accept-language": "en"})
        assert heading(response.text) == "Tenders"


class TestCatalogs:
    @pytest.mark.parametrize("language", ["de", "en"])
    def test_every_message_is_translated(self, language: str) -> None:
        # Given the catalog of a language
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle)
        # Then every message has a translation and none is marked fuzzy
        messages = [message for message in catalog if message.id]
        assert messages
        untranslated = [message.id for message in messages if not message.string]
        fuzzy = [message.id for message in messages if message.fuzzy]
        assert untranslated == []
        assert fuzzy == []

    def test_catalogs_hold_every_text_of_the_templates_and_code(self) -> None:
        # Given the texts marked for translation in templates and Python code
        method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
        options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
        marked = {
            message
            for directory in PAGE_CODE
            for _, _, message, _, _ in extract_from_dir(
                directory, method_map=method_map, options_map=options
            )
        }
        # Then every one of them is in both catalogs (else: pybabel update, see babel.cfg)
        assert marked
        for language in ("de", "en"):
            with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
                known = {message.id for message in read_po(handle) if message.id}
            assert sorted(str(m) for m in marked - known) == [], language


class TestTranslations:
    def _locale(self, tmp_path: Path) -> Path:
        """A copy of the German catalog, without its compiled file."""
        target = tmp_path / "de" / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po", target)
        return tmp_path

    def test_uncompiled_catalog_is_compiled_in_memory(self, tmp_path: Path) -> None:
        # Given a catalog that was never compiled (a fresh checkout before make)
        locale = self._locale(tmp_path)
        # When its translations are loaded
        catalog = translations("de", locale)
        # Then they are there all the same
        assert catalog.gettext("Tenders") == "Ausschreibungen"

    def test_compiled_catalog_older_than_its_source_is_not_used(self, tmp_path: Path) -> None:
        # Given a compiled catalog that is older than the edited source
        locale = self._locale(tmp_path)
        stale = locale / "de" / "LC_MESSAGES" / "messages.mo"
        stale.write_bytes(b"not a catalog")
        os.utime(stale, (0, 0))
        # When the translations are loaded
        catalog = translations("de", locale)
        # Then the source is used
        assert catalog.gettext("Tenders") == "Ausschreibungen"

    def test_missing_catalog_falls_back_to_the_english_msgids(self, tmp_path: Path) -> None:
        assert translations("de", tmp_path).gettext("Tenders") == "Tenders"
