"""Read-only API: 405 for writes, HEAD on every GET route, OPTIONS and CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cms.main import create_app
from tests.databases import make_settings
from tests.public.factories import add_basics, add_project, add_work

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


async def _every_api_get_path(app: FastAPI, session: AsyncSession) -> list[str]:
    """Concrete URLs for every GET route under /api, with real ids filled in."""
    await add_basics(session)
    work = await add_work(session, technologies=["Go"])
    project = await add_project(session, slug="thing")
    values = {"experience_id": str(work.id), "id_or_slug": project.slug}
    paths = []
    for template, operations in app.app.openapi()["paths"].items():
        if template.startswith("/api/"):
            # Besides reads, only the token-guarded resume sync (anonymous: 405, tested below).
            writes = {"put"} if template == "/api/v1/resume" else set()
            assert set(operations) == {"get"} | writes, template
            path = template
            for name, value in values.items():
                path = path.replace("{" + name + "}", value)
            paths.append(path)
    assert len(paths) == 17
    return paths


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize(
    "path", ["/api/v1/experience", "/api/v1/projects/thing", "/api/v1/no-such-route", "/api"]
)
async def test_write_methods_are_405_with_allow_header(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"company": "Evil"})

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    body = response.json()
    assert set(body) == {"error", "status_code", "timestamp"}
    assert body["status_code"] == 405
    assert "read-only" in body["error"]


async def test_writes_change_nothing(client: httpx.AsyncClient, session: AsyncSession) -> None:
    work = await add_work(session, company="Acme")

    for method in WRITE_METHODS:
        await client.request(method, f"/api/v1/experience/{work.id}", json={"company": "Evil"})

    assert (await client.get(f"/api/v1/experience/{work.id}")).json()["company"] == "Acme"


async def test_head_works_on_every_get_route_with_headers_and_no_body(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for path in await _every_api_get_path(app, session):
        get = await client.get(path)
        head = await client.head(path)

        assert get.status_code == 200, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
        assert head.headers["content-length"] == str(len(get.content)), path
        assert head.headers.get("etag") == get.headers.get("etag"), path


async def test_head_of_missing_entry_is_404_without_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/api/v1/experience/12345")

    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"


async def test_head_works_on_health(client: httpx.AsyncClient) -> None:
    response = await client.head("/health")

    assert response.status_code == 200
    assert response.content == b""


async def test_plain_options_lists_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/v1/skills")

    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


async def test_cors_on_public_api_by_default_any_origin_without_credentials(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/skills", headers={"Origin": "https://site.example"})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "etag" in response.headers["access-control-expose-headers"].lower()


async def test_cors_preflight_allows_only_read_methods(client: httpx.AsyncClient) -> None:
    headers = {"Origin": "https://site.example", "Access-Control-Request-Method": "GET"}
    allowed = await client.options("/api/v1/skills", headers=headers)
    denied = await client.options(
        "/api/v1/skills", headers=headers | {"Access-Control-Request-Method": "POST"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert "access-control-allow-credentials" not in allowed.headers
    assert denied.status_code == 400


@pytest.mark.parametrize("path", ["/health", "/admin/", "/admin/login"])
async def test_no_cors_outside_the_api(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Origin": "https://evil.example"})
    preflight = await client.options(
        path,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


async def test_allow_lists_the_methods_the_openapi_document_declares(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    for template, operations in document["paths"].items():
        if not template.startswith("/api/"):
            continue
        path = template.replace("{experience_id}", "1").replace("{id_or_slug}", "thing")
        declared = {method.upper() for method in operations} | {"HEAD", "OPTIONS"}
        for url in (path, path.replace("/api/v1/", "/api/")):
            options = await client.options(url)
            refused = await client.post(url)
            assert options.status_code == 204, url
            assert set(options.headers["allow"].split(", ")) == declared, url
            assert refused.status_code == 405, url
            assert refused.headers["allow"] == options.headers["allow"], url


async def test_a_write_without_a_token_says_what_it_needs(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/resume", json={})

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, PUT"
    assert "PUT /api/v1/resume needs one" in response.json()["error"]
    assert "Bearer" in response.json()["error"]


@pytest.fixture
async def strict_cors_client(
    database_url: str, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app that allows one origin only."""
    settings = make_settings(database_url, cors_origins=["https://site.example"])
    transport = httpx.ASGITransport(app=create_app(settings, engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_cors_origins_come_from_settings(strict_cors_client: httpx.AsyncClient) -> None:
    allowed = await strict_cors_client.get(
        "/api/v1/skills", headers={"Origin": "https://site.example"}
    )
    other = await strict_cors_client.get(
        "/api/v1/skills", headers={"Origin": "https://evil.example"}
    )

    assert allowed.headers["access-control-allow-origin"] == "https://site.example"
    assert "access-control-allow-origin" not in other.headers


async def test_read_only_rules_hold_behind_a_stage_prefix(app: FastAPI) -> None:
    # API Gateway stages (/prod) arrive as root_path with the full path, as Mangum sets them.
    transport = httpx.ASGITransport(app=app, root_path="/prod")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        get = await client.get("/prod/api/v1/skills", headers={"Origin": "https://a.example"})
        head = await client.head("/prod/api/v1/skills")
        post = await client.post("/prod/api/v1/skills")

    assert get.status_code == 200
    assert get.headers["access-control-allow-origin"] == "*"
    assert head.status_code == 200 and head.content == b""
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD, OPTIONS"
