"""The read path derives filters and details from stored documents: the same answers as the routes.

The routes of :mod:`cms.public.routes` (the full app, querying the database) and the read path
(stored documents, in memory) answer the same requests on the seed data: same status, same
bytes for a 200, same error and details for a 4xx.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cms.content.seeding import SEED_DIR, seed_database
from cms.public.readpath import ReadPath

REQUESTS = [
    "/api/v1/projects?featured=true",
    "/api/v1/projects?featured=false",
    "/api/v1/projects?featured=yes",
    "/api/v1/projects?featured=0",
    "/api/v1/projects?featured=maybe",
    "/api/v1/projects?featured=true&featured=false",
    "/api/v1/projects?color=red",
    "/api/v1/skills?category=Languages",
    "/api/v1/skills?category=languages&featured=true",
    "/api/v1/skills?category=Nothing",
    "/api/v1/skills?category=",
    "/api/v1/skills?category=" + "x" * 101,
    "/api/v1/skills?category=%01",
    "/api/v1/skills?featured=true&level=5",
    "/api/v1/experience/1",
    "/api/v1/experience/3",
    "/api/v1/experience/999",
    "/api/v1/experience/0",
    "/api/v1/experience/-1",
    "/api/v1/experience/abc",
    "/api/v1/experience/99999999999",
    "/api/v1/experience/1?x=1",
    "/api/v1/projects/1",
    "/api/v1/projects/ledgerline",
    "/api/v1/projects/2048",
    "/api/v1/projects/Not_A_Slug",
    "/api/v1/projects/" + "a" * 121,
    "/api/v1/projects/nope",
    "/api/v1/resume?pretty=1",
    "/api/v1/personal-info",
    "/api/experience/2",
    "/api/skills?category=Frameworks",
]


def _comparable(response: httpx.Response) -> tuple[int, Any]:
    if response.status_code == 200:
        return 200, response.content
    body = response.json()
    body.pop("timestamp", None)
    return response.status_code, body


@pytest.fixture
async def seeded(app: ReadPath) -> ReadPath:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_database(session, SEED_DIR)
    return app


@pytest.mark.parametrize("path", REQUESTS)
async def test_the_read_path_answers_as_the_routes_do(seeded: ReadPath, path: str) -> None:
    routes = httpx.AsyncClient(transport=httpx.ASGITransport(app=seeded.app), base_url="http://t")
    read = httpx.AsyncClient(transport=httpx.ASGITransport(app=seeded), base_url="http://t")
    async with routes, read:
        # The full app alone knows no /api alias: ask it for the versioned path.
        expected = await routes.get(path.replace("/api/", "/api/v1/", 1).replace("v1/v1/", "v1/"))
        answered = await read.get(path)

    assert _comparable(answered) == _comparable(expected)
