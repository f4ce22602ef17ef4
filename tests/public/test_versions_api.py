"""``GET /api/v1/resume?version=N``: the CV as published at version N, for token holders only."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.content.tracking import track
from cms.core.db import current_content_version
from cms.core.tokens import create_token


async def _token(engine: AsyncEngine, scope: str = "read-drafts") -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name=f"ci-{scope}", scope=scope, expires_in_days=None, actor="owner"
        )
    return token


async def _versions(engine: AsyncEngine, client: httpx.AsyncClient) -> tuple[int, bytes]:
    """Two versions; the first one's published ``/resume`` as it was served then."""
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Work(company="First Ltd", position="Engineer"))
        session.add(Work(company="Hidden draft", is_published=False))
    async with make_sessionmaker(engine)() as session:
        version = await current_content_version(session)
    served = await client.get("/api/v1/resume")
    assert served.headers["x-content-version"] == str(version)
    async with make_sessionmaker(engine)() as session, session.begin():
        statement = select(Work).where(col(Work.company) == "First Ltd")
        work = (await session.scalars(statement)).one()
        track(work, actor="owner")
        work.company = "Renamed Ltd"
    return version, served.content


async def test_a_read_drafts_token_gets_the_cv_as_published_then(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    version, then = await _versions(engine, client)
    token = await _token(engine)

    for path in ("/api/v1/resume", "/api/resume"):
        old = await client.get(f"{path}?version={version}", headers={"X-API-Key": token})
        assert old.status_code == 200, old.text
        assert old.content == then  # the same bytes as were served at that version
        assert old.headers["cache-control"] == "private, no-store"
        assert old.headers["x-content-version"] == str(version)
    now = await client.get(f"/api/v1/resume?version={version + 1}", headers={"X-API-Key": token})
    assert b"Renamed Ltd" in now.content and b"Hidden draft" not in now.content
    # A locale is asked for as on every read: the same document in the default locale, an
    # unknown tag a 404 naming the locales.
    named = await client.get(
        f"/api/v1/resume?version={version}&locale=en", headers={"X-API-Key": token}
    )
    assert named.content == then and named.headers["content-language"] == "en"
    unknown = await client.get(
        f"/api/v1/resume?version={version}&locale=xx", headers={"X-API-Key": token}
    )
    assert unknown.status_code == 404 and unknown.json()["details"][0]["locales"]


async def test_without_a_token_old_versions_do_not_exist(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    version, _ = await _versions(engine, client)

    plain = await client.get(f"/api/v1/resume?version={version}")
    with_origin = await client.get(
        f"/api/resume?version={version}", headers={"Origin": "https://site.example"}
    )
    other_scope = await client.get(
        f"/api/v1/resume?version={version}",
        headers={"Authorization": f"Bearer {await _token(engine, 'write-resume')}"},
    )

    assert plain.status_code == 404 and plain.json()["error"] == "Not Found"
    assert with_origin.status_code == 404
    assert other_scope.status_code == 401
    assert (await client.get("/api/v1/resume?nonsense=1")).status_code == 422


async def test_versions_that_cannot_be_answered(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    version, _ = await _versions(engine, client)
    headers = {"X-API-Key": await _token(engine)}

    future = await client.get(f"/api/v1/resume?version={version + 50}", headers=headers)
    before_history = await client.get("/api/v1/resume?version=0", headers=headers)
    not_a_number = await client.get("/api/v1/resume?version=two", headers=headers)
    with_more = await client.get(f"/api/v1/resume?version={version}&x=1", headers=headers)

    assert future.status_code == 404 and "does not exist" in future.json()["error"]
    assert before_history.status_code == 200  # the empty CV before the first write
    assert not_a_number.status_code == 422 and with_more.status_code == 422
    assert not_a_number.json()["details"][0]["loc"] == ["query", "version"]


async def test_the_openapi_document_declares_the_parameter(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/api/v1/resume"]["get"]
    names = [parameter["name"] for parameter in operation["parameters"]]
    assert "version" in names and "404" in operation["responses"]
