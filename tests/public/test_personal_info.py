"""``GET /api/v1/personal-info``."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.public.factories import add_basics, add_profile


async def test_personal_info_with_derived_links_and_published_profiles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_basics(
        session,
        name="Ada Lovelace",
        label="Analytical Engineer",
        email="ada@example.com",
        phone="+44 1234",
        url="https://ada.example",
        image="https://ada.example/me.png",
        summary="First programmer.",
        pronouns="she/her",
        address="12 St James's Square",
        postal_code="SW1Y 4JH",
        city="London",
        country_code="GB",
        region="England",
        timezone="Europe/London",
    )
    github = await add_profile(session, "GitHub", url="https://github.com/ada", sort_order=1)
    linkedin = await add_profile(
        session, "linkedin", url="https://linkedin.com/in/ada", sort_order=0
    )
    await add_profile(session, "Mastodon", url="https://hachyderm.io/@ada", is_published=False)

    response = await client.get("/api/v1/personal-info")

    assert response.status_code == 200
    assert response.json() == {
        "name": "Ada Lovelace",
        "title": "Analytical Engineer",
        "pronouns": "she/her",
        "email": "ada@example.com",
        "phone": "+44 1234",
        "location": {
            "address": "12 St James's Square",
            "postal_code": "SW1Y 4JH",
            "city": "London",
            "country_code": "GB",
            "region": "England",
            "timezone": "Europe/London",
        },
        "summary": "First programmer.",
        "website": "https://ada.example",
        "linkedin": "https://linkedin.com/in/ada",
        "github": "https://github.com/ada",
        "image_url": "https://ada.example/me.png",
        "image": {
            "url": "https://ada.example/me.png",
            "width": None,
            "height": None,
            "alt": None,
            "srcset": [],
            "placeholder": None,
        },
        "profiles": [
            {
                "id": linkedin.id,
                "network": "linkedin",
                "username": "ada",
                "url": "https://linkedin.com/in/ada",
                "sort_order": 0,
            },
            {
                "id": github.id,
                "network": "GitHub",
                "username": "ada",
                "url": "https://github.com/ada",
                "sort_order": 1,
            },
        ],
    }


async def test_draft_profile_is_neither_listed_nor_used_for_links(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_basics(session)
    await add_profile(session, "GitHub", url="https://github.com/secret", is_published=False)

    body = (await client.get("/api/v1/personal-info")).json()

    assert body["profiles"] == []
    assert body["github"] is None
    assert body["linkedin"] is None
    assert "secret" not in str(body)


async def test_missing_basics_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/personal-info")

    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 404
    assert body["error"] == "No personal info has been entered yet"


async def test_unknown_query_parameter_is_422(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_basics(session)

    response = await client.get("/api/v1/personal-info", params={"lang": "de"})

    assert response.status_code == 422
