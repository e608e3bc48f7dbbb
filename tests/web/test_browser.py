"""The pages in a real browser: accessibility, Content-Security-Policy, use without JavaScript.

Debian's Chromium loads every page from the live server. axe-core checks WCAG 2.1 A and AA;
a second run without any CSP bypass listens for console errors and CSP violations.
"""

from __future__ import annotations

import itertools
import json

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Response

PAGES = ["/", "/ausschreibungen", "/register", "/login", "/barrierefreiheit", "/impressum"]
MISSING = "/gibt-es-nicht"
LOCALES = {"de": "de-DE", "en": "en-GB"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""
RUN_AXE = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}
"""
NOT_FOUND_CONSOLE_ERROR = (
    "console error: Failed to load resource: the server responded with a status of 404 (Not Found)"
)
"""Chromium reports the 404 status of the error page itself; nothing else may appear."""
HEADING_LEVELS = "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"

pytestmark = pytest.mark.browser


def _expected_status(path: str) -> int:
    return 404 if path == MISSING else 200


class TestAccessibility:
    @pytest.mark.parametrize("language", LOCALES)
    @pytest.mark.parametrize("path", [*PAGES, MISSING])
    async def test_page_has_no_wcag_21_aa_violations(
        self, browser: Browser, live_server: str, axe_source: str, path: str, language: str
    ) -> None:
        # Given a page opened in the visitor's language (CSP bypassed for axe only)
        context = await browser.new_context(locale=LOCALES[language], bypass_csp=True)
        try:
            page = await context.new_page()
            response = await page.goto(live_server + path)
            assert response is not None
            assert response.status == _expected_status(path)
            assert await page.get_attribute("html", "lang") == language
            # When axe checks it against WCAG 2.1 A and AA
            await page.evaluate(axe_source)
            violations = await page.evaluate(RUN_AXE, WCAG_TAGS)
            levels = await page.evaluate(HEADING_LEVELS)
        finally:
            await context.close()
        # Then there is no violation, and headings start at h1 and skip no level
        assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


class TestContentSecurityPolicy:
    async def _open(self, context: BrowserContext, url: str) -> tuple[Page, list[str]]:
        problems: list[str] = []
        page = await context.new_page()
        await page.add_init_script(RECORD_CSP_VIOLATIONS)

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                problems.append(f"console {message.type}: {message.text}")

        def on_error(error: Error) -> None:
            problems.append(f"page error: {error}")

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.url != url:
                problems.append(f"{response.status} {response.url}")

        page.on("console", on_console)
        page.on("pageerror", on_error)
        page.on("response", on_response)
        page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
        response = await page.goto(url, wait_until="networkidle")
        assert response is not None
        return page, problems

    @pytest.mark.parametrize("language", LOCALES)
    @pytest.mark.parametrize("path", [*PAGES, MISSING])
    async def test_page_loads_without_errors_or_csp_violations(
        self, browser: Browser, live_server: str, path: str, language: str
    ) -> None:
        context = await browser.new_context(locale=LOCALES[language])
        try:
            # When the page is loaded under the real Content-Security-Policy
            page, problems = await self._open(context, live_server + path)
            # Then its stylesheets, fonts and scripts are in effect
            font = await page.evaluate("getComputedStyle(document.body).fontFamily")
            htmx_loaded = await page.evaluate("typeof window.htmx === 'object'")
            violations = await page.evaluate("window.__cspViolations")
        finally:
            await context.close()
        # And nothing was blocked or failed
        assert violations == []
        expected = [NOT_FOUND_CONSOLE_ERROR] if path == MISSING else []
        assert problems == expected
        assert "Fira Sans" in font
        assert htmx_loaded

    async def test_api_documentation_runs_without_csp_violations(
        self, browser: Browser, live_server: str
    ) -> None:
        context = await browser.new_context()
        try:
            # Given the Swagger UI at /schema
            page, problems = await self._open(context, live_server + "/schema")
            # When an operation is opened and tried out
            await page.get_by_text("/api/v1/instance", exact=True).click()
            await page.get_by_role("button", name="Try it out").click()
            await page.get_by_role("button", name="Execute").click()
            await page.locator(".responses-table .response .microlight").first.wait_for()
            violations = await page.evaluate("window.__cspViolations")
        finally:
            await context.close()
        # Then it worked offline and within the policy
        assert violations == []
        assert problems == []


class TestWithoutJavaScript:
    async def test_language_switcher_works_without_javascript(
        self, browser: Browser, live_server: str
    ) -> None:
        context = await browser.new_context(java_script_enabled=False, locale="de-DE")
        try:
            # Given a German visitor without JavaScript on the tender page
            page = await context.new_page()
            await page.goto(live_server + "/ausschreibungen")
            assert await page.locator("h1").inner_text() == "Ausschreibungen"
            # When they press the switcher's "English"
            async with page.expect_navigation():
                await page.get_by_role("button", name="English").click()
            # Then they are back on the same page, in English
            assert page.url == live_server + "/ausschreibungen"
            assert await page.get_attribute("html", "lang") == "en"
            assert await page.locator("h1").inner_text() == "Tenders"
            # And the other pages follow
            await page.goto(live_server + "/")
            assert await page.locator("h1").inner_text() == "Bremen Procurement Platform"
            assert await page.get_by_role("heading", name="For companies").is_visible()
        finally:
            await context.close()

    async def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
        self, browser: Browser, live_server: str
    ) -> None:
        context = await browser.new_context(locale="de-DE")
        try:
            page = await context.new_page()
            await page.goto(live_server + "/")
            # When the keyboard user presses Tab once
            await page.keyboard.press("Tab")
            link = page.get_by_role("link", name="Zum Hauptinhalt springen")
            # Then the skip link has the focus and is visible on screen
            assert await link.evaluate("element => element === document.activeElement")
            box = await link.bounding_box()
            assert box is not None
            assert box["y"] >= 0
            assert box["height"] > 0
            # And following it moves the focus to the main content
            await page.keyboard.press("Enter")
            assert await page.evaluate("document.activeElement.id") == "main"
        finally:
            await context.close()
