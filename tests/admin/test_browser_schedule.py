"""Scheduled publishing in a real browser whose clock is in another zone than the owner's.

Chromium runs in Tokyo; the owner's zone (``OWNER_TIMEZONE``) is Lisbon. What the owner types
is Lisbon time, the list shows the Scheduled badge, the dashboard lists the change in Lisbon
time, and a time Lisbon's clocks skip is refused next to the field.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def lisbon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own whose owner lives in Lisbon."""
    with serving(tmp_path_factory, owner_timezone="Europe/Lisbon") as base:
        yield base


async def test_a_schedule_is_entered_and_shown_in_the_owners_zone(lisbon_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = lisbon_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in {
                "Asia/Tokyo",
                "",
            }
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            await page.goto(f"{base}/admin/skill/create")
            await page.fill("#name", "Rust")
            await page.uncheck("#is_published")
            # 2027-03-28: Lisbon's clocks go from 01:00 straight to 02:00.
            await page.fill("#publish_at", "2027-03-28T01:30")
            await page.click("input[type=submit][value='Save and continue editing']")
            feedback = page.locator("#publish_at ~ .invalid-feedback")
            await expect(feedback).to_contain_text("does not exist in Europe/Lisbon")
            await expect(page.locator("#publish_at")).to_have_value("2027-03-28T01:30")

            await page.fill("#publish_at", "2027-07-15T09:30")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/skill/edit/1?outcome=saved")
            await expect(page.locator("#publish_at")).to_have_value("2027-07-15T09:30")
            await expect(page.locator(".cms-schedule-note")).to_contain_text(
                "Publishes 2027-07-15 09:30 Europe/Lisbon"
            )

            await page.goto(f"{base}/admin/skill/list")
            badge = page.locator(".cms-flag-scheduled")
            await expect(badge).to_have_text("Scheduled")
            assert await badge.get_attribute("title") == "Publishes 2027-07-15 09:30 Europe/Lisbon"
            await page.screenshot(path=str(OUTPUT / "admin-scheduled-list.png"), full_page=True)

            await page.goto(f"{base}/admin/")
            coming = page.locator(".cms-scheduled tbody tr")
            await expect(coming).to_have_count(1)
            await expect(coming).to_contain_text("2027-07-15 09:30 Europe/Lisbon")
            await expect(coming).to_contain_text("Skill: Rust")
            await page.screenshot(
                path=str(OUTPUT / "admin-scheduled-dashboard.png"), full_page=True
            )
            assert errors == []
        finally:
            await browser.close()
