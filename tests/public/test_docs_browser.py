"""/docs and /redoc in Chromium with every request to another host aborted: they still work."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, serving

playwright_api = pytest.importorskip("playwright.async_api")

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn (docs are on by default)."""
    with serving(tmp_path_factory) as base:
        yield base


class OfflinePage:
    """A page whose requests to other hosts are aborted; it records them and console errors."""

    def __init__(self, page: playwright_api.Page) -> None:
        self.page = page
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message: playwright_api.ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    async def block_other_hosts(self) -> None:
        async def route(route: playwright_api.Route) -> None:
            url = route.request.url
            if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
                await route.continue_()
            else:
                self.elsewhere.append(url)
                await route.abort()

        await self.page.route("**/*", route)


async def _offline_page(browser: playwright_api.Browser) -> OfflinePage:
    page = OfflinePage(await browser.new_page(viewport={"width": 1280, "height": 900}))
    await page.block_other_hosts()
    return page


async def test_swagger_ui_works_offline_under_its_csp(docs_server: str) -> None:
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            docs = await _offline_page(browser)
            page = docs.page
            await page.goto(f"{docs_server}/docs")
            operations = page.locator(".opblock")
            await expect(operations.first).to_be_visible()
            assert await operations.count() >= 10
            # Try an operation: the request goes to this origin (connect-src 'self').
            health = page.locator(".opblock-get", has_text="/health").first
            await health.locator(".opblock-summary").click()
            await health.get_by_role("button", name="Try it out").click()
            await health.get_by_role("button", name="Execute").click()
            await expect(
                health.locator(".live-responses-table td.response-col_status:not(.col_header)")
            ).to_contain_text("200")
            OUTPUT.mkdir(exist_ok=True)
            await page.screenshot(path=str(OUTPUT / "docs-swagger.png"))
            assert docs.elsewhere == []
            assert docs.errors == []
        finally:
            await browser.close()


@pytest.mark.parametrize(
    ("scheme", "header", "sent"),
    [
        ("bearer", "authorization", "Bearer cms_not-a-live-token"),
        ("apiKey", "x-api-key", "cms_not-a-live-token"),
    ],
)
async def test_swagger_ui_authorize_sends_the_token(
    docs_server: str, scheme: str, header: str, sent: str
) -> None:
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            docs = await _offline_page(browser)
            page = docs.page
            requests: list[dict[str, str]] = []
            page.on(
                "request",
                lambda request: (
                    requests.append(request.headers)
                    if "/api/v1/personal-info" in request.url
                    else None
                ),
            )
            await page.goto(f"{docs_server}/docs")
            await page.locator(".auth-wrapper .authorize").click()
            form = page.locator(".auth-container", has=page.locator(f"h4 code:text-is('{scheme}')"))
            await form.locator("input").fill("cms_not-a-live-token")
            await form.locator("button.authorize").click()
            await page.locator(".modal-ux .close-modal").click()
            read = page.locator(".opblock-get", has_text="/api/v1/personal-info").first
            await read.locator(".opblock-summary").click()
            await read.get_by_role("button", name="Try it out").click()
            await read.get_by_role("button", name="Execute").click()
            # A token of our shape that is not live: the full app answers 401, which only a
            # request carrying it gets (without one, the read path answers 200).
            await expect(
                read.locator(".live-responses-table td.response-col_status:not(.col_header)")
            ).to_contain_text("401")
            assert [headers.get(header) for headers in requests] == [sent]
            assert docs.elsewhere == []
        finally:
            await browser.close()


async def test_redoc_works_offline_under_its_csp(docs_server: str) -> None:
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            redoc = await _offline_page(browser)
            page = redoc.page
            await page.goto(f"{docs_server}/redoc")
            await expect(page.get_by_role("heading", name="Portfolio CMS")).to_be_visible()
            assert await page.locator("[data-section-id^='operation/']").count() >= 10
            # Search runs in a blob: worker the CSP allows.
            await page.get_by_placeholder("Search...").fill("resume")
            await expect(page.locator("[data-role='search:results']")).to_be_visible()
            OUTPUT.mkdir(exist_ok=True)
            await page.screenshot(path=str(OUTPUT / "docs-redoc.png"))
            assert redoc.elsewhere == []
            # Not even the Redocly logo from its CDN: no CSP error in the console.
            assert redoc.errors == []
        finally:
            await browser.close()
