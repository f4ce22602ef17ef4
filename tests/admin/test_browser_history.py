"""History, Trash and Versions in a real browser (Debian's Chromium), on SQLite and PostgreSQL.

Content is written through the one write path (as the back office's saves are), then the owner
opens an entry's History from its form and restores an earlier version, brings a deleted entry
back from the Trash, compares two versions and restores the whole CV after its confirmation.
No page may log a script or CSP error. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cms.content.models import Project, Technology, Work
from cms.content.session import make_sessionmaker
from cms.content.tracking import track
from cms.core.config import Settings
from cms.core.db import create_engine
from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving
from tests.databases import BACKENDS, REQUIRE_POSTGRES, scratch_postgres

if TYPE_CHECKING:
    from playwright.async_api import Page

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module", params=BACKENDS)
async def history_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """A server of its own and its database URL (SQLite file, or a scratch PostgreSQL)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('history') / 'cms.db'}"
        with serving(tmp_path_factory, url) as base:
            yield base, url
        return
    try:
        scratch = scratch_postgres("cms_history_browser")
        url = await scratch.__aenter__()
    except OSError:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip("PostgreSQL is not reachable")
    try:
        with serving(tmp_path_factory, url) as base:
            yield base, url
    finally:
        await scratch.__aexit__(None, None, None)


async def _write(url: str) -> dict[str, Any]:
    """A job edited twice and a project deleted, each one write with its revisions."""
    engine = create_engine(Settings(environment="test", database_url=url))
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            go = (await session.scalars(select(Technology).where(Technology.name == "Go"))).one()
            work = Work(company="Harbour Works", position="Engineer", technologies=[go])
            project = Project(name="Lighthouse", slug="lighthouse", technologies=[go])
            track(work, actor="owner")
            session.add_all([work, project])
        async with sessions() as session, session.begin():
            statement = select(Work).options(selectinload(Work.technologies))
            work = (await session.scalars(statement)).one()
            track(work, actor="owner")
            work.position = "Senior engineer"
        async with sessions() as session, session.begin():
            doomed = await session.get(Project, project.id)
            track(doomed, actor="owner")
            await session.delete(doomed)
        return {"work": work.id, "project": project.id}
    finally:
        await engine.dispose()


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Statuses are checked on the responses themselves (Chromium's own favicon request, which
    # fires no response event, logs a "Failed to load resource" line).
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return problems


async def _api(base: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.get(path)
    assert response.status_code == 200
    return response.json()


async def test_history_trash_and_versions_in_chromium(history_server: tuple[str, str]) -> None:
    base, url = history_server
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    ids = await _write(url)
    OUTPUT.mkdir(exist_ok=True)
    expect = playwright_api.expect
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1000})
            problems = _watch(page)
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # The entry's form links to its History: the edit, field by field.
            await page.goto(f"{base}/admin/work/edit/{ids['work']}")
            await page.click("#history-link")
            await expect(page).to_have_url(f"{base}/admin/history/work/{ids['work']}")
            newest = page.locator(".cms-revision").first
            await expect(newest.locator('tr[data-field="position"] .cms-before')).to_have_text(
                "Engineer"
            )
            await expect(newest.locator('tr[data-field="position"] .cms-after')).to_have_text(
                "Senior engineer"
            )
            await page.screenshot(path=str(OUTPUT / f"admin-history-{backend}.png"), full_page=True)
            await page.locator(".cms-revision").nth(1).locator("button.cms-restore").click()
            await expect(page.locator("#history-outcome")).to_have_attribute(
                "data-outcome", "restored"
            )
            assert [job["position"] for job in await _api(base, "/api/v1/experience")] == [
                "Engineer"
            ]

            # The Trash, from the menu: the deleted project comes back with its technology.
            await page.click("nav >> text=Trash")
            row = page.locator(f'#trash tr[data-section="projects"][data-entry="{ids["project"]}"]')
            await expect(row).to_contain_text("Lighthouse")
            await page.screenshot(path=str(OUTPUT / f"admin-trash-{backend}.png"), full_page=True)
            await row.locator("button.cms-restore").click()
            await expect(page.locator("#trash-outcome")).to_have_attribute(
                "data-outcome", "restored"
            )
            await expect(page.locator("#trash-empty")).to_be_visible()
            projects = await _api(base, "/api/v1/projects")
            assert [(p["name"], p["technologies"]) for p in projects] == [("Lighthouse", ["Go"])]

            # Versions: compare the first content version with now, then restore it.
            await page.click("nav >> text=Versions")
            versions = page.locator("#versions tbody tr")
            first = int(await versions.last.get_attribute("data-version") or 0)
            await page.fill("#compare-from", str(first))
            await page.click("#compare")
            await expect(page.locator("#version-diff")).to_be_visible()
            await expect(page.locator(".cms-diff-remove").first).to_be_visible()
            await page.screenshot(
                path=str(OUTPUT / f"admin-versions-{backend}.png"), full_page=True
            )
            await page.locator(f'#versions tr[data-version="{first}"] a.cms-restore').click()
            await expect(page.locator("#restore-changes")).to_contain_text("work: 1 removed")
            await page.click("#confirm-restore")
            await expect(page.locator("#versions-outcome")).to_have_attribute(
                "data-outcome", "restored"
            )
            assert await _api(base, "/api/v1/experience") == []
            assert problems == []
        finally:
            await browser.close()
