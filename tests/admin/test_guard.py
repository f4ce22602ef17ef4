"""Cross-site requests and security headers on /admin (SQLAdmin itself has no CSRF tokens)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.headers import SECURITY_HEADERS
from cms.content.models import Work
from tests.admin.helpers import count, work_form

CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://testserver.evil.example", "Sec-Fetch-Site": "cross-site"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_cross_site_form_post_is_refused(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    response = await admin_client.post("/admin/work/create", data=work_form(), headers=headers)
    assert response.status_code == 403
    assert "Cross-site request refused" in response.text
    assert await count(engine, Work) == 0


async def test_same_origin_post_is_accepted(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    response = await admin_client.post("/admin/work/create", data=work_form(), headers=headers)
    assert response.status_code == 302
    assert await count(engine, Work) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/admin/work/delete?pks=1"),
        ("POST", "/admin/login"),
        ("POST", "/admin/logout"),
        ("GET", "/admin/work/action/publish?pks=1"),
    ],
)
async def test_other_state_changes_from_another_site_are_refused(
    admin_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await admin_client.request(method, path, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


async def test_cross_site_navigation_to_a_page_is_not_refused(
    admin_client: httpx.AsyncClient,
) -> None:
    # Reading is harmless (and a browser would not send the Strict cookie anyway).
    response = await admin_client.get("/admin/work/list", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/admin/login", "/admin/work/list", "/admin/"])
async def test_security_headers_on_admin_pages(admin_client: httpx.AsyncClient, path: str) -> None:
    response = await admin_client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_security_headers_on_refusals_and_statics(client: httpx.AsyncClient) -> None:
    refused = await client.post("/admin/login", headers={"Origin": "https://evil.example"})
    assert refused.headers["x-frame-options"] == "DENY"
    static = await client.get("/admin/statics/css/main.css")
    assert static.status_code == 200
    assert static.headers["x-content-type-options"] == "nosniff"
    assert static.headers.get("cache-control") != "no-store"


async def test_no_cors_on_admin(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://evil.example"}
    page = await client.get("/admin/login", headers=origin)
    preflight = await client.options(
        "/admin/login", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    for response in (page, preflight):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers
