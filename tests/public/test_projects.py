"""``GET /api/v1/projects`` (``?featured=``) and ``/projects/{id-or-slug}``."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.public.factories import add_project


async def test_lists_published_projects_with_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    project = await add_project(
        session,
        name="Portfolio CMS",
        slug="portfolio-cms",
        description="A CMS",
        highlights=["Fast"],
        url="https://cms.example",
        github_url="https://github.com/ada/cms",
        demo_url="https://demo.example",
        image_url="https://img.example/cms.png",
        roles=["Author"],
        entity="Side project",
        type="application",
        start="2024",
        end="2024-06-30",
        is_featured=True,
        technologies=["Python", "FastAPI"],
        sort_order=2,
    )

    response = await client.get("/api/v1/projects")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": project.id,
            "name": "Portfolio CMS",
            "slug": "portfolio-cms",
            "description": "A CMS",
            "highlights": ["Fast"],
            "url": "https://cms.example",
            "github_url": "https://github.com/ada/cms",
            "demo_url": "https://demo.example",
            "image_url": "https://img.example/cms.png",
            "image": {
                "url": "https://img.example/cms.png",
                "width": None,
                "height": None,
                "alt": None,
                "srcset": [],
                "placeholder": None,
            },
            "roles": ["Author"],
            "entity": "Side project",
            "type": "application",
            "start_date": "2024",
            "end_date": "2024-06-30",
            "featured": True,
            "technologies": ["Python", "FastAPI"],
            "sort_order": 2,
            "is_featured": True,  # deprecated: the design documents' contract says featured
        }
    ]


async def test_drafts_excluded_and_order_is_sort_order_then_newest(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_project(session, slug="older", start="2019", sort_order=0)
    await add_project(session, slug="draft", start="2025", sort_order=0, is_published=False)
    await add_project(session, slug="newer", start="2021-07", sort_order=0)
    await add_project(session, slug="pinned-last", start="2030", sort_order=9)
    await add_project(session, slug="undated", start=None, sort_order=0)

    body = (await client.get("/api/v1/projects")).json()

    assert [item["slug"] for item in body] == ["newer", "older", "undated", "pinned-last"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", ["star"]), ("false", ["plain"]), (None, ["star", "plain"])],
)
async def test_featured_filter(
    client: httpx.AsyncClient, session: AsyncSession, value: str | None, expected: list[str]
) -> None:
    await add_project(session, slug="plain", start="2020", is_featured=False)
    await add_project(session, slug="star", start="2021", is_featured=True)
    await add_project(session, slug="hidden-star", is_featured=True, is_published=False)

    params = {} if value is None else {"featured": value}
    response = await client.get("/api/v1/projects", params=params)

    assert response.status_code == 200
    assert [item["slug"] for item in response.json()] == expected


@pytest.mark.parametrize("query", [{"featured": "maybe"}, {"colour": "red"}, {"featured": ""}])
async def test_bad_query_is_422(client: httpx.AsyncClient, query: dict[str, str]) -> None:
    response = await client.get("/api/v1/projects", params=query)

    assert response.status_code == 422
    body = response.json()
    assert body["status_code"] == 422
    assert body["details"][0]["loc"][0] == "query"


async def test_get_by_id_and_by_slug(client: httpx.AsyncClient, session: AsyncSession) -> None:
    project = await add_project(session, slug="my-thing", technologies=["Go"])

    by_id = await client.get(f"/api/v1/projects/{project.id}")
    by_slug = await client.get("/api/v1/projects/my-thing")

    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json()
    assert by_slug.json()["id"] == project.id
    assert by_slug.json()["technologies"] == ["Go"]


async def test_numeric_key_prefers_id_then_falls_back_to_an_all_digit_slug(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await add_project(session, slug="first")
    numbered = await add_project(session, slug="2048")
    assert first.id is not None

    by_id = await client.get(f"/api/v1/projects/{first.id}")
    by_digit_slug = await client.get("/api/v1/projects/2048")

    assert by_id.json()["slug"] == "first"
    assert by_digit_slug.status_code == 200
    assert by_digit_slug.json()["id"] == numbered.id


async def test_draft_and_unknown_are_404(client: httpx.AsyncClient, session: AsyncSession) -> None:
    draft = await add_project(session, slug="secret", is_published=False)

    for key in ("secret", str(draft.id), "no-such-project", "99999999999999"):
        response = await client.get(f"/api/v1/projects/{key}")
        assert response.status_code == 404, key
        assert response.json()["status_code"] == 404


@pytest.mark.parametrize("key", ["Not A Slug", "UPPER", "trailing-", "a" * 121, "x_y"])
async def test_malformed_key_is_422(client: httpx.AsyncClient, key: str) -> None:
    response = await client.get(f"/api/v1/projects/{key}")

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["path", "id_or_slug"]


async def test_the_unversioned_path_is_the_current_version_with_featured(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_project(session, slug="star", is_featured=True)

    versioned = await client.get("/api/v1/projects")
    current = await client.get("/api/projects")

    assert current.status_code == 200
    assert current.content == versioned.content
    assert current.headers["etag"] == versioned.headers["etag"]
    (project,) = current.json()
    assert project["featured"] is True
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schema["ProjectPublic"]["properties"]["is_featured"]["deprecated"] is True
    assert "deprecated" not in schema["ProjectPublic"]["properties"]["featured"]
