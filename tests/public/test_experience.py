"""``GET /api/v1/experience`` and ``/experience/{id}``."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.public.factories import add_work


async def test_lists_published_experience_with_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    work = await add_work(
        session,
        company="Acme",
        position="Engineer",
        url="https://acme.example",
        location="Berlin",
        description="Rockets",
        summary="Built rockets",
        highlights=["Launched", "Landed"],
        start="2019-03",
        end="2021",
        technologies=["Rust", "Go", "Python"],
        sort_order=4,
    )

    response = await client.get("/api/v1/experience")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": work.id,
            "company": "Acme",
            "position": "Engineer",
            "url": "https://acme.example",
            "location": "Berlin",
            "description": "Rockets",
            "summary": "Built rockets",
            "highlights": ["Launched", "Landed"],
            "start_date": "2019-03",
            "end_date": "2021",
            "is_current": False,
            "technologies": ["Rust", "Go", "Python"],
            "sort_order": 4,
        }
    ]


async def test_technologies_keep_the_listed_position_not_name_or_id_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Created in one order (ids), listed in another: the link's position decides.
    await add_work(session, technologies=["Alpha", "Beta", "Gamma"], is_published=False)
    await add_work(session, technologies=["Gamma", "Alpha", "Beta"])

    body = (await client.get("/api/v1/experience")).json()

    assert [item["technologies"] for item in body] == [["Gamma", "Alpha", "Beta"]]


async def test_current_job_has_no_end_date(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_work(session, start="2023-05-17", end=None)

    [item] = (await client.get("/api/v1/experience")).json()

    assert item["start_date"] == "2023-05-17"
    assert item["end_date"] is None
    assert item["is_current"] is True


async def test_drafts_are_not_listed(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await add_work(session, company="Public Co")
    await add_work(session, company="Secret Co", is_published=False)

    body = (await client.get("/api/v1/experience")).json()

    assert [item["company"] for item in body] == ["Public Co"]


async def test_ordered_by_sort_order_then_newest_then_id(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_work(session, company="old", start="2010", sort_order=1)
    await add_work(session, company="undated", start=None, sort_order=1)
    await add_work(session, company="new", start="2022-02", sort_order=1)
    await add_work(session, company="first by hand", start="2000", sort_order=0)
    await add_work(session, company="same date, older id", start="2015", sort_order=1)
    await add_work(session, company="same date, newer id", start="2015", sort_order=1)

    body = (await client.get("/api/v1/experience")).json()

    assert [item["company"] for item in body] == [
        "first by hand",
        "new",
        "same date, newer id",
        "same date, older id",
        "old",
        "undated",
    ]


async def test_get_one_by_id(client: httpx.AsyncClient, session: AsyncSession) -> None:
    work = await add_work(session, company="Acme", technologies=["Go"])

    response = await client.get(f"/api/v1/experience/{work.id}")

    assert response.status_code == 200
    assert response.json()["company"] == "Acme"
    assert response.json()["technologies"] == ["Go"]


async def test_draft_and_missing_ids_are_404(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    draft = await add_work(session, is_published=False)
    assert draft.id is not None

    for experience_id in (draft.id, draft.id + 1000):
        response = await client.get(f"/api/v1/experience/{experience_id}")
        assert response.status_code == 404
        body = response.json()
        assert body["status_code"] == 404
        assert body["error"] == f"Experience {experience_id} not found"
        assert "timestamp" in body


async def test_malformed_or_out_of_range_id_is_422(client: httpx.AsyncClient) -> None:
    for bad in ("abc", "1.5", "0", "-3", str(2**31), "99999999999999999999"):
        response = await client.get(f"/api/v1/experience/{bad}")
        assert response.status_code == 422, bad
        body = response.json()
        assert body["status_code"] == 422
        assert body["error"] == "Invalid request"
        assert body["details"][0]["loc"] == ["path", "experience_id"]


async def test_unknown_query_parameter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/experience", params={"page": "2"})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["query", "page"]
