"""The back office's History, Trash and Versions pages, through the admin's own forms."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import selectinload

from cms.content.models import Skill, Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from tests.admin.helpers import (
    add_technologies,
    audit_entries,
    content_version,
    form_errors,
    work_form,
)
from tests.databases import make_settings

SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, backups in a scratch folder."""
    return make_settings(database_url, backup_dir=str(tmp_path / "backups"))


async def _work(engine: AsyncEngine) -> Work:
    async with make_sessionmaker(engine)() as session:
        statement = select(Work).options(selectinload(Work.technologies))
        return (await session.scalars(statement)).one()


async def _edited_work(admin_client: httpx.AsyncClient, engine: AsyncEngine) -> tuple[Work, int]:
    """A job created, then edited (position and technologies); the version it was created at."""
    python, go = await add_technologies(engine, "Python", "Go")
    created = await admin_client.post(
        "/admin/work/create", data=work_form(technologies=[str(python), str(go)])
    )
    assert created.status_code == 302, form_errors(created.text)
    first = await content_version(engine)
    work = await _work(engine)
    edited = await admin_client.post(
        f"/admin/work/edit/{work.id}",
        data=work_form(position="Staff engineer", technologies=[str(go)]),
    )
    assert edited.status_code == 302, form_errors(edited.text)
    return work, first


def _outcome(html: str, page: str) -> str | None:
    found = re.search(rf'id="{page}-outcome" data-outcome="([a-z]+)"', html)
    return found.group(1) if found else None


async def test_the_pages_require_login(client: httpx.AsyncClient) -> None:
    for path in ("/admin/versions", "/admin/trash", "/admin/history/work/1"):
        response = await client.get(path)
        assert response.status_code in (302, 303) and "/admin/login" in response.headers["location"]


async def test_the_form_links_to_the_history_which_diffs_and_restores(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    work, first = await _edited_work(admin_client, engine)

    form = await admin_client.get(f"/admin/work/edit/{work.id}")
    assert 'id="history-link"' in form.text and f"history/work/{work.id}" in form.text
    page = await admin_client.get(f"/admin/history/work/{work.id}")

    assert page.status_code == 200
    versions = re.findall(r'class="card cms-revision" data-version="(\d+)"', page.text)
    assert versions == [str(first + 1), str(first)]
    newest = page.text.split('data-version="', 2)[1]
    assert 'data-field="position"' in newest and "Backend engineer" in newest
    assert "Staff engineer" in newest and 'data-field="technologies"' in newest
    assert "Go, Python" in newest  # the technologies before, in their order (new picks by name)

    restored = await admin_client.post(
        f"/admin/history/work/{work.id}", data={"version": str(first)}, headers=SAME_ORIGIN
    )
    assert restored.status_code == 303
    shown = await admin_client.get(restored.headers["location"])
    assert _outcome(shown.text, "history") == "restored"
    back = await _work(engine)
    assert back.position == "Backend engineer"
    assert [tech.name for tech in back.technologies] == ["Go", "Python"]
    assert (await audit_entries(engine))[-1].action == "restore"
    assert await content_version(engine) == first + 2


async def test_a_deleted_entry_is_in_the_trash_until_restored(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    work, _ = await _edited_work(admin_client, engine)
    assert "The Trash is empty." in (await admin_client.get("/admin/trash")).text
    deleted = await admin_client.delete(f"/admin/work/delete?pks={work.id}")
    assert deleted.status_code == 200

    trash = await admin_client.get("/admin/trash")
    assert f'data-section="work" data-entry="{work.id}"' in trash.text
    assert "Staff engineer at Acme Analytics" in trash.text
    history = await admin_client.get(f"/admin/history/work/{work.id}")
    assert 'data-action="delete"' in history.text and 'id="back-to-entry"' not in history.text

    restored = await admin_client.post(
        "/admin/trash", data={"section": "work", "entry_id": str(work.id)}, headers=SAME_ORIGIN
    )
    assert restored.status_code == 303
    assert _outcome((await admin_client.get(restored.headers["location"])).text, "trash") == (
        "restored"
    )
    back = await _work(engine)
    assert back.id == work.id and back.position == "Staff engineer"
    assert [tech.name for tech in back.technologies] == ["Go"]
    again = await admin_client.post(
        "/admin/trash", data={"section": "work", "entry_id": str(work.id)}, headers=SAME_ORIGIN
    )
    assert "outcome=gone" in again.headers["location"]


async def test_versions_list_compare_and_restore_after_confirmation(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    work, first = await _edited_work(admin_client, engine)
    await admin_client.delete(f"/admin/work/delete?pks={work.id}")
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Skill(name="Go"))  # the CV is not empty: restoring backs it up
    now = await content_version(engine)

    page = await admin_client.get("/admin/versions")
    rows = re.findall(r'<tr data-version="(\d+)">', page.text)
    assert rows == [str(v) for v in range(now, first - 2, -1)]  # technologies, then the job
    assert "work: 1 removed" in page.text and "owner" in page.text

    compared = await admin_client.get(f"/admin/versions?from={first}&to={now}")
    assert compared.status_code == 200 and 'id="version-diff"' in compared.text
    assert "work: 1 removed" in compared.text
    shown = html.unescape(compared.text)
    assert re.search(r'class="cms-diff-remove">-\s+"name": "Acme Analytics"', shown)
    missing = await admin_client.get(f"/admin/versions?from={now + 9}&to={now}")
    assert missing.status_code == 404 and "does not exist" in missing.text

    confirm = await admin_client.get(f"/admin/versions/{first}/restore")
    assert confirm.status_code == 200
    changes = re.search(r'<ul id="restore-changes">(.*?)</ul>', confirm.text)
    assert changes and changes.group(1) == "<li>work: 1 added</li><li>skills: 1 removed</li>"
    assert await content_version(engine) == now  # asking writes nothing

    done = await admin_client.post(f"/admin/versions/{first}/restore", headers=SAME_ORIGIN)
    assert done.status_code == 303 and "outcome=restored" in done.headers["location"]
    back = await _work(engine)
    assert back.position == "Backend engineer"
    assert sorted(tech.name for tech in back.technologies) == ["Go", "Python"]
    assert (await audit_entries(engine))[-1].action == "revert"
    assert list((Path(settings.backup_dir)).glob("cv-backup-*.json"))


async def test_malformed_requests_are_refused_without_writing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    work, _ = await _edited_work(admin_client, engine)
    version = await content_version(engine)

    bad_version = await admin_client.post(
        f"/admin/history/work/{work.id}", data={"version": "²"}, headers=SAME_ORIGIN
    )
    unknown_section = await admin_client.get(f"/admin/history/nothing/{work.id}")
    huge_id = await admin_client.get(f"/admin/history/work/{2**40}")
    junk = await admin_client.post(
        "/admin/trash", data={"section": "work", "entry_id": "9" * 5000}, headers=SAME_ORIGIN
    )
    future = await admin_client.post(
        f"/admin/history/work/{work.id}", data={"version": "999999"}, headers=SAME_ORIGIN
    )

    assert bad_version.status_code == 400
    assert unknown_section.status_code == 404 and huge_id.status_code == 404
    assert junk.status_code == 303 and "outcome=gone" in junk.headers["location"]
    assert future.status_code == 303  # as of a future version: the entry as it is, no write
    assert await content_version(engine) == version
