"""``GET /api/v1/skills`` (``?category=``, ``?featured=``)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.models import Skill
from tests.public.factories import add


async def _skills(session: AsyncSession) -> None:
    await add(session, Skill(name="Python", category="Backend", level=5, is_featured=True))
    await add(session, Skill(name="SQL", category="backend", level=4, sort_order=1))
    await add(session, Skill(name="CSS", category="Frontend", level=3, is_featured=True))
    await add(session, Skill(name="COBOL", category="Backend", is_published=False))


async def test_lists_published_skills_with_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    skill = await add(
        session,
        Skill(
            name="Python",
            category="Backend",
            level=5,
            level_label="Master",
            years_experience=8.5,
            keywords=["asyncio", "typing"],
            is_featured=True,
            sort_order=3,
        ),
    )

    response = await client.get("/api/v1/skills")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": skill.id,
            "name": "Python",
            "category": "Backend",
            "level": 5,
            "level_label": "Master",
            "years_experience": 8.5,
            "keywords": ["asyncio", "typing"],
            "featured": True,
            "sort_order": 3,
            "is_featured": True,  # deprecated: one vocabulary with projects says featured
        }
    ]


async def test_drafts_excluded_and_ordered(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _skills(session)

    body = (await client.get("/api/v1/skills")).json()

    # sort_order first; equal sort_order → newest (highest id) first.
    assert [item["name"] for item in body] == ["CSS", "Python", "SQL"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "Backend"}, ["Python", "SQL"]),
        ({"category": "FRONTEND"}, ["CSS"]),
        ({"category": "Design"}, []),
        ({"featured": "true"}, ["CSS", "Python"]),
        ({"featured": "false"}, ["SQL"]),
        ({"category": "backend", "featured": "true"}, ["Python"]),
    ],
)
async def test_filters(
    client: httpx.AsyncClient,
    session: AsyncSession,
    params: dict[str, str],
    expected: list[str],
) -> None:
    await _skills(session)

    response = await client.get("/api/v1/skills", params=params)

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == expected


@pytest.mark.parametrize(
    "params",
    [
        {"colour": "red"},
        {"featured": "maybe"},
        {"category": ""},
        {"category": "x" * 101},
        {"category": "bad\x00byte"},
    ],
)
async def test_bad_query_is_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/api/v1/skills", params=params)

    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "status_code", "timestamp", "details"}
    assert body["details"][0]["loc"][0] == "query"
