"""``/health`` and the error shape."""

from __future__ import annotations

import httpx

from cms.main import create_app
from tests.databases import make_settings


async def test_health_reports_database_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["service"] == "portfolio-cms"


async def test_health_is_degraded_when_database_unreachable() -> None:
    settings = make_settings("postgresql://nobody@127.0.0.1:1/none", database_timeout=1.0)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "unavailable"
    await app.state.engine.dispose()


async def test_unknown_path_has_json_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "Not Found"
    assert body["status_code"] == 404
    assert "timestamp" in body
