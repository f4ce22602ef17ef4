"""The back office in a real browser: Playwright driving Debian's Chromium against uvicorn.

Log in with a wrong then a right password, create a work entry with two technologies,
publish it, see it in /api/v1/experience at once, edit it, delete it, log out, and find
/admin closed again. Screenshots of the login page and a list page go to test-output/. With
the sample CV: all 18 lists at 1440, 1024 and 390 px (screenshots in test-output/screens/, the
rows a 1440×900 screen holds in rows-per-screen.txt), and the menu on a phone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.admin.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OUTPUT,
    PASSWORD,
    USERNAME,
    log_in,
    serving,
)

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server of the owner's flows (they build on each other)."""
    with serving(tmp_path_factory) as base:
        yield base


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own for the layout checks, with the sample CV (the flows turn on
    two-factor login)."""
    with serving(tmp_path_factory, sample=True) as base:
        yield base


async def _pick_technology(page: playwright_api.Page, term: str, name: str) -> None:
    await page.locator("#technologies + .select2-container").click()
    await page.keyboard.type(term)
    await page.locator(".select2-results__option", has_text=name).first.click()


async def _experience(base: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.get("/api/v1/experience")
    assert response.status_code == 200
    body: list[dict[str, object]] = response.json()
    return body


def _watch_console(page: playwright_api.Page) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught script errors seen on ``page``.

    HTTP error statuses are left out: the flows provoke 400s on purpose (wrong password,
    wrong code).
    """
    problems: list[str] = []

    def on_console(message: playwright_api.ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


async def test_owner_flow_in_chromium(live_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = live_server
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            problems = _watch_console(page)
            expect = playwright_api.expect

            # /admin is closed: the browser lands on our login page.
            await page.goto(f"{base}/admin/")
            await expect(page).to_have_url(f"{base}/admin/login")
            await expect(page.get_by_text("Owner back office")).to_be_visible()
            await page.screenshot(path=str(OUTPUT / "admin-login.png"), full_page=True)

            # Wrong password first: the error is shown, still on the login page.
            await page.fill("#username", USERNAME)
            await page.fill("#password", "not my password")
            await page.click("button[type=submit]")
            await expect(page.locator("#login-error")).to_have_text("Invalid credentials.")

            await page.fill("#username", USERNAME)
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await expect(page).to_have_url(f"{base}/admin/")
            await expect(page.get_by_role("heading", name="Your CV")).to_be_visible()
            cookie = next(c for c in await page.context.cookies() if c["name"] == "cms_admin_token")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            # A draft work entry with two technologies.
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Browser Corp")
            await page.fill("#position", "Engineer")
            await page.fill("#start_date", "2022-04-01")
            await page.select_option("#start_precision", "month")
            await _pick_technology(page, "Pyth", "Python")
            await _pick_technology(page, "Postg", "PostgreSQL")
            await page.uncheck("#is_published")
            # A bad URL is refused next to its field, and the form keeps what was typed.
            await page.fill("#url", "browser-corp.example")
            await page.click("input[type=submit][value='Save and continue editing']")
            url_error = page.locator("#url ~ .invalid-feedback")
            await expect(url_error).to_contain_text("Must be an absolute http(s) URL")
            await expect(page.locator("#company")).to_have_value("Browser Corp")
            await page.screenshot(path=str(OUTPUT / "admin-work-form-error.png"), full_page=True)
            await page.fill("#url", "https://browser-corp.example")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/work/edit/1?outcome=saved")
            await expect(page.get_by_role("status")).to_have_text("Saved.")
            assert await _experience(base) == []  # drafts stay private

            # Publish it: the public API shows it at once.
            await page.check("#is_published")
            await page.click("input[type=submit][value='Save']")
            await expect(page).to_have_url(f"{base}/admin/work/list?outcome=saved")
            (job,) = await _experience(base)
            assert job["company"] == "Browser Corp"
            assert job["start_date"] == "2022-04"
            assert sorted(job["technologies"]) == ["PostgreSQL", "Python"]  # type: ignore[arg-type]
            await expect(page.get_by_role("cell", name="Browser Corp")).to_be_visible()
            await page.screenshot(path=str(OUTPUT / "admin-work-list.png"), full_page=True)

            # Edit it.
            await page.goto(f"{base}/admin/work/edit/1")
            await page.fill("#position", "Lead engineer")
            await page.click("input[type=submit][value='Save']")
            await expect(page).to_have_url(f"{base}/admin/work/list?outcome=saved")
            (job,) = await _experience(base)
            assert job["position"] == "Lead engineer"

            # Delete it through the list's confirmation dialog.
            await page.locator("a[data-bs-target='#modal-delete'][data-pk='1']").click()
            await expect(page.locator("#modal-delete-button")).to_be_visible()  # shown, URL set
            await page.locator("#modal-delete-button").click()
            await expect(page.get_by_role("cell", name="Browser Corp")).to_have_count(0)
            for _ in range(50):  # the list may vanish while the page reloads, before the DELETE
                if await _experience(base) == []:
                    break
                await asyncio.sleep(0.1)
            assert await _experience(base) == []

            # The audit log saw all of it.
            await page.goto(f"{base}/admin/audit-log/list")
            for action in ("create", "update", "delete"):
                await expect(
                    page.get_by_role("cell", name=action, exact=True).first
                ).to_be_visible()

            # Log out: /admin is closed again.
            await page.get_by_role("link", name="Logout").click()
            await expect(page).to_have_url(f"{base}/admin/login")
            await page.goto(f"{base}/admin/work/list")
            await expect(page).to_have_url(f"{base}/admin/login")
        finally:
            await browser.close()
    assert problems == [], "the admin works under its CSP without console errors"
    assert (OUTPUT / "admin-login.png").stat().st_size > 0
    assert (OUTPUT / "admin-work-list.png").stat().st_size > 0


async def test_two_factor_login_and_post_actions_in_chromium(live_server: str) -> None:
    import pyotp

    base = live_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            problems = _watch_console(page)
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # A list action is a POST sent by the page's script (GET would be refused).
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "Action Corp")
            await page.fill("#position", "Engineer")
            await page.uncheck("#is_published")
            await page.click("input[type=submit][value='Save']")
            await expect(page).to_have_url(f"{base}/admin/work/list?outcome=saved")
            await page.locator("input.select-box").first.check()
            await page.locator("button.dropdown-toggle", has_text="Actions").click()
            await page.locator("#action-custom-publish").click()
            await expect(page).to_have_url(f"{base}/admin/work/list?outcome=published")
            await expect(page.get_by_role("status")).to_contain_text("Published")
            assert [job["company"] for job in await _experience(base)] == ["Action Corp"]

            # Enrol: QR code and key, a wrong first code, then the right one.
            await page.goto(f"{base}/admin/two-factor")
            await page.click("#totp-start")
            await expect(page.locator("#totp-qr svg")).to_be_visible()
            secret = (await page.locator("#totp-secret").inner_text()).strip()
            totp = pyotp.TOTP(secret)
            await page.fill("#code", "000000")
            await page.click("#totp-confirm")
            await expect(page.locator("#two-factor-error")).to_be_visible()
            await page.fill("#code", totp.now())
            await page.click("#totp-confirm")
            codes = [
                c.strip() for c in await page.locator("#recovery-codes code").all_inner_texts()
            ]
            assert len(codes) == 10
            await page.screenshot(path=str(OUTPUT / "admin-two-factor.png"), full_page=True)
            await page.get_by_role("link", name="Logout").click()
            await expect(page).to_have_url(f"{base}/admin/login")

            # Log in: password, then a wrong code, then the next code from the app.
            await log_in(page, base)
            await expect(page.locator("#code-step")).to_be_visible()
            await page.fill("#code", "999999")
            await page.click("button[type=submit]")
            await expect(page.locator("#login-error")).to_have_text("Invalid code.")
            next_code = totp.at(time.time() + 30)
            await page.fill("#code", next_code)
            await page.click("button[type=submit]")
            await expect(page).to_have_url(f"{base}/admin/")
            await page.get_by_role("link", name="Logout").click()

            # And once with a recovery code instead.
            await log_in(page, base)
            await page.fill("#code", codes[0])
            await page.click("button[type=submit]")
            await expect(page).to_have_url(f"{base}/admin/")

            # Log out everywhere from the sessions page.
            await page.goto(f"{base}/admin/sessions")
            await page.click("#logout-everywhere")
            await expect(page).to_have_url(f"{base}/admin/login")
        finally:
            await browser.close()
    assert problems == [], "no console errors (CSP violations included)"


WIDTHS = (1440, 1024, 390)
PAGES = ("", "work/create", "basics/list", "json-resume")
LISTS = 18
"""Every list of the menu: the CV's sections, technologies and the back office's own tables."""
MENU_LISTS = """() => [...new Set([...document.querySelectorAll('.cms-menu a.nav-link')]
  .map((a) => a.getAttribute('href')).filter((href) => href.endsWith('/list')))]"""
FITS = """() => {
  const box = document.querySelector('.table-responsive');
  if (!box) {
    return {page: document.documentElement.scrollWidth - innerWidth, box: 0, shown: [], all: []};
  }
  const right = box.getBoundingClientRect().right;
  const shown = [...box.querySelectorAll('thead th')]
    .filter((th) => getComputedStyle(th).display !== 'none'
      && th.getBoundingClientRect().right <= right + 0.5)
    .map((th) => th.textContent.trim());
  const all = [...box.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  return {page: document.documentElement.scrollWidth - innerWidth,
          box: box.scrollWidth - box.clientWidth, shown, all};
}"""
ROWS_ON_SCREEN = """() => {
  const rows = [...document.querySelectorAll('.table-responsive tbody tr')];
  return {
    visible: rows.filter((row) => row.getBoundingClientRect().bottom <= innerHeight).length,
    tallest: Math.max(...rows.map((row) => row.getBoundingClientRect().height)),
    first_top: rows[0].getBoundingClientRect().top,
  };
}"""

PLACEHOLDER_ROOM = """() => {
  const input = document.getElementById('search-input');
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return {text: context.measureText(input.placeholder).width, box: input.clientWidth - padding,
          placeholder: input.placeholder};
}"""


async def test_every_list_fits_every_width_and_a_screen_holds_ten_work_rows(
    layout_server: str,
) -> None:
    """All 18 lists (the sample CV) at 1440, 1024 and 390 px: nothing past the card's edge, the
    key columns and Order kept; screenshots of each into test-output/screens/."""
    base = layout_server
    screens = OUTPUT / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            expect = playwright_api.expect
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")
            await page.goto(f"{base}/admin/work/create")
            await page.fill("#company", "A company with a rather long name that wraps, Ltd.")
            await page.fill("#position", "Staff engineer for platforms and developer experience")
            await page.uncheck("#is_published")
            await page.click("input[type=submit][value='Save']")
            lists: list[str] = await page.evaluate(MENU_LISTS)
            assert len(lists) == LISTS, lists

            # At 1440×900 the work list holds ten rows or more, each one line high.
            await page.goto(f"{base}/admin/work/list")
            rows = await page.evaluate(ROWS_ON_SCREEN)
            assert rows["visible"] >= 10, rows
            assert rows["tallest"] < 48, f"a row wraps: {rows}"
            (screens / "rows-per-screen.txt").write_text(
                f"work list at 1440x900: {rows['visible']} rows visible, "
                f"rows {rows['tallest']:.0f}px at most, the first at {rows['first_top']:.0f}px\n"
            )

            # The search box shows its whole hint ("Search: Company, Position, …").
            room = await page.evaluate(PLACEHOLDER_ROOM)
            assert room["text"] <= room["box"], room

            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": 900})
                for path in (*PAGES, *(link.split("/admin/", 1)[1] for link in lists)):
                    response = await page.goto(f"{base}/admin/{path}")
                    assert response is not None and response.ok, path
                    fits = await page.evaluate(FITS)
                    name = path.replace("/", "-") or "dashboard"
                    await page.screenshot(path=str(screens / f"{width}-{name}.png"), full_page=True)
                    assert fits["page"] <= 0, f"{path or 'dashboard'} overflows at {width}: {fits}"
                    assert fits["box"] <= 0, f"{path}: columns off the card at {width}: {fits}"
                    if path == "json-resume":  # the file input reads "No file chosen", not "No…en"
                        box = await page.locator("#document").bounding_box()
                        assert box is not None and box["width"] >= 250, (width, box)
                    if "Order" in fits["all"]:
                        # A list of CV entries keeps its first field, the badge and the order.
                        assert fits["shown"][-2:] == ["Published", "Order"], (path, width, fits)
                        assert len(fits["shown"]) >= 5, (path, width, fits)
                await page.goto(f"{base}/admin/work/list")
                await expect(page.locator(".cms-flag-draft").first).to_be_in_viewport()
        finally:
            await browser.close()
    assert len(list(screens.glob("*-list.png"))) >= (LISTS - 1) * len(WIDTHS)


async def test_the_menu_opens_its_current_group_and_stacks_above_the_page_on_a_phone(
    layout_server: str,
) -> None:
    base = layout_server
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            await log_in(page, base)
            await page.goto(f"{base}/admin/basics/list")  # a long form: the sidebar runs down
            await expect(page.get_by_role("link", name="Social profiles")).to_be_visible()
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            sidebar = await page.locator("aside.cms-sidebar").bounding_box()
            assert sidebar is not None and sidebar["y"] == 0 and sidebar["height"] == 900

            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/admin/work/list")
            menu = page.locator("#cms-menu")
            await expect(menu).to_be_hidden()
            await page.get_by_role("button", name="Menu").click()
            await expect(
                page.get_by_role("link", name="Work experience", exact=True)
            ).to_be_visible()
            box = await menu.bounding_box()
            brand = await page.locator(".cms-sidebar-brand").bounding_box()
            assert box is not None and brand is not None
            assert box["width"] >= 340, "the menu takes the phone's width, under the bar"
            assert brand["x"] < 100 and box["y"] >= brand["y"] + brand["height"] - 1
            await page.screenshot(path=str(OUTPUT / "screens" / "390-menu-open.png"))
        finally:
            await browser.close()
