"""JSON Resume documents and database helpers shared by the import/export and CLI tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.models import CONTENT_TABLES
from cms.core.db import current_content_version

__all__ = [
    "without_last_modified",
    "FULL_DOCUMENT",
    "SCHEMA_COPY",
    "content_counts",
    "content_state",
    "full_document",
    "official_validator",
]

SCHEMA_COPY = Path(__file__).resolve().parent / "schema" / "resume-schema-1.0.0.json"

FULL_DOCUMENT: dict[str, Any] = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Zé Tester",
        "label": "Full-Stack Engineer",
        "image": "https://cv.example.com/me.png",
        "email": "ze@Example.COM",
        "phone": "+351 21 555 0100",
        "url": "https://cv.example.com",
        "summary": "Builds things.\nSecond line, ünïcödé and emoji ✨.",
        "location": {
            "address": "Rua Exemplo 1\n2.º Esq.",
            "postalCode": "1000-001",
            "city": "Lisbon",
            "countryCode": "PT",
            "region": "Lisboa",
            "timezone": "Europe/Lisbon",
            "neighbourhood": "Alfama",
        },
        "profiles": [
            {"network": "GitHub", "username": "ze", "url": "https://github.example.com/ze"},
            {
                "network": "Mastodon",
                "username": "@ze@social.example.org",
                "url": "https://social.example.org/@ze",
                "verified": True,
            },
        ],
        "pronouns": "they/them",
        "availability": {"from": "2025-09", "remote": True, "days": [1, 2, 3]},
    },
    "work": [
        {
            "name": "Acme",
            "location": "Lisbon",
            "description": "Anvils as a service",
            "position": "Staff Engineer",
            "url": "https://acme.example.com",
            "startDate": "2021-06",
            "summary": "Leads the platform team.",
            "highlights": ["Cut costs by 58%", "Mentored four engineers"],
            "keywords": ["Python", "PostgreSQL", "AWS Lambda"],
            "teamSize": 7,
            "manager": {"name": "Ana", "since": 2022},
        },
        {
            "name": "Beta Corp",
            "location": "Porto",
            "description": "Freight",
            "position": "Engineer",
            "url": "https://beta.example.com",
            "startDate": "2018",
            "endDate": "2021-05-31",
            "summary": "Built the event pipeline.",
            "highlights": ["40M events a month"],
            "keywords": ["Kafka", "Python"],
        },
    ],
    "volunteer": [
        {
            "organization": "Code Club",
            "position": "Coach",
            "url": "https://codeclub.example.org",
            "startDate": "2016-03-05",
            "endDate": "2019-12-20",
            "summary": "Weekend workshops.",
            "highlights": ["Eight workshops", "Translated the guide"],
        }
    ],
    "education": [
        {
            "institution": "Example University",
            "url": "https://uni.example.org",
            "area": "Computer Science",
            "studyType": "Master",
            "startDate": "2009-09",
            "endDate": "2011",
            "score": "17/20",
            "courses": ["Distributed Systems", "Databases"],
        }
    ],
    "awards": [
        {
            "title": "Best Tool",
            "date": "2021-11",
            "awarder": "Dev Awards",
            "summary": "For an open-source tool.",
        }
    ],
    "certificates": [
        {
            "name": "CKAD",
            "date": "2021-03-02",
            "url": "https://certs.example.com/ckad",
            "issuer": "CNCF",
        }
    ],
    "publications": [
        {
            "name": "Idempotent Imports",
            "publisher": "Journal",
            "releaseDate": "2023",
            "url": "https://journal.example.org/idempotent",
            "summary": "Rerun safely.",
        }
    ],
    "skills": [
        {
            "name": "Python",
            "level": "Master",
            "keywords": ["asyncio", "typing"],
            "rating": 5,
            "category": "Languages",
            "yearsExperience": 12.5,
            "featured": True,
        },
        {"name": "Go", "level": "Intermediate", "rating": 3, "yearsExperience": 3},
    ],
    "languages": [{"language": "Portuguese", "fluency": "Native speaker"}],
    "interests": [{"name": "Sailing", "keywords": ["Dinghies", "Navigation"]}],
    "references": [{"name": "Marta", "reference": "Great colleague."}],
    "projects": [
        {
            "name": "Ledgerline",
            "description": "Bookkeeping API",
            "highlights": ["1,900 stars"],
            "keywords": ["PostgreSQL", "Python", "Docker"],
            "startDate": "2020-04-01",
            "endDate": "2022",
            "url": "https://ledgerline.example.com",
            "roles": ["Author", "Maintainer"],
            "entity": "Open source",
            "type": "application",
            "slug": "ledgerline",
            "githubUrl": "https://github.example.com/ze/ledgerline",
            "demoUrl": "https://demo.ledgerline.example.com",
            "image": "https://cv.example.com/ledgerline.png",
            "featured": True,
            "stars": 1900,
        }
    ],
    "meta": {
        "canonical": "https://cv.example.com/resume.json",
        "version": "v1.0.0",
        "lastModified": "2025-01-15T09:30:00",
        "theme": "elegant",
    },
}
"""Every section and every field, partial dates of all three precisions, unknown properties in
basics, location, profiles, meta and items, and the one top-level extra the schema allows."""


def full_document() -> dict[str, Any]:
    """A fresh copy of :data:`FULL_DOCUMENT` to change at will."""
    return copy.deepcopy(FULL_DOCUMENT)


def official_validator() -> Draft7Validator:
    """The official schema (the tests' own copy), with date and email formats asserted."""
    schema = json.loads(SCHEMA_COPY.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=FormatChecker(formats=("date", "email")))


async def content_counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every content table."""
    counts = {}
    for table in CONTENT_TABLES:
        counts[table.name] = await session.scalar(select(func.count()).select_from(table)) or 0
    return counts


async def content_state(session: AsyncSession) -> dict[str, Any]:
    """Every content row (all columns, ids and timestamps included) and the content version."""
    state: dict[str, Any] = {"version": await current_content_version(session)}
    for table in CONTENT_TABLES:
        rows = (await session.execute(select(table))).mappings().all()
        state[table.name] = sorted((dict(row) for row in rows), key=repr)
    return state


def without_last_modified(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without ``meta.lastModified``, which an export sets to the last change."""
    document = json.loads(json.dumps(document))
    document.get("meta", {}).pop("lastModified", None)
    if "meta" in document and not document["meta"]:
        del document["meta"]
    return document
