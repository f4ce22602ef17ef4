"""Drafts for the owner's eyes: read-drafts tokens, and the CV replaced from CI."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Project, Work
from cms.content.session import make_sessionmaker
from cms.core.models import ApiToken, ContentVersion, StoredResponse, utcnow
from cms.core.tokens import create_token, revoke_token
from cms.public.readpath import ReadPath
from tests.public.cache_helpers import count_reads, count_statements

PATHS = ("/api/v1/experience", "/api/v1/resume", "/api/v1/projects", "/api/projects")


async def _token(engine: AsyncEngine, name: str, scope: str) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name=name, scope=scope, expires_in_days=None, actor="owner"
        )
    return token


@pytest.fixture
async def cv(engine: AsyncEngine) -> dict[str, int]:
    """One published and one draft entry in work and projects."""
    async with make_sessionmaker(engine)() as session, session.begin():
        shown = Work(company="Shown Ltd", position="Engineer")
        hidden = Work(company="Secret Startup", position="Founder", is_published=False)
        project = Project(name="Secret project", slug="secret-project", is_published=False)
        session.add_all([shown, hidden, project])
        await session.flush()
        return {"draft_work": int(hidden.id or 0), "draft_project": int(project.id or 0)}


async def _stored_bodies(engine: AsyncEngine) -> list[bytes]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(col(StoredResponse.body)))).all())


async def test_a_read_drafts_token_shows_drafts_privately_and_nothing_is_stored(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    token = await _token(engine, "preview", "read-drafts")
    bearer = {"Authorization": f"Bearer {token}"}
    key = {"X-API-Key": token}

    public = {path: await client.get(path) for path in PATHS}
    previews = {path: await client.get(path, headers=bearer) for path in PATHS}
    by_key = await client.get("/api/v1/experience", headers=key)
    detail = await client.get(f"/api/v1/experience/{cv['draft_work']}", headers=bearer)
    public_detail = await client.get(f"/api/v1/experience/{cv['draft_work']}")
    slug = await client.get("/api/v1/projects/secret-project", headers=key)

    for path in PATHS:
        assert "Secret" not in public[path].text, path
        assert "Secret" in previews[path].text, path
        assert previews[path].headers["cache-control"] == "private, no-store", path
        assert "x-cache" not in previews[path].headers, path
    assert "Secret Startup" in by_key.text
    assert (detail.status_code, detail.json()["company"]) == (200, "Secret Startup")
    assert public_detail.status_code == 404
    assert (slug.status_code, slug.json()["name"]) == (200, "Secret project")
    assert not any(b"Secret" in body for body in await _stored_bodies(engine))
    public_again = await client.get("/api/v1/experience")
    assert public_again.headers["x-cache"] == "HIT" and "Secret" not in public_again.text


async def test_bad_revoked_and_expired_tokens_are_refused(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    revoked = await _token(engine, "old", "read-drafts")
    expired = await _token(engine, "expired", "read-drafts")
    writer = await _token(engine, "ci", "write-resume")
    async with make_sessionmaker(engine)() as session, session.begin():
        await revoke_token(session, name="old", actor="owner")
        await session.execute(
            update(ApiToken)
            .where(col(ApiToken.name) == "expired")
            .values(expires_at=utcnow() - timedelta(days=1))
        )

    for token in ("cms_not-a-real-token", revoked, expired, writer):
        response = await client.get("/api/v1/experience", headers={"X-API-Key": token})
        assert response.status_code == 401, token[:8]
        assert response.headers["cache-control"] == "private, no-store"
        assert token not in response.text


NOT_OUR_TOKEN = {
    "any authorization": {"Authorization": "x"},
    "basic credentials": {"Authorization": "Basic dXNlcjpwYXNz"},
    "empty key": {"X-API-Key": ""},
    "bearer of another shape": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"},
    "key of another shape": {"X-API-Key": "cms_ with spaces"},
}


@pytest.mark.parametrize("name", list(NOT_OUR_TOKEN))
async def test_a_header_that_is_not_our_token_is_answered_from_the_cache(
    engine: AsyncEngine, client: httpx.AsyncClient, app: ReadPath, cv: dict[str, int], name: str
) -> None:
    public = await client.get("/api/v1/experience")
    with count_statements(engine) as rendered, count_reads(app):
        response = await client.get("/api/v1/experience", headers=NOT_OUR_TOKEN[name])

    assert response.status_code == 200
    assert response.headers["etag"] == public.headers["etag"]
    assert response.headers["x-cache"] == "HIT"
    assert response.headers["cache-control"].startswith("public")
    assert response.content == public.content and "Secret" not in response.text
    assert rendered == [], "answered by the read path, not rendered by the full app"


async def test_a_well_formed_unknown_token_still_leaves_the_cache_for_a_401(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    await client.get("/api/v1/experience")
    unknown = "cms_" + "A" * 43
    with count_statements(engine) as looked_up:
        bearer = await client.get(
            "/api/v1/experience", headers={"Authorization": f"Bearer {unknown}"}
        )
        key = await client.get("/api/v1/experience", headers={"X-API-Key": unknown})

    for response in (bearer, key):
        assert response.status_code == 401
        assert response.headers["cache-control"] == "private, no-store"
        assert "x-cache" not in response.headers
    assert any("api_tokens" in statement for statement in looked_up)


async def _resume(client: httpx.AsyncClient) -> tuple[dict[str, object], str]:
    response = await client.get("/api/v1/resume")
    return response.json(), response.headers["etag"]


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(ContentVersion.version)) or 0)


NEW_CV = {
    "basics": {"name": "Ada Lovelace", "label": "Analyst"},
    "work": [{"name": "Analytical Engines", "position": "Programmer", "startDate": "1842"}],
}


async def test_put_resume_replaces_the_cv_with_a_write_token(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    cv: dict[str, int],
    tmp_path: object,
    app: ReadPath,
) -> None:
    app.state.settings.backup_dir = str(tmp_path)
    token = await _token(engine, "ci", "write-resume")
    _, etag = await _resume(client)
    headers = {"Authorization": f"Bearer {token}", "If-Match": etag}

    response = await client.put("/api/v1/resume", content=json.dumps(NEW_CV), headers=headers)
    after, new_etag = await _resume(client)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["written"] is True and body["etag"] == new_etag != etag
    assert body["backup"] and any("work" in line for line in body["changes"])
    assert after["basics"]["name"] == "Ada Lovelace"  # type: ignore[index]
    async with make_sessionmaker(engine)() as session:
        companies = set((await session.scalars(select(col(Work.company)))).all())
    assert companies == {"Analytical Engines"}


async def test_put_resume_with_a_stale_etag_or_as_a_dry_run_writes_nothing(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    token = await _token(engine, "ci", "write-resume")
    bearer = {"Authorization": f"Bearer {token}"}
    version = await _version(engine)

    stale = await client.put(
        "/api/v1/resume",
        content=json.dumps(NEW_CV),
        headers={**bearer, "If-Match": '"0123456789abcdef0123456789abcdef"'},
    )
    dry = await client.put(
        "/api/v1/resume?dry_run=true", content=json.dumps(NEW_CV), headers=bearer
    )
    invalid = await client.put("/api/v1/resume", content=b'{"work": 3}', headers=bearer)
    anonymous = await client.put("/api/v1/resume", content=json.dumps(NEW_CV))
    reader = await _token(engine, "preview", "read-drafts")
    wrong_scope = await client.put(
        "/api/v1/resume", content=json.dumps(NEW_CV), headers={"X-API-Key": reader}
    )

    assert stale.status_code == 412
    assert dry.status_code == 200 and dry.json()["written"] is False and dry.json()["changes"]
    assert invalid.status_code == 422 and invalid.json()["details"]
    assert anonymous.status_code == 405
    assert wrong_scope.status_code == 401
    assert await _version(engine) == version
    async with make_sessionmaker(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Work)) == 2


async def test_the_printable_cv_is_a_stored_page_and_shows_drafts_only_with_a_token(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    token = await _token(engine, "preview", "read-drafts")

    page = await client.get("/cv")
    again = await client.get("/cv", headers={"If-None-Match": page.headers["etag"]})
    preview = await client.get("/cv", headers={"Authorization": f"Bearer {token}"})
    junk = await client.get("/cv", params={"theme": "dark"})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Shown Ltd" in page.text and "Secret" not in page.text
    assert again.status_code == 304
    assert preview.headers["cache-control"] == "private, no-store"
    assert "Secret Startup" in preview.text
    assert junk.status_code == 422


async def test_a_preview_says_which_entries_are_drafts_and_openapi_declares_it(
    engine: AsyncEngine, client: httpx.AsyncClient, cv: dict[str, int]
) -> None:
    token = await _token(engine, "preview", "read-drafts")
    bearer = {"Authorization": f"Bearer {token}"}

    preview = (await client.get("/api/v1/experience", headers=bearer)).json()
    detail = (await client.get(f"/api/v1/experience/{cv['draft_work']}", headers=bearer)).json()
    public = await client.get("/api/v1/experience")

    assert {job["company"]: job["published"] for job in preview} == {
        "Shown Ltd": True,
        "Secret Startup": False,
    }
    assert detail["published"] is False
    assert all("published" not in job for job in public.json())  # public bytes as before
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    flag = schema["ExperiencePublic"]["properties"]["published"]
    assert "Previews only" in flag["description"]
