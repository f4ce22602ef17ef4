"""What a new owner meets first: save messages, forms, lists, the import's backup and deletions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Basics
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from tests.admin.helpers import add_technologies, content_version, work_form
from tests.media.images import png_image


async def test_saving_personal_info_says_saved(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        basics = Basics(name="Ada Lovelace")
        session.add(basics)
    form = {"name": "Ada King", "summary": "Poet of numbers.", "save": "Save"}

    saved = await admin_client.post(f"/admin/basics/edit/{basics.id}", data=form)
    back = await admin_client.get(saved.headers["location"])

    # Saved → the list → the form again: the outcome travels along both redirects.
    assert back.status_code == 302
    assert back.headers["location"].endswith(f"/admin/basics/edit/{basics.id}?outcome=saved")
    page = await admin_client.get(back.headers["location"])
    assert '<div class="alert alert-success mb-0 cms-outcome" role="status">Saved.</div>' in (
        page.text
    )


async def test_long_texts_are_text_areas_and_save_is_the_primary_button(
    admin_client: httpx.AsyncClient,
) -> None:
    work = (await admin_client.get("/admin/work/create")).text
    basics = (await admin_client.get("/admin/basics/create")).text

    for page in (work, basics):
        assert re.search(r'<textarea[^>]*\bid="summary"', page)
    assert re.search(r'<textarea[^>]*\bid="description"', work)
    assert re.search(r'<input[^>]*\bid="company"', work)  # short texts stay one line
    assert '<input type="submit" name="save" value="Save" class="btn btn-primary">' in work
    assert 'value="Save and continue editing" class="btn" aria-keyshortcuts="Control+S' in work


async def test_lists_show_one_line_cells_chips_and_the_current_group_open(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ids = await add_technologies(engine, "Python", "FastAPI", "PostgreSQL", "Docker")
    await admin_client.post(
        "/admin/work/create",
        data={**work_form(company="Chips Ltd"), "technologies": [str(i) for i in ids]},
    )

    page = (await admin_client.get("/admin/work/list")).text

    assert '<span class="cms-text" title="Chips Ltd">Chips Ltd</span>' in page
    chips = re.search(r'<span class="cms-chips" title="([^"]*)">(.*?)</span></td>', page, re.S)
    assert chips is not None
    names = chips.group(1).split(", ")
    assert sorted(names) == ["Docker", "FastAPI", "PostgreSQL", "Python"]
    assert re.findall(r'class="cms-chip">([^<]*)<', chips.group(2)) == names[:2]
    assert f'title="{", ".join(names[2:])}">+2</span>' in chips.group(2)
    # The menu group of the page shown starts open, and names the page as current.
    career = re.search(r'data-sqladmin-menu-category="Career">(.*?)</li>', page, re.S)
    assert career is not None
    assert 'aria-expanded="true"' in career.group(1)
    assert 'class="dropdown-menu show"' in career.group(1)
    assert 'aria-current="page"' in career.group(1)
    # One <main>, a sidebar landmark with a name, headings 1 (the site), 2 (the page), 3 (card).
    assert page.count("<main") == 1
    assert '<aside class="navbar navbar-vertical' in page and 'aria-label="Back office"' in page
    assert '<h2 class="visually-hidden">Work experience</h2>' in page


async def test_an_empty_list_says_so(admin_client: httpx.AsyncClient) -> None:
    page = (await admin_client.get("/admin/award/list")).text

    assert "Nothing here yet." in page
    assert "Showing 1 to 0" not in page


async def test_the_token_create_address_leads_to_the_token_form(
    admin_client: httpx.AsyncClient,
) -> None:
    response = await admin_client.get("/admin/api-token/create")

    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/api-token/new")
    form = await admin_client.get(response.headers["location"])
    assert form.status_code == 200 and 'id="api-token-form"' in form.text


async def test_admin_pages_name_the_icon_and_the_dark_theme_script(
    admin_client: httpx.AsyncClient,
) -> None:
    page = (await admin_client.get("/admin/")).text

    assert '<link rel="icon" href="http://testserver/admin/../favicon.ico"' in page
    assert "/admin/assets/theme.js" in page
    icon = await admin_client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")


async def test_the_browser_import_lists_deletions_backs_up_first_and_links_the_backup(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    photo = await admin_client.post(
        "/admin/basics/create",
        data={"name": "Ada", "image_alt": "Ada at her desk", "save": "Save"},
        files={"image_upload": ("me.png", png_image(), "image/png")},
    )
    assert photo.status_code == 302
    await admin_client.post("/admin/work/create", data=work_form(company="Kept Co"))
    for company in ("Draft One", "Draft Two", "Draft Three"):
        await admin_client.post(
            "/admin/work/create", data=work_form(company=company, is_published=None)
        )
    before = (await admin_client.get("/admin/json-resume?download=backup")).content
    kept = next(job for job in json.loads(before)["work"] if job["name"] == "Kept Co")
    document = {"basics": {"name": "Ada"}, "work": [{**kept, "position": "Chief"}]}
    upload = {"document": ("cv.json", json.dumps(document), "application/json")}

    preview = await admin_client.post("/admin/json-resume", files=upload)

    deletions = re.search(r'id="resume-deletions">(.*?)</div>', preview.text, re.S)
    assert deletions is not None
    lines = [re.sub(r"\s+", " ", li) for li in re.findall(r"<li>(.*?)</li>", deletions.group(1))]
    assert lines == [
        "basics: 1 uploaded image",
        "work: 3 entries (Draft Three, Draft Two, Draft One); 3 of them drafts",
    ]
    version = await content_version(engine)
    confirmed = await admin_client.post(
        "/admin/json-resume", data={"document_json": json.dumps(document), "confirm": "yes"}
    )
    assert confirmed.status_code == 303
    assert await content_version(engine) > version
    done = await admin_client.get(confirmed.headers["location"])
    link = re.search(r'id="resume-backup" href="([^"]+)">(cv-backup-[0-9-]+\.json)</a>', done.text)
    assert link is not None, done.text[-2000:]
    (backup_file,) = Path(settings.backup_dir).glob("*")
    assert backup_file.name == link.group(2)
    # The same backup `cms import` writes: the whole CV as it was, drafts and photo included.
    assert backup_file.read_bytes() == before
    downloaded = await admin_client.get(link.group(1).replace("&amp;", "&"))
    assert downloaded.status_code == 200 and downloaded.content == before
    unknown = await admin_client.get("/admin/json-resume?download=previous&name=../cms.db")
    assert unknown.status_code == 404
