"""The remaining section lists and ``GET /api/v1/technologies``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.dates import DatePrecision
from cms.content.models import (
    Award,
    Certificate,
    Education,
    Interest,
    Language,
    Publication,
    Reference,
    Volunteer,
)
from tests.public.factories import add, add_project, add_work, period

# path, model, fields of a full published row, the JSON expected for it (without id).
SECTIONS: list[tuple[str, type[Any], dict[str, Any], dict[str, Any]]] = [
    (
        "education",
        Education,
        {
            "institution": "Cambridge",
            "url": "https://cam.ac.uk",
            "area": "Mathematics",
            "study_type": "BSc",
            "score": "First",
            "courses": ["Analysis"],
            **period("2001-10", "2004-06"),
        },
        {
            "institution": "Cambridge",
            "url": "https://cam.ac.uk",
            "area": "Mathematics",
            "study_type": "BSc",
            "score": "First",
            "courses": ["Analysis"],
            "start_date": "2001-10",
            "end_date": "2004-06",
        },
    ),
    (
        "volunteer",
        Volunteer,
        {
            "organization": "Code Club",
            "position": "Mentor",
            "url": "https://codeclub.example",
            "summary": "Teaching kids",
            "highlights": ["50 pupils"],
            **period("2018", None),
        },
        {
            "organization": "Code Club",
            "position": "Mentor",
            "url": "https://codeclub.example",
            "summary": "Teaching kids",
            "highlights": ["50 pupils"],
            "start_date": "2018",
            "end_date": None,
        },
    ),
    (
        "awards",
        Award,
        {
            "title": "Best Paper",
            "date": dt.date(2019, 5, 1),
            "date_precision": DatePrecision.month,
            "awarder": "ACM",
            "summary": "For the paper",
        },
        {"title": "Best Paper", "date": "2019-05", "awarder": "ACM", "summary": "For the paper"},
    ),
    (
        "certificates",
        Certificate,
        {
            "name": "AWS SA",
            "date": dt.date(2022, 3, 4),
            "issuer": "AWS",
            "url": "https://aws.example/cert",
        },
        {
            "name": "AWS SA",
            "date": "2022-03-04",
            "issuer": "AWS",
            "url": "https://aws.example/cert",
        },
    ),
    (
        "publications",
        Publication,
        {
            "name": "Notes",
            "publisher": "Taylor",
            "release_date": dt.date(1843, 1, 1),
            "release_date_precision": DatePrecision.year,
            "url": "https://notes.example",
            "summary": "Note G",
        },
        {
            "name": "Notes",
            "publisher": "Taylor",
            "release_date": "1843",
            "url": "https://notes.example",
            "summary": "Note G",
        },
    ),
    (
        "languages",
        Language,
        {"language": "English", "fluency": "Native"},
        {"language": "English", "fluency": "Native"},
    ),
    (
        "interests",
        Interest,
        {"name": "Music", "keywords": ["Piano"]},
        {"name": "Music", "keywords": ["Piano"]},
    ),
    (
        "references",
        Reference,
        {"name": "Charles Babbage", "reference": "Excellent"},
        {"name": "Charles Babbage", "reference": "Excellent"},
    ),
]
IDS = [section[0] for section in SECTIONS]


@pytest.mark.parametrize(("path", "model", "fields", "expected"), SECTIONS, ids=IDS)
async def test_section_lists_published_rows_with_fields(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    model: type[Any],
    fields: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    row = await add(session, model(**fields, sort_order=7))
    await add(session, model(**fields, is_published=False))

    response = await client.get(f"/api/v1/{path}")

    assert response.status_code == 200
    assert response.json() == [{"id": row.id, **expected, "sort_order": 7}]


@pytest.mark.parametrize(("path", "model", "fields", "expected"), SECTIONS, ids=IDS)
async def test_section_order_is_sort_order_then_newest(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    model: type[Any],
    fields: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    late = await add(session, model(**fields, sort_order=5))
    older = await add(session, model(**fields, sort_order=0))
    newer = await add(session, model(**fields, sort_order=0))

    body = (await client.get(f"/api/v1/{path}")).json()

    # Same date (or none) and sort_order: the newer row (higher id) comes first.
    assert [item["id"] for item in body] == [newer.id, older.id, late.id]


async def test_dated_sections_put_newest_date_first_and_undated_last(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    undated = await add(session, Award(title="undated"))
    old = await add(session, Award(title="old", date=dt.date(2001, 1, 1)))
    new = await add(session, Award(title="new", date=dt.date(2020, 1, 1)))
    older_by_id = await add(session, Award(title="older id", date=dt.date(2010, 1, 1)))
    newer_by_id = await add(session, Award(title="newer id", date=dt.date(2010, 1, 1)))

    body = (await client.get("/api/v1/awards")).json()

    assert [item["id"] for item in body] == [
        new.id,
        newer_by_id.id,
        older_by_id.id,
        old.id,
        undated.id,
    ]


@pytest.mark.parametrize("path", IDS + ["technologies"])
async def test_unknown_query_parameter_is_422(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/api/v1/{path}", params={"limit": "5"})

    assert response.status_code == 422


async def test_technologies_count_only_published_work_and_projects(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_work(session, technologies=["Python", "Go"])
    await add_work(session, technologies=["Python"])
    await add_work(session, technologies=["Python", "Cobol"], is_published=False)
    await add_project(session, technologies=["Rust", "Go", "elixir"])
    await add_project(session, technologies=["Python"])
    await add_project(session, technologies=["Fortran"], is_published=False)

    response = await client.get("/api/v1/technologies")

    assert response.status_code == 200
    body = response.json()
    assert [
        (item["name"], item["count"], item["experience_count"], item["project_count"])
        for item in body
    ] == [
        ("Python", 3, 2, 1),
        ("Go", 2, 1, 1),
        # Equal counts: by name, case-insensitively.
        ("elixir", 1, 0, 1),
        ("Rust", 1, 0, 1),
    ]
    assert all(isinstance(item["id"], int) for item in body)


async def test_technologies_empty_when_nothing_published(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_work(session, technologies=["Python"], is_published=False)

    response = await client.get("/api/v1/technologies")

    assert response.status_code == 200
    assert response.json() == []
