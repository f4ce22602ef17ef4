"""Translating an entry in a real browser: the language switcher, the default's text under
each field, saving, and the public API in that locale (Playwright driving Debian's Chromium)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def locales_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own with LOCALES=en,de."""
    with serving(tmp_path_factory, locales="en,de") as base:
        yield base


async def test_an_entry_is_translated_from_its_form(locales_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = locales_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Locale Corp")
            await page.fill("#position", "Engineer")
            await page.fill("#highlights", "Shipped it")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/work/edit/1?outcome=saved")

            await page.screenshot(path=str(OUTPUT / "admin-locale-switcher.png"), full_page=True)
            switcher = page.locator(".cms-locale-switcher")
            await expect(switcher.locator("li.active")).to_have_text("English (en) · default")
            await switcher.get_by_role("link", name="Deutsch (de)").click()
            await expect(page).to_have_url(f"{base}/admin/translate/work/1/de")
            await expect(page.locator("#default-position")).to_have_text("English: Engineer")
            await expect(page.locator("#translate-position")).to_have_value("")
            await expect(page.locator("#translate-position")).to_have_attribute(
                "placeholder", "Engineer"
            )
            await page.fill("#translate-position", "Ingenieurin")
            await page.fill("#translate-highlights", "Geliefert")
            await page.screenshot(path=str(OUTPUT / "admin-translate.png"), full_page=True)
            await page.click("#translation-form button[type=submit]")
            await expect(page.locator("#translation-saved")).to_be_visible()
            await expect(page.locator("#translate-position")).to_have_value("Ingenieurin")

            await page.goto(f"{base}/admin/")
            await expect(page.locator(".cms-translations [data-locale=de]")).to_contain_text(
                "de: 2 of 3"
            )
            assert errors == []
        finally:
            await browser.close()

    async with httpx.AsyncClient(base_url=base) as api:
        german = await api.get("/api/v1/experience?locale=de")
        english = await api.get("/api/v1/experience")
    assert german.json()[0]["position"] == "Ingenieurin"
    assert german.json()[0]["highlights"] == ["Geliefert"]
    assert english.json()[0]["position"] == "Engineer"
