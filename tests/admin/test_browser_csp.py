"""The back office under a CSP without inline styles, in Chromium: not one violation.

Every page the sidebar links to, the login page, a create form with its widgets opened
(Select2's picker, the delete dialog), an edit form and the JSON Resume page are loaded with a
listener on ``securitypolicyviolation`` events and on console errors (Chromium reports a
refused inline style there too).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, log_in, serving

playwright_api = pytest.importorskip("playwright.async_api")

# Runs before any page script: every violation of the page's policy is reported to the test.
_LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber} `
    + `${(event.sample || "").slice(0, 80)}`
  );
});
"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: the pages are only read (one entry is created to edit)."""
    with serving(tmp_path_factory) as base:
        yield base


def _watch(page: Any, seen: list[str]) -> None:
    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            seen.append(f"{page.url}: console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: error: {error}"))


async def test_no_page_of_the_back_office_needs_inline_styles(live_server: str) -> None:
    base = live_server
    expect = playwright_api.expect
    problems: list[str] = []
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.expose_function(
                "reportViolation", lambda text: problems.append(f"{page.url}: csp: {text}")
            )
            await page.add_init_script(_LISTEN)
            _watch(page, problems)

            response = await page.goto(f"{base}/admin/login")
            assert response is not None
            policy = response.headers["content-security-policy"]
            assert "style-src 'self';" in policy
            assert "unsafe-inline" not in policy
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # A create form with its widgets opened, saved, then edited.
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Style Corp")
            await page.fill("#position", "Engineer")
            await page.locator("#technologies + .select2-container").click()
            await page.keyboard.type("Pyth")
            await page.locator(".select2-results__option", has_text="Python").first.click()
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/work/edit/1?outcome=saved")
            await page.goto(f"{base}/admin/work/list")
            await page.locator("a[data-bs-target='#modal-delete'][data-pk='1']").click()
            await expect(page.locator("#modal-delete")).to_be_visible()

            # Every page the sidebar names, and the forms the lists lead to.
            await page.goto(f"{base}/admin/")
            links = await page.locator("a.nav-link[href]").evaluate_all(
                "links => links.map(link => new URL(link.href).pathname)"
            )
            links = [link for link in links if link.startswith("/admin/")]
            pages = {*links, "/admin/json-resume", "/admin/technology/edit/1"}
            pages |= {link.replace("/list", "/create") for link in links if link.endswith("/list")}
            assert "/admin/work/list" in pages
            for path in sorted(pages):
                await page.goto(f"{base}{path}")
                await page.wait_for_load_state("networkidle")
        finally:
            await browser.close()
    assert problems == [], "\n".join(problems)
