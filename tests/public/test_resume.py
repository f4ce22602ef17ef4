"""``GET /api/v1/resume``: the published CV as one JSON Resume document."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.jsonresume import schema_problems
from cms.content.models import Skill
from tests.public.factories import add, add_basics, add_profile, add_project, add_work


async def test_resume_holds_published_content_only_and_is_valid(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_basics(session, name="Ada Lovelace", label="Engineer", email="ada@example.com")
    await add_profile(session, "GitHub", url="https://github.com/ada")
    await add_profile(session, "Secretnet", url="https://secret.example/ada", is_published=False)
    await add_work(session, company="Acme", start="2020-05", technologies=["Go", "Rust"])
    await add_work(session, company="Hidden Corp", is_published=False, technologies=["Cobol"])
    await add_project(session, name="CMS", slug="cms", technologies=["Python"])
    await add_project(session, name="Secret Project", slug="secret", is_published=False)
    await add(session, Skill(name="Python", level=5))
    await add(session, Skill(name="Hidden Skill", is_published=False))

    response = await client.get("/api/v1/resume")

    assert response.status_code == 200
    document = response.json()
    assert schema_problems(document) == []
    assert document["basics"]["name"] == "Ada Lovelace"
    assert document["basics"]["label"] == "Engineer"
    assert [p["network"] for p in document["basics"]["profiles"]] == ["GitHub"]
    assert [w["name"] for w in document["work"]] == ["Acme"]
    assert document["work"][0]["startDate"] == "2020-05"
    assert document["work"][0]["keywords"] == ["Go", "Rust"]
    assert [p["name"] for p in document["projects"]] == ["CMS"]
    assert [s["name"] for s in document["skills"]] == ["Python"]
    for hidden in ("Hidden Corp", "Cobol", "Secret Project", "Hidden Skill", "Secretnet"):
        assert hidden not in response.text


async def test_empty_cv_is_an_empty_document_not_nulls(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/resume")

    assert response.status_code == 200
    # Absent sections stay absent: a null section would not be valid JSON Resume.
    assert response.json() == {}


async def test_head_and_unknown_query(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await add_basics(session)

    head = await client.head("/api/v1/resume")
    invalid = await client.get("/api/v1/resume", params={"format": "yaml"})

    assert head.status_code == 200
    assert head.content == b""
    assert invalid.status_code == 422
