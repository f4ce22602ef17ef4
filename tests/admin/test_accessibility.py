"""The back office under axe-core in Chromium: no accessibility violation of any impact.

Every page: login, dashboard, each of the 18 lists, create and edit forms, API tokens (the
list, the form, a new token), sessions, two-factor login, passkeys, JSON Resume (with an
import's confirmation), rebuild; five of them in the dark theme too. The result per page is
written to ``test-output/axe.txt``.

axe-core comes from npm (``tests/admin/package.json`` and its lock file, installed with
``npm ci`` the first time). Without Node.js these tests skip, unless ``CI`` is set, where a
missing toolchain fails them. The pages' CSP admits only scripts with the response's nonce,
so the browser context bypasses CSP to inject axe (the app's own scripts still run as served).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, USERNAME, log_in, serving

playwright_api = pytest.importorskip("playwright.async_api")

PACKAGE_DIR = Path(__file__).resolve().parent
AXE = PACKAGE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What each violation says in a failure: the rule, its impact and the elements it found.
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def _locked_version() -> str:
    lock = json.loads((PACKAGE_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/axe-core"]["version"])


def _installed_version() -> str | None:
    manifest = AXE.parent / "package.json"
    if not AXE.exists() or not manifest.exists():
        return None
    return str(json.loads(manifest.read_text())["version"])


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe.min.js of the locked axe-core, installed with ``npm ci`` when missing or stale."""
    if _installed_version() != _locked_version():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm is not installed: skipping the axe-core checks"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        done = subprocess.run(
            [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}{done.stderr}"
    return AXE.read_text()


@pytest.fixture(scope="module")
def a11y_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn, for these checks alone (two locales: the translation form too)."""
    with serving(tmp_path_factory, sample=True, locales="en,de") as base:
        yield base


def _report(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"])
        for v in violations
    )


async def _violations(page: playwright_api.Page, axe_source: str) -> list[dict[str, Any]]:
    # The page's own scripts name some controls once the document is loaded.
    await page.wait_for_load_state("load")
    await page.add_script_tag(content=axe_source)
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return found


async def _create_work_entry(page: playwright_api.Page, base: str) -> str:
    """Create a work entry through the form; return its edit URL."""
    await page.goto(f"{base}/admin/work/create")
    await page.fill("#company", "Accessible Corp")
    await page.fill("#position", "Engineer")
    await page.fill("#start_date", "2021-09-01")
    await page.click("input[type=submit][value='Save and continue editing']")
    await playwright_api.expect(page).to_have_url(re.compile(r".*/admin/work/edit/\d+\b.*"))
    return page.url.split("?")[0]


MENU_PAGES = """() => [...new Set([...document.querySelectorAll('.cms-menu a.nav-link')]
  .map((a) => a.getAttribute('href')).filter((href) => href !== '#'))]"""


async def test_back_office_pages_have_no_violations(a11y_server: str, axe_source: str) -> None:
    base = a11y_server
    problems: dict[str, list[dict[str, Any]]] = {}
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            expect = playwright_api.expect

            async def check(name: str, url: str | None = None) -> None:
                if url is not None:
                    await page.goto(url if url.startswith("http") else f"{base}{url}")
                problems[name] = await _violations(page, axe_source)

            await check("login", "/admin/login")
            # A failed login shows the error next to the fields.
            await page.fill("#username", USERNAME)
            await page.fill("#password", "wrong password")
            await page.click("button[type=submit]")
            await expect(page.locator("#login-error")).to_be_visible()
            await check("login with an error")

            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")
            await check("dashboard")
            for link in await page.evaluate(MENU_PAGES):
                await check(link.split("/admin/", 1)[1] or "dashboard", link)

            edit_url = await _create_work_entry(page, base)
            await check("edit form")
            await page.goto(edit_url)
            await page.fill("#url", "not-a-url")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page.locator("#url ~ .invalid-feedback")).to_be_visible()
            await check("edit form with an error")
            for form in ("work", "project", "skill", "profile", "api-token"):
                await check(f"{form} create form", f"/admin/{form}/create")
            await check("work details", edit_url.replace("/edit/", "/details/"))
            await check("work list", "/admin/work/list")

            await page.goto(f"{base}/admin/api-token/new")
            await page.fill("#name", "astro-preview")
            await page.click("#api-token-create")
            await expect(page.locator("#api-token-value")).to_be_visible()
            await check("new API token")

            translate_url = edit_url.replace("/work/edit/", "/translate/work/") + "/de"
            await page.goto(translate_url)
            await check("translation form")
            await page.fill("#translate-position", "x" * 201)
            await page.click("#translation-form button[type=submit]")
            await expect(page.locator(".invalid-feedback").first).to_be_visible()
            await check("translation form with an error")

            await page.goto(f"{base}/admin/passkeys")
            await check("passkeys")

            await page.goto(edit_url.replace("/admin/work/edit/", "/admin/history/work/"))
            await expect(page.locator(".cms-revision").first).to_be_visible()
            await check("history")
            await page.goto(f"{base}/admin/versions")
            await page.locator("#versions tbody tr").last.get_by_text("Compare with now").click()
            await expect(page.locator("#version-diff")).to_be_visible()
            await check("versions with a difference")
            await page.goto(f"{base}/admin/trash")
            await check("trash")

            document = {"basics": {"name": "Ada"}, "work": [{"name": "Only Co"}]}
            await page.goto(f"{base}/admin/json-resume")
            await page.set_input_files(
                "#document",
                files=[
                    {
                        "name": "cv.json",
                        "mimeType": "application/json",
                        "buffer": json.dumps(document).encode(),
                    }
                ],
            )
            await page.click("button[type=submit]")
            await expect(page.locator("#resume-deletions")).to_be_visible()
            await check("JSON Resume confirmation")

            await page.emulate_media(color_scheme="dark")
            for name, url in (
                ("dashboard", "/admin/"),
                ("work list", "/admin/work/list"),
                ("edit form", edit_url),
                ("JSON Resume", "/admin/json-resume"),
            ):
                await check(f"{name} (dark)", url)
            await page.get_by_role("link", name="Logout").click()
            await expect(page).to_have_url(f"{base}/admin/login")
            await check("login (dark)")
        finally:
            await browser.close()
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "axe.txt").write_text(
        "".join(
            f"{name}: {len(found)} violation(s)"
            + "".join(f"\n  {v['id']} ({v['impact']})" for v in found)
            + "\n"
            for name, found in problems.items()
        )
    )
    assert len(problems) >= 30, sorted(problems)
    failing = {name: found for name, found in problems.items() if found}
    assert not failing, "\n".join(f"{name}:\n{_report(found)}" for name, found in failing.items())
