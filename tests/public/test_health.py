"""``/health`` and the error shape."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.session import make_sessionmaker
from cms.core.tokens import create_token
from cms.main import create_app
from tests.databases import make_settings


async def _token(engine: AsyncEngine, scope: str) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name=f"health-{scope}", scope=scope, expires_in_days=None, actor="owner"
        )
    return token


async def test_health_tells_anyone_the_status_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    head = await client.head("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert (head.status_code, head.content) == (200, b"")


async def test_health_details_need_a_read_drafts_token(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    token = await _token(engine, "read-drafts")
    other = await _token(engine, "write-resume")

    detailed = await client.get("/health", headers={"Authorization": f"Bearer {token}"})
    by_key = await client.get("/health", headers={"X-API-Key": token})
    wrong_scope = await client.get("/health", headers={"X-API-Key": other})
    unknown = await client.get("/health", headers={"Authorization": "Bearer cms_" + "x" * 40})

    assert detailed.status_code == 200
    body = detailed.json()
    assert (body["status"], body["database"], body["service"]) == ("ok", "ok", "portfolio-cms")
    assert {"timestamp", "version", "cache"} <= body.keys()
    assert body["cache"]["database"] in {"ok", "unknown"}
    assert detailed.headers["cache-control"] == "private, no-store"
    assert by_key.status_code == 200 and by_key.json().keys() == body.keys()
    assert wrong_scope.status_code == 401
    assert unknown.status_code == 401
    assert "cache" not in unknown.text


async def test_health_is_degraded_when_database_unreachable() -> None:
    settings = make_settings("postgresql://nobody@127.0.0.1:1/none", database_timeout=1.0)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}
    await app.state.engine.dispose()


async def test_unknown_path_has_json_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "Not Found"
    assert body["status_code"] == 404
    assert "timestamp" in body
