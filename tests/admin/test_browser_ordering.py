"""Dragging list rows into order in a real browser: Playwright driving Debian's Chromium.

Three projects made through the admin; the last row dragged to the top by its handle; the
page says the order is saved, a reload and the public API show it, and the content version
moved once. Then the arrow keys on a handle, a refused order (a row deleted meanwhile) that
the page reports and undoes, and a list sorted by a column, where dragging is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving
from tests.admin.helpers import project_form

if TYPE_CHECKING:
    from playwright.async_api import Page

playwright_api = pytest.importorskip("playwright.async_api")

NAMES = ("Alpha", "Beta", "Gamma")


@pytest.fixture(scope="module")
def ordering_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: the checks count content versions."""
    with serving(tmp_path_factory) as base:
        yield base


async def _public_names(base: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.get("/api/v1/projects")
    assert response.status_code == 200
    return [project["name"] for project in response.json()]


async def _listed(page: Page) -> list[str]:
    """The names in the list, top to bottom (the name is the first column after the icons)."""
    cells = page.locator(".table-responsive tbody tr td:nth-child(3)")
    return [name.strip() for name in await cells.all_inner_texts()]


async def _version(page: Page, base: str) -> int:
    """The content version the dashboard shows."""
    await page.goto(f"{base}/admin/")
    return int(await page.locator(".cms-version").inner_text())


async def test_drag_a_row_to_the_top_in_chromium(ordering_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = ordering_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            # HTTP error statuses are left out: the refused order below is one on purpose.
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if message.type == "error"
                    and not message.text.startswith("Failed to load resource")
                    else None
                ),
            )
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # Three projects, saved through the admin's own form (equal order: newest first).
            ids = {}
            for name in NAMES:
                form = project_form(name=name, slug=name.lower())
                saved = await page.request.post(f"{base}/admin/project/create", form=form)
                assert saved.ok, await saved.text()
            await page.goto(f"{base}/admin/project/list")
            for row in await page.locator(".table-responsive tbody tr").all():
                name = (await row.locator("td:nth-child(3)").inner_text()).strip()
                ids[name] = await row.locator("td:first-child input[type=hidden]").input_value()
            assert await _listed(page) == ["Gamma", "Beta", "Alpha"]
            assert await _public_names(base) == ["Gamma", "Beta", "Alpha"]
            version = await _version(page, base)

            # Drag the last row by its handle onto the top half of the first row.
            await page.goto(f"{base}/admin/project/list")
            rows = page.locator(".table-responsive tbody tr")
            handle = rows.nth(2).locator(".cms-drag-handle")
            await expect(handle).to_have_attribute("aria-label", "Move Alpha")
            await handle.drag_to(rows.nth(0), target_position={"x": 20, "y": 2})
            await expect(page.locator(".cms-ordering [role=status]")).to_have_text("Order saved.")
            assert await _listed(page) == ["Alpha", "Gamma", "Beta"]
            # The Order column shows the new numbers (tied zeros became 0, 1, 2).
            numbers = page.locator(".table-responsive tbody tr td:last-child")
            await expect(numbers).to_have_text(["0", "1", "2"])
            await page.screenshot(path=str(OUTPUT / "admin-ordering.png"), full_page=True)

            await page.reload()
            assert await _listed(page) == ["Alpha", "Gamma", "Beta"]
            assert await _public_names(base) == ["Alpha", "Gamma", "Beta"]
            assert await _version(page, base) == version + 1

            # The keyboard: the arrow keys on a focused handle move its row.
            await page.goto(f"{base}/admin/project/list")
            beta = page.get_by_role("button", name="Move Beta")
            await beta.focus()
            async with page.expect_response(f"{base}/admin/project/reorder") as answer:
                await page.keyboard.press("ArrowUp")
            assert (await answer.value).ok
            await expect(page.locator(".cms-ordering [role=status]")).to_have_text("Order saved.")
            await expect(beta).to_be_focused()
            assert await _listed(page) == ["Alpha", "Beta", "Gamma"]
            assert await _public_names(base) == ["Alpha", "Beta", "Gamma"]

            # A row deleted meanwhile (another tab): the order is refused, said and undone.
            gone = await page.request.delete(f"{base}/admin/project/delete?pks={ids['Gamma']}")
            assert gone.ok
            rows = page.locator(".table-responsive tbody tr")
            await (
                rows.nth(2)
                .locator(".cms-drag-handle")
                .drag_to(rows.nth(0), target_position={"x": 20, "y": 2})
            )
            await expect(page.get_by_role("alert")).to_have_text(
                "Not reordered: some of these entries no longer exist."
            )
            await expect(page.locator(".cms-ordering [role=status]")).to_be_hidden()
            assert await _listed(page) == ["Alpha", "Beta", "Gamma"]
            assert await _public_names(base) == ["Alpha", "Beta"]

            # Sorted by a column: no handles, and a way back to the public order.
            await page.goto(f"{base}/admin/project/list?sortBy=name&sort=desc")
            await expect(page.locator(".cms-drag-handle")).to_have_count(0)
            await page.get_by_role("link", name="Show the public order").click()
            await expect(page).to_have_url(f"{base}/admin/project/list")
            await expect(page.locator(".cms-drag-handle")).to_have_count(2)
        finally:
            await browser.close()
    assert problems == [], "the page works under the CSP without script errors"
