"""The admin rejects what the public schema rejects, next to the field, writing nothing."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.jsonresume import import_resume
from cms.content.models import Basics, Project, Skill, Technology, Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AuditLog
from cms.main import create_app
from tests.admin.helpers import (
    audit_entries,
    content_version,
    count,
    error_next_to,
    form_errors,
    project_form,
    skill_form,
    work_form,
)

BASICS = {"name": "Ada Lovelace", "label": "", "email": "", "phone": "", "url": "", "save": "Save"}

CASES: list[tuple[str, str, type, dict[str, Any], str, str]] = [
    (
        "bad email",
        "basics",
        Basics,
        {**BASICS, "email": "ada-at-example"},
        "email",
        "Value is not a valid email address",
    ),
    (
        "bad url",
        "work",
        Work,
        work_form(url="acme.example/about"),
        "url",
        "Must be an absolute http(s) URL, e.g. https://example.com.",
    ),
    (
        "script link in mixed case",
        "project",
        Project,
        project_form(demo_url=" JaVaScRiPt:alert(1)"),
        "demo_url",
        "Links with the javascript: scheme are not allowed: use https, http, mailto or tel.",
    ),
    (
        "data link",
        "work",
        Work,
        work_form(url="data:text/html,<script>alert(1)</script>"),
        "url",
        "Links with the data: scheme are not allowed: use https, http, mailto or tel.",
    ),
    (
        "level above 5",
        "skill",
        Skill,
        skill_form(level="7"),
        "level",
        "Input should be less than or equal to 5.",
    ),
    (
        "level below 1",
        "skill",
        Skill,
        skill_form(level="0"),
        "level",
        "Input should be greater than or equal to 1.",
    ),
    (
        "negative years",
        "skill",
        Skill,
        skill_form(years_experience="-1"),
        "years_experience",
        "Input should be greater than or equal to 0.",
    ),
    (
        "end before start",
        "work",
        Work,
        work_form(start_date="2022-05-01", end_date="2021-01-01"),
        "end_date",
        "End date must not be before start date.",
    ),
    (
        "slug format",
        "project",
        Project,
        project_form(slug="My Project!"),
        "slug",
        "Use lower-case letters, digits and single hyphens, e.g. my-project.",
    ),
]


@pytest.mark.parametrize(
    ("identity", "model", "form", "field", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_invalid_create_is_rejected_next_to_the_field(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    identity: str,
    model: type,
    form: dict[str, Any],
    field: str,
    message: str,
) -> None:
    version = await content_version(engine)
    response = await admin_client.post(f"/admin/{identity}/create", data=form)
    assert response.status_code == 400
    assert any(error.startswith(message) for error in error_next_to(response.text, field)), (
        form_errors(response.text)
    )
    assert await count(engine, model) == 0
    assert await count(engine, AuditLog) == 0
    assert await content_version(engine) == version


async def test_all_problems_are_reported_at_once(admin_client: httpx.AsyncClient) -> None:
    form = work_form(url="nope", start_date="2022-05-01", end_date="2021-01-01")
    response = await admin_client.post("/admin/work/create", data=form)
    assert response.status_code == 400
    assert error_next_to(response.text, "url") and error_next_to(response.text, "end_date")


async def test_duplicate_slug_is_rejected_before_writing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert (
        await admin_client.post("/admin/project/create", data=project_form())
    ).status_code == 302
    version = await content_version(engine)
    duplicate = await admin_client.post(
        "/admin/project/create", data=project_form(name="Another", slug="portfolio-cms")
    )
    assert duplicate.status_code == 400
    assert error_next_to(duplicate.text, "slug") == ["Another project already uses this slug."]
    assert await count(engine, Project) == 1
    assert await content_version(engine) == version
    assert len(await audit_entries(engine)) == 1


async def test_editing_a_project_may_keep_its_own_slug_but_not_take_another(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/project/create", data=project_form())
    await admin_client.post("/admin/project/create", data=project_form(name="B", slug="second"))
    async with make_sessionmaker(engine)() as session:
        first = (
            await session.scalars(select(Project).where(Project.slug == "portfolio-cms"))
        ).one()
    keep = await admin_client.post(
        f"/admin/project/edit/{first.id}", data=project_form(description="Renamed")
    )
    assert keep.status_code == 302, form_errors(keep.text)
    steal = await admin_client.post(
        f"/admin/project/edit/{first.id}", data=project_form(slug="second")
    )
    assert steal.status_code == 400
    assert error_next_to(steal.text, "slug") == ["Another project already uses this slug."]


async def test_duplicate_technology_name_ignores_case(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ok = await admin_client.post(
        "/admin/technology/create", data={"name": "Python", "save": "Save"}
    )
    assert ok.status_code == 302
    again = await admin_client.post(
        "/admin/technology/create", data={"name": "python", "save": "Save"}
    )
    assert again.status_code == 400
    assert error_next_to(again.text, "name") == ["Another technology already uses this name."]
    assert await count(engine, Technology) == 1


async def test_invalid_edit_changes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/skill/create", data=skill_form())
    async with make_sessionmaker(engine)() as session:
        skill = (await session.scalars(select(Skill))).one()
    version = await content_version(engine)
    response = await admin_client.post(f"/admin/skill/edit/{skill.id}", data=skill_form(level="9"))
    assert response.status_code == 400
    assert error_next_to(response.text, "level") == ["Input should be less than or equal to 5."]
    async with make_sessionmaker(engine)() as session:
        assert (await session.get(Skill, skill.id)).level == 5  # type: ignore[union-attr]
    assert await content_version(engine) == version
    assert len(await audit_entries(engine)) == 1


async def test_required_fields_are_required(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await admin_client.post("/admin/work/create", data=work_form(company=""))
    assert response.status_code == 400
    assert error_next_to(response.text, "company")
    assert await count(engine, Work) == 0


@pytest.mark.parametrize(
    ("path", "form", "field", "message"),
    [
        (
            "work",
            work_form(sort_order="99999999999"),
            "sort_order",
            "Input should be less than or equal to 2147483647.",
        ),
        (
            "skill",
            skill_form(years_experience="inf"),
            "years_experience",
            "Input should be a finite number.",
        ),
    ],
)
async def test_numbers_no_column_can_store_are_rejected_next_to_the_field(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    path: str,
    form: dict[str, Any],
    field: str,
    message: str,
) -> None:
    # Before: PostgreSQL's driver error (with its SQL) was shown on the form, or SQLite kept inf.
    response = await admin_client.post(f"/admin/{path}/create", data=form)
    assert response.status_code == 400
    assert error_next_to(response.text, field) == [message]
    assert "sqlalchemy" not in response.text.lower()
    assert await audit_entries(engine) == []


async def test_a_value_an_import_kept_is_shown_to_fix_when_edited(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    document = {"basics": {"name": "A"}, "projects": [{"name": "P", "url": "p.example.com"}]}
    async with make_sessionmaker(engine)() as session, session.begin():
        await import_resume(session, document, actor="test")
    async with make_sessionmaker(engine)() as session:
        project = (await session.scalars(select(Project))).one()
    message = "Must be an absolute http(s) URL, e.g. https://example.com."

    page = await admin_client.get(f"/admin/project/edit/{project.id}")
    saved = await admin_client.post(
        f"/admin/project/edit/{project.id}",
        data=project_form(name="P", slug=project.slug, url="p.example.com"),
    )

    assert page.status_code == 200
    assert error_next_to(page.text, "url") == [message]
    assert saved.status_code == 400
    assert error_next_to(saved.text, "url") == [message]


async def test_mail_phone_and_web_links_pass_the_same_rule_as_import(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = project_form(url="mailto:ada@example.com", demo_url="tel:+441234567890")

    response = await admin_client.post("/admin/project/create", data=form)

    assert response.status_code == 302, form_errors(response.text)
    async with make_sessionmaker(engine)() as session:
        project = (await session.scalars(select(Project))).one()
    assert (project.url, project.demo_url) == ("mailto:ada@example.com", "tel:+441234567890")


async def test_a_refused_save_logs_no_traceback_however_many_admins_were_built(
    admin_client: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sqladmin_filters = logging.getLogger("sqladmin.application").filters
    before = list(sqladmin_filters)
    others = [create_app(settings, engine) for _ in range(2)]
    await admin_client.post("/admin/project/create", data=project_form())

    with caplog.at_level(logging.DEBUG):
        duplicate = await admin_client.post(
            "/admin/project/create", data=project_form(name="Another", slug="portfolio-cms")
        )

    assert duplicate.status_code == 400
    assert [r for r in caplog.records if r.name.startswith("sqladmin")] == []
    assert sqladmin_filters == before, "one filter per process, not one per admin built"
    for other in others:
        await other.database.close()
