"""The owner's views: list/search/filter/sort, create/edit/delete with technologies,
content-version bump, audit trail and what the public API then serves."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import selectinload

from cms.admin.sections import ALL_VIEWS
from cms.content.models import Basics, Skill, Work
from cms.content.session import make_sessionmaker
from cms.core.models import AdminUser, AuditLog
from tests.admin.helpers import (
    Owner,
    add_technologies,
    audit_entries,
    content_version,
    count,
    form_errors,
    skill_form,
    work_form,
)

IDENTITIES = [view.identity for view in ALL_VIEWS]


async def _work(engine: AsyncEngine) -> Work:
    async with make_sessionmaker(engine)() as session:
        return (
            await session.scalars(select(Work).options(selectinload(Work.technologies)))  # type: ignore[arg-type]
        ).one()


async def _work_by_id(engine: AsyncEngine, pk: int | None) -> Work:
    async with make_sessionmaker(engine)() as session:
        work = await session.get(Work, pk)
        assert work is not None
        return work


def _cells(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


def test_every_table_has_a_view() -> None:
    from cms.content.models import CONTENT_TABLES

    viewed = {view.model.__tablename__ for view in ALL_VIEWS}
    link_tables = {"work_technologies", "project_technologies"}
    assert {t.name for t in CONTENT_TABLES} - link_tables <= viewed
    assert {"admin_users", "audit_log"} <= viewed


@pytest.mark.parametrize("identity", IDENTITIES)
async def test_each_list_page_renders(admin_client: httpx.AsyncClient, identity: str) -> None:
    # Personal info is one row: its list opens straight as its form (see below).
    response = await admin_client.get(f"/admin/{identity}/list", follow_redirects=True)
    assert response.status_code == 200, response.text[:500]


async def test_personal_info_opens_as_its_form(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    empty = await admin_client.get("/admin/basics/list")
    async with make_sessionmaker(engine)() as session, session.begin():
        basics = Basics(name="Ada Lovelace")
        session.add(basics)
    filled = await admin_client.get("/admin/basics/list")

    assert empty.status_code == 302
    assert empty.headers["location"].endswith("/admin/basics/create")
    assert filled.status_code == 302
    assert filled.headers["location"].endswith(f"/admin/basics/edit/{basics.id}")


async def test_the_dashboard_counts_drafts_and_shows_recent_changes(
    admin_client: httpx.AsyncClient,
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(company="Acme"))
    await admin_client.post(
        "/admin/work/create", data=work_form(company="Draft Co", is_published=None)
    )

    page = await admin_client.get("/admin/")

    assert page.status_code == 200
    row = re.search(r'/admin/work/list">Work experience</a></td>(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "<td>1</td>" in row.group(1) and "1 draft</span>" in row.group(1)
    assert "create work: Backend engineer at Draft Co" in page.text
    assert "create work: Backend engineer at Acme" in page.text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", page.text)
    assert 'href="/api/v1/resume"' in page.text


async def test_create_work_with_two_technologies_bumps_version_and_is_public(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, owner: Owner
) -> None:
    python, postgres = await add_technologies(engine, "Python", "PostgreSQL")
    before = await content_version(engine)
    response = await admin_client.post(
        "/admin/work/create", data=work_form(technologies=[str(python), str(postgres)])
    )
    assert response.status_code == 302, form_errors(response.text)
    assert response.headers["location"].endswith("/admin/work/list?outcome=saved")
    # One admin write = one version step, in the same transaction as the row.
    assert await content_version(engine) == before + 1
    work = await _work(engine)
    assert work.company == "Acme Analytics"
    assert work.highlights == ["Cut costs by 40%", "Mentored two juniors"]
    assert str(work.start_precision) == "month"
    assert sorted(t.name for t in work.technologies) == ["PostgreSQL", "Python"]
    (entry,) = await audit_entries(engine)
    assert (entry.username, entry.action, entry.table_name) == (owner.username, "create", "work")
    assert entry.record_id == str(work.id)
    assert entry.record_label == "Backend engineer at Acme Analytics"
    assert entry.changes["company"] == [None, "Acme Analytics"]
    assert sorted(entry.changes["technologies"][1]) == ["PostgreSQL", "Python"]

    public = await admin_client.get("/api/v1/experience")
    assert public.status_code == 200
    (job,) = public.json()
    assert job["company"] == "Acme Analytics"
    assert job["start_date"] == "2021-03"
    assert sorted(job["technologies"]) == ["PostgreSQL", "Python"]


async def test_edit_and_delete_are_audited_and_reach_the_public_api(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (python,) = await add_technologies(engine, "Python")
    await admin_client.post("/admin/work/create", data=work_form(technologies=[str(python)]))
    work = await _work(engine)
    assert [job["position"] for job in (await admin_client.get("/api/v1/experience")).json()] == [
        "Backend engineer"
    ]
    version = await content_version(engine)

    edit = await admin_client.post(
        f"/admin/work/edit/{work.id}",
        data=work_form(position="Staff engineer", technologies=[], is_published=None),
    )
    assert edit.status_code == 302, form_errors(edit.text)
    assert await content_version(engine) == version + 1
    edited = await _work(engine)
    assert edited.position == "Staff engineer"
    assert edited.is_published is False
    assert edited.technologies == []
    update_entry = (await audit_entries(engine))[-1]
    assert update_entry.action == "update"
    assert update_entry.changes == {
        "position": ["Backend engineer", "Staff engineer"],
        "is_published": [True, False],
        "technologies": [["Python"], []],
    }
    # A draft is gone from the public API at once.
    assert (await admin_client.get("/api/v1/experience")).json() == []

    delete = await admin_client.delete(f"/admin/work/delete?pks={work.id}")
    assert delete.status_code == 200
    assert await count(engine, Work) == 0
    assert await content_version(engine) == version + 2
    delete_entry = (await audit_entries(engine))[-1]
    assert (delete_entry.action, delete_entry.record_id) == ("delete", str(work.id))
    assert delete_entry.changes["company"] == ["Acme Analytics", None]


async def test_publish_and_unpublish_actions(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    work = await _work(engine)
    assert (await admin_client.get("/api/v1/experience")).json() == []
    response = await admin_client.post(f"/admin/work/action/publish?pks={work.id}")
    assert response.status_code == 302
    assert (await _work(engine)).is_published is True
    assert len((await admin_client.get("/api/v1/experience")).json()) == 1
    await admin_client.post(f"/admin/work/action/unpublish?pks={work.id}")
    assert (await _work(engine)).is_published is False
    actions = [(e.action, e.changes) for e in await audit_entries(engine)]
    assert actions[1:] == [
        ("update", {"is_published": [False, True]}),
        ("update", {"is_published": [True, False]}),
    ]


async def test_publish_action_is_all_or_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    work = await _work(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        # Rows written outside the admin can break the form's rules (table models skip them).
        broken = Work(company="Broken", position="x", url="not a url", is_published=False)
        session.add(broken)
    version = await content_version(engine)

    missing = await admin_client.post(f"/admin/work/action/publish?pks={work.id},999999")
    assert missing.status_code == 404
    refused = await admin_client.post(f"/admin/work/action/publish?pks={work.id},{broken.id}")
    assert refused.status_code == 302
    assert "error=Not+saved" in refused.headers["location"]
    listed = await admin_client.get(refused.headers["location"])
    assert "Not saved: url:" in listed.text

    assert (await _work_by_id(engine, work.id)).is_published is False
    assert await content_version(engine) == version
    assert [e.action for e in await audit_entries(engine)] == ["create"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/work/edit/abc",
        "/admin/work/details/abc",
        "/admin/work/details/99999999999",
        "/admin/work/edit/99999999999",
        "POST /admin/work/action/publish?pks=99999999999",
    ],
)
async def test_ids_that_are_not_ours_are_404(admin_client: httpx.AsyncClient, url: str) -> None:
    # Before: a ValueError (both databases) or asyncpg's int32 overflow answered 500.
    method, _, path = url.rpartition(" ")
    assert (await admin_client.request(method or "GET", path)).status_code == 404


async def test_technology_order_is_kept_on_the_link_rows(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ids = await add_technologies(engine, "Rust", "Go", "Python")
    await admin_client.post(
        "/admin/work/create", data=work_form(technologies=[str(i) for i in ids])
    )
    work = await _work(engine)
    # New picks are stored alphabetically; the API lists them in that stored order.
    assert [t.name for t in work.technologies] == ["Go", "Python", "Rust"]
    (job,) = (await admin_client.get("/api/v1/experience")).json()
    assert job["technologies"] == ["Go", "Python", "Rust"]
    # Editing keeps the existing order and appends new picks.
    (docker,) = await add_technologies(engine, "Docker")
    await admin_client.post(
        f"/admin/work/edit/{work.id}",
        data=work_form(technologies=[str(i) for i in (*ids, docker)]),
    )
    assert [t.name for t in (await _work(engine)).technologies] == [
        "Go",
        "Python",
        "Rust",
        "Docker",
    ]


async def test_list_search_filter_and_sort(admin_client: httpx.AsyncClient) -> None:
    for name, category, level, published in [
        ("Python", "Languages", "5", "y"),
        ("Rust", "Languages", "3", None),
        ("Terraform", "Infrastructure", "4", "y"),
    ]:
        form = skill_form(name=name, category=category, level=level, is_published=published)
        response = await admin_client.post(
            "/admin/skill/create", data={k: v for k, v in form.items() if v is not None}
        )
        assert response.status_code == 302, form_errors(response.text)

    async def names(query: str) -> list[str]:
        html = (await admin_client.get(f"/admin/skill/list?{query}")).text
        return [cell for cell in _cells(html) if cell in {"Python", "Rust", "Terraform"}]

    assert await names("search=rus") == ["Rust"]
    assert await names("category=Infrastructure") == ["Terraform"]
    assert await names("is_published=false") == ["Rust"]
    assert await names("sortBy=level&sort=desc") == ["Python", "Terraform", "Rust"]
    page = (await admin_client.get("/admin/skill/list")).text
    assert "Languages" in page and "cms-flag-on" in page


async def test_forms_use_date_inputs_precision_selects_and_a_technology_picker(
    admin_client: httpx.AsyncClient,
) -> None:
    html = (await admin_client.get("/admin/work/create")).text
    assert re.search(r'<input[^>]*id="start_date"[^>]*type="date"', html)
    assert re.search(r'<select[^>]*id="start_precision"', html)
    assert re.search(
        r'<select[^>]*data-role="select2-ajax"[^>]*id="technologies"[^>]*multiple', html
    )
    assert "extra" not in re.findall(r'name="([a-z_]+)"', html)


async def test_technology_picker_searches_by_name(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await add_technologies(engine, "Python", "PyTorch", "Go")
    response = await admin_client.get(
        "/admin/work/ajax/lookup", params={"name": "technologies", "term": "py"}
    )
    assert sorted(item["text"] for item in response.json()["results"]) == ["PyTorch", "Python"]


async def test_only_one_personal_info_row(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Basics(name="Ada Lovelace"))
    assert (await admin_client.get("/admin/basics/create")).status_code == 403
    listing = await admin_client.get("/admin/basics/list", follow_redirects=True)
    assert "Ada Lovelace" in listing.text  # the list opens as the one row's form


async def test_audit_log_is_visible_and_read_only(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/skill/create", data=skill_form())
    listing = await admin_client.get("/admin/audit-log/list")
    assert listing.status_code == 200
    cells = _cells(listing.text)
    assert "owner" in cells and "create" in cells and "skills" in cells and "Python" in cells
    (entry,) = await audit_entries(engine)
    details = await admin_client.get(f"/admin/audit-log/details/{entry.id}")
    assert details.status_code == 200 and "Languages" in details.text
    assert (await admin_client.get("/admin/audit-log/create")).status_code == 403
    assert (await admin_client.get(f"/admin/audit-log/edit/{entry.id}")).status_code == 403
    refused = await admin_client.delete(f"/admin/audit-log/delete?pks={entry.id}")
    assert refused.status_code == 403
    assert await count(engine, AuditLog) == 1


async def test_admin_accounts_from_the_admin(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, owner: Owner
) -> None:
    version = await content_version(engine)
    short = await admin_client.post(
        "/admin/admin-user/create",
        data={"username": "second", "is_active": "y", "new_password": "short", "save": "Save"},
    )
    assert short.status_code == 400
    assert "Password must be at least 12 characters." in form_errors(short.text)
    created = await admin_client.post(
        "/admin/admin-user/create",
        data={
            "username": "Second",
            "is_active": "y",
            "new_password": "a sufficiently long one",
            "save": "Save",
        },
    )
    assert created.status_code == 302, form_errors(created.text)
    async with make_sessionmaker(engine)() as session:
        user = (
            await session.scalars(select(AdminUser).where(AdminUser.username == "second"))
        ).one()
    assert user.password_hash.startswith("$argon2id$")
    (entry,) = await audit_entries(engine)
    assert entry.changes["password_hash"] == "(changed, not shown)"
    assert user.password_hash not in str(entry.changes)
    # Accounts are not CV content: the public cache stays valid.
    assert await content_version(engine) == version
    own = await admin_client.delete(f"/admin/admin-user/delete?pks={owner.id}")
    # SQLAdmin answers a delete with the list URL to go to, carrying the error to show.
    shown = (await admin_client.get(own.text)).text
    assert "You cannot delete the account you are logged in with." in shown
    assert await count(engine, AdminUser) == 2


async def test_skill_write_without_schema_errors_creates_row(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await admin_client.post(
        "/admin/skill/create", data=skill_form(years_experience="2.5")
    )
    assert response.status_code == 302, form_errors(response.text)
    async with make_sessionmaker(engine)() as session:
        skill = (await session.scalars(select(Skill))).one()
    assert (skill.level, skill.years_experience, skill.keywords) == (5, 2.5, ["asyncio", "typing"])


async def test_a_write_that_changes_nothing_writes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    work = await _work(engine)
    version = await content_version(engine)
    audited = len(await audit_entries(engine))

    unpublished = await admin_client.post(f"/admin/work/action/unpublish?pks={work.id}")
    saved = await admin_client.post(
        f"/admin/work/edit/{work.id}", data=work_form(is_published=None)
    )

    assert unpublished.status_code == 302 and saved.status_code == 302
    assert await content_version(engine) == version  # so no site rebuild either
    assert len(await audit_entries(engine)) == audited


async def test_lists_show_draft_badges_and_times_to_the_minute(
    admin_client: httpx.AsyncClient,
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    await admin_client.post("/admin/work/create", data=work_form(company="Live"))

    works = (await admin_client.get("/admin/work/list")).text
    audit = (await admin_client.get("/admin/audit-log/list")).text

    assert works.count('<span class="cms-flag cms-flag-draft">Draft</span>') == 1
    assert works.count('<span class="cms-flag cms-flag-on">Published</span>') == 1
    minute = r'<td><span class="cms-time">\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC</span></td>'
    assert re.search(minute, audit), "no microseconds"


async def test_json_resume_in_the_browser_previews_then_replaces(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(company="Old Co"))
    document = {
        "basics": {"name": "Ada"},
        "work": [{"name": "New Co"}],
        "projects": [{"name": "P", "url": "p.example.com"}],
    }
    upload = {"document": ("cv.json", json.dumps(document), "application/json")}
    version = await content_version(engine)

    preview = await admin_client.post("/admin/json-resume", files=upload)
    assert preview.status_code == 200
    assert "basics: 1 added" in preview.text and "work: 1 added, 1 removed" in preview.text
    assert "projects[0].url</code>: Must be an absolute http(s) URL" in preview.text
    assert await content_version(engine) == version  # nothing changed yet

    confirmed = await admin_client.post(
        "/admin/json-resume", data={"document_json": json.dumps(document), "confirm": "yes"}
    )
    assert confirmed.status_code == 303
    done = await admin_client.get(confirmed.headers["location"])
    assert 'role="status"' in done.text and "Imported: 1 basics, 1 work, 1 projects" in done.text
    assert [job["company"] for job in (await admin_client.get("/api/v1/experience")).json()] == [
        "New Co"
    ]
    backup = await admin_client.get("/admin/json-resume?download=backup")
    assert backup.headers["content-disposition"] == 'attachment; filename="cv-backup.json"'
    assert json.loads(backup.content)["projects"][0]["url"] == "p.example.com"


async def test_json_resume_in_the_browser_refuses_problems_and_empty_documents(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form())
    version = await content_version(engine)

    bad = await admin_client.post(
        "/admin/json-resume", files={"document": ("cv.json", '{"work": 5}', "application/json")}
    )
    empty = await admin_client.post(
        "/admin/json-resume", data={"document_json": "{}", "confirm": "yes"}
    )

    assert bad.status_code == 400 and "is not of type" in bad.text and 'role="alert"' in bad.text
    assert empty.status_code == 200 and "The document holds no CV" in empty.text
    assert await content_version(engine) == version


async def test_json_resume_in_the_browser_refuses_odd_json_and_script_links_inline(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form())
    version = await content_version(engine)
    nul = '{"basics": {"name": "Ada"}, "work": [{"name": "Acme\\u0000"}]}'
    deep = '{"basics": {"name": "Ada", "x": ' + "[" * 1000 + "]" * 1000 + "}}"
    script = json.dumps({"basics": {"name": "Ada", "url": "JaVaScRiPt:alert(1)"}})

    uploaded = await admin_client.post(
        "/admin/json-resume", files={"document": ("cv.json", nul, "application/json")}
    )
    confirmed = await admin_client.post(
        "/admin/json-resume", data={"document_json": nul, "confirm": "yes"}
    )
    too_deep = await admin_client.post("/admin/json-resume", data={"document_json": deep})
    link = await admin_client.post("/admin/json-resume", data={"document_json": script})

    for page in (uploaded, confirmed):
        assert page.status_code == 400, page.text
        assert 'id="resume-problems"' in page.text
        assert (
            "<code>$.work[0].name</code>: contains a NUL character (\\u0000), which cannot be "
            "stored" in page.text
        )
    assert too_deep.status_code == 400 and "nested deeper than 32 levels" in too_deep.text
    assert link.status_code == 400
    assert (
        "<code>$.basics.url</code>: Links with the javascript: scheme are not allowed" in link.text
    )
    assert await content_version(engine) == version


async def test_saves_and_list_actions_say_what_they_did_and_keep_the_search(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    saved = await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    work = await _work(engine)
    listing = "http://testserver/admin/work/list?search=Acme&page=1"
    published = await admin_client.post(
        f"/admin/work/action/publish?pks={work.id}", headers={"Referer": listing}
    )
    again = await admin_client.post(
        f"/admin/work/action/publish?pks={work.id}", headers={"Referer": listing}
    )

    assert saved.status_code == 302 and "outcome=saved" in saved.headers["location"]
    page = await admin_client.get(saved.headers["location"])
    assert (
        '<div class="alert alert-success mb-0 cms-outcome" role="status">Saved.</div>' in page.text
    )
    assert published.headers["location"].endswith(
        "/admin/work/list?search=Acme&page=1&outcome=published"
    )
    shown = await admin_client.get(published.headers["location"])
    assert "Published: the entries are public now." in shown.text
    assert again.headers["location"].endswith("outcome=unchanged")
