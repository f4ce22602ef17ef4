"""The admin's forms in a real browser: Playwright driving Debian's Chromium.

Switching a date's precision switches its input (day picker, month picker, year number) and
carries the value over; the saved entry and the public API show the date at that precision.
Leaving a form with a change asks first (``beforeunload``); leaving an unchanged one, or
saving, does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Page

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def forms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own for the form checks."""
    with serving(tmp_path_factory) as base:
        yield base


async def _experience(base: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.get("/api/v1/experience")
    assert response.status_code == 200
    body: list[dict[str, object]] = response.json()
    return body


def _dialogs(page: Page) -> list[str]:
    """The types of the dialogs ``page`` opens; each is accepted, so navigation goes on."""
    seen: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.type)
        await dialog.accept()

    page.on("dialog", on_dialog)
    return seen


async def _input_type(page: Page, selector: str) -> str:
    return str(await page.locator(selector).get_attribute("type"))


async def test_the_date_input_follows_its_precision(forms_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = forms_server
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
            await page.fill("#company", "Forms Corp")
            await page.fill("#position", "Engineer")
            # A new entry starts with a day picker; the value is carried over as the
            # precision changes: 2023-05-17 -> 2023-05 -> 2023 -> 2023-01.
            assert await _input_type(page, "#start_date") == "date"
            await page.fill("#start_date", "2023-05-17")
            await page.select_option("#start_precision", "month")
            assert await _input_type(page, "#start_date") == "month"
            await expect(page.locator("#start_date")).to_have_value("2023-05")
            await page.select_option("#start_precision", "year")
            assert await _input_type(page, "#start_date") == "number"
            await expect(page.locator("#start_date")).to_have_value("2023")
            assert await page.locator("#start_date").get_attribute("min") == "1900"
            await page.select_option("#start_precision", "month")
            await expect(page.locator("#start_date")).to_have_value("2023-01")
            await page.fill("#start_date", "2023-09")
            await page.screenshot(path=str(OUTPUT / "admin-date-precision.png"), full_page=True)

            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/work/edit/1?outcome=saved")
            # The edit page opens with the month picker holding the saved month.
            assert await _input_type(page, "#start_date") == "month"
            await expect(page.locator("#start_date")).to_have_value("2023-09")
            await expect(page.locator("#start_precision")).to_have_value("month")
            (job,) = await _experience(base)
            assert job["start_date"] == "2023-09"

            # A year, saved from the edit page.
            await page.select_option("#start_precision", "year")
            await page.fill("#start_date", "2021")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/work/edit/1?outcome=saved")
            assert await _input_type(page, "#start_date") == "number"
            await expect(page.locator("#start_date")).to_have_value("2021")
            (job,) = await _experience(base)
            assert job["start_date"] == "2021"

            # A value that disagrees with its precision (as a browser without the script
            # sends it) is refused next to the field, which comes back at that precision.
            await page.select_option("#start_precision", "day")
            await page.fill("#start_date", "2021-06-15")
            await page.locator("#start_precision").evaluate("select => { select.value = 'month'; }")
            await page.click("input[type=submit][value='Save and continue editing']")
            feedback = page.locator(".cms-partial-date ~ .invalid-feedback")
            await expect(feedback).to_have_text("Enter a month like 2024-05.")
            await expect(feedback).to_be_visible()
            assert await _input_type(page, "#start_date") == "month"
            await page.screenshot(path=str(OUTPUT / "admin-date-error.png"), full_page=True)
            (job,) = await _experience(base)
            assert job["start_date"] == "2021"
            assert errors == []
        finally:
            await browser.close()


async def test_leaving_a_changed_form_asks_first(forms_server: str) -> None:
    base = forms_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")
            dialogs = _dialogs(page)

            # Unchanged, after a click on the page (Chromium asks only after a gesture).
            await page.goto(f"{base}/admin/work/create")
            await page.click("#company")
            await page.goto(f"{base}/admin/")
            assert dialogs == []

            # Typed and typed back: nothing differs from what the page opened with.
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Draft Corp")
            await page.fill("#company", "")
            await page.goto(f"{base}/admin/")
            assert dialogs == []

            # Changed: leaving asks, and accepting goes on.
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Draft Corp")
            await page.goto(f"{base}/admin/")
            await expect(page).to_have_url(f"{base}/admin/")
            assert dialogs == ["beforeunload"]

            # A changed precision counts as a change too.
            dialogs.clear()
            await page.goto(f"{base}/admin/work/create")
            await page.select_option("#start_precision", "year")
            await page.goto(f"{base}/admin/")
            assert dialogs == ["beforeunload"]

            # Saving a changed form leaves without asking.
            dialogs.clear()
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Saved Corp")
            await page.fill("#position", "Engineer")
            await page.click("input[type=submit][value='Save']")
            await expect(page).to_have_url(f"{base}/admin/work/list?outcome=saved")
            assert dialogs == []

            # An edit form as it was opened: leaving does not ask; after a change it does.
            await page.goto(f"{base}/admin/work/list")
            await page.goto(f"{base}/admin/work/edit/1")
            await page.click("#position")
            await page.goto(f"{base}/admin/work/list")
            assert dialogs == []
            await page.goto(f"{base}/admin/work/edit/1")
            await page.fill("#position", "Lead engineer")
            await page.goto(f"{base}/admin/work/list")
            assert dialogs == ["beforeunload"]
        finally:
            await browser.close()


async def test_text_areas_grow_ctrl_s_saves_and_personal_info_says_saved(
    forms_server: str,
) -> None:
    base = forms_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            dialogs = _dialogs(page)
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # Personal info: a summary is a text area that grows as it is typed into.
            await page.goto(f"{base}/admin/basics/create")
            await page.fill("#name", "Ada Lovelace")
            summary = page.locator("textarea#summary")
            before = await summary.evaluate("area => area.getBoundingClientRect().height")
            await summary.fill("\n".join(f"Line {n} of a long summary." for n in range(12)))
            after = await summary.evaluate("area => area.getBoundingClientRect().height")
            assert after > before + 100, (before, after)
            assert await summary.evaluate("area => area.scrollHeight <= area.clientHeight + 2")

            # Ctrl+S saves the form and stays on it; the page says so, past both redirects.
            await page.keyboard.press("Control+s")
            await expect(page).to_have_url(re.compile(r".*/admin/basics/edit/1\?outcome=saved$"))
            await expect(page.get_by_role("status")).to_have_text("Saved.")
            assert dialogs == []  # a save never asks about leaving

            # Save with the button: the list of one row opens the form again, saying so.
            await page.fill("#label", "Analyst")
            await page.click("input[type=submit][value='Save']")
            await expect(page).to_have_url(re.compile(r".*/admin/basics/edit/1\?outcome=saved$"))
            await expect(page.get_by_role("status")).to_have_text("Saved.")
            # Save is the primary button.
            save = page.locator("input[type=submit][value='Save']")
            assert "btn-primary" in str(await save.get_attribute("class"))
        finally:
            await browser.close()


async def test_a_new_token_copies_and_the_theme_follows_the_system(forms_server: str) -> None:
    base = forms_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(color_scheme="dark")
            await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            page = await context.new_page()
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")
            assert await page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
            background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background != "rgb(249, 250, 251)", "the page is drawn dark"
            await page.screenshot(path=str(OUTPUT / "admin-dashboard-dark.png"))

            await page.goto(f"{base}/admin/api-token/new")
            await page.fill("#name", "astro-preview")
            await page.click("#api-token-create")
            token = await page.locator("#api-token-value").input_value()
            await page.click("#api-token-copy")
            await expect(page.locator("#api-token-copied")).to_have_text("Copied.")
            assert await page.evaluate("navigator.clipboard.readText()") == token

            # The system switches to light while the page is open: the page follows.
            await page.emulate_media(color_scheme="light")
            await expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
        finally:
            await browser.close()
