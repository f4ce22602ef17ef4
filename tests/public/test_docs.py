"""/docs and /redoc: pages and assets from this app only, a CSP of their own, off with the docs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from cms.main import create_app
from cms.public.docs import ASSETS_DIR, docs_content_security_policy
from tests.databases import make_settings

ASSETS = {
    "swagger-ui-bundle.js": "javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "javascript",
}
URL_ATTRIBUTE = re.compile(r"""(?:src|href|spec-url)=["']([^"']*)["']""")


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    """A SQLite file for the app (the docs read no table, so it stays empty)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'cms.db'}"


def _app(database: str, **overrides: object) -> ASGIApp:
    return create_app(make_settings(database, **overrides))


@pytest.fixture
async def docs_client(database_file: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the docs on."""
    transport = httpx.ASGITransport(app=_app(database_file, docs_enabled=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _urls(page: str) -> list[str]:
    return URL_ATTRIBUTE.findall(page)


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        ("/docs", ["/docs/assets/swagger-ui.css", "/docs/assets/swagger-ui-bundle.js"]),
        ("/redoc", ["/openapi.json", "/docs/assets/redoc.standalone.js"]),
    ],
)
async def test_pages_load_only_assets_of_this_app(
    docs_client: httpx.AsyncClient, path: str, assets: list[str]
) -> None:
    response = await docs_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "http:" not in response.text and "https:" not in response.text, response.text
    urls = _urls(response.text)
    assert set(assets) <= set(urls), urls
    # Every URL is a path on this origin, or the empty icon that asks for nothing.
    assert all(url.startswith("/") or url == "data:," for url in urls), urls
    for url in urls:
        if url.startswith("/"):
            assert (await docs_client.get(url)).status_code == 200, url


async def test_pages_carry_a_csp_that_names_no_other_origin(
    docs_client: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/redoc"):
        response = await docs_client.get(path)
        policy = response.headers["content-security-policy"]
        assert "http" not in policy and "*" not in policy, policy
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in directives["script-src"]
        assert response.headers["x-content-type-options"] == "nosniff"
    # Swagger UI's one inline script is allowed by its hash, and only by it.
    swagger = await docs_client.get("/docs")
    script_src = dict(
        d.strip().split(" ", 1) for d in swagger.headers["content-security-policy"].split(";")
    )["script-src"]
    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/]+=*'", script_src), script_src
    assert "'unsafe-inline'" not in swagger.headers["content-security-policy"]


def test_csp_hashes_each_inline_script_and_style() -> None:
    html = b"<script>one()</script><script src='/x.js'></script><style>b{}</style>"
    policy = docs_content_security_policy(html)
    # sha256("one()") and sha256("b{}"), base64 (as `openssl dgst -sha256 -binary | base64` gives).
    assert "script-src 'self' 'sha256-HR7iaask9daLMRRskMI++QeJtjWDOjyPA6lGzYGzKW4='" in policy
    assert "style-src 'self' 'sha256-7yqHVAesot11p6HczDsgKRipvI5UPgs97z80zNXlans='" in policy
    # A browser ignores 'unsafe-inline' next to a hash, so no hash goes beside it.
    loose = docs_content_security_policy(html, extra={"style-src": ["'unsafe-inline'"]})
    assert "style-src 'self' 'unsafe-inline';" in loose


@pytest.mark.parametrize(("name", "media_type"), ASSETS.items())
async def test_assets_are_served_with_their_media_type(
    docs_client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await docs_client.get(f"/docs/assets/{name}")
    assert response.status_code == 200
    assert media_type in response.headers["content-type"], response.headers["content-type"]
    if name == "redoc.standalone.js":  # served without the logo it would load from a CDN
        assert b"cdn.redoc.ly" not in response.content
        assert len(response.content) > 500_000
    else:
        assert response.content == (ASSETS_DIR / name).read_bytes()
    assert response.headers["etag"]
    head = await docs_client.head(f"/docs/assets/{name}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == response.headers["content-length"]


async def test_pages_answer_head(docs_client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        get = await docs_client.get(path)
        head = await docs_client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-length"] == str(len(get.content))
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-security-policy"] == get.headers["content-security-policy"]


async def test_pages_and_assets_keep_a_stage_prefix(database_file: str) -> None:
    # Behind an API Gateway stage the app sees root_path "/prod" (cms.core.stage).
    app = _app(database_file, docs_enabled=True)
    transport = httpx.ASGITransport(app=app, root_path="/prod")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        docs = await client.get("/prod/docs")
        redoc = await client.get("/prod/redoc")
        asset = await client.get("/prod/docs/assets/swagger-ui.css")
    assert "/prod/docs/assets/swagger-ui-bundle.js" in _urls(docs.text)
    assert "'/prod/openapi.json'" in docs.text
    assert {"/prod/openapi.json", "/prod/docs/assets/redoc.standalone.js"} <= set(_urls(redoc.text))
    assert asset.status_code == 200


async def test_docs_off_means_not_found(database_file: str) -> None:
    transport = httpx.ASGITransport(app=_app(database_file, docs_enabled=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in (
            "/docs",
            "/redoc",
            "/openapi.json",
            "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/redoc.standalone.js",
            "/docs/oauth2-redirect",
        ):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json()["status_code"] == 404
