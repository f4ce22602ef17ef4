"""The Lambda fast path: documents the full app rendered, served by other instances without it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from cms.content.models import Skill
from cms.core.models import StoredDocument
from cms.public.fastpath import FastPath
from tests.aws import lambda_helpers as helpers
from tests.databases import make_settings
from tests.public.cache_helpers import FakeClock, TcpProxy, add_skill

ROOT = Path(__file__).resolve().parents[2]
SKILLS = "/api/v1/skills"
INTERVAL = 5.0  # seconds, the fast path's cache_version_check_interval (on a fake clock)
ORIGIN = "https://cv.example"
# Headers that must be byte-for-byte those of the full app.
SAME_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "cache-control",
    "x-content-version",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "vary",
)

FastPathFactory = Callable[..., Awaitable[tuple[FastPath, httpx.AsyncClient]]]


@pytest.fixture
async def make_fast_path(database_url: str, engine: AsyncEngine) -> AsyncIterator[FastPathFactory]:
    """Fast-path instances (another Lambda container each) on the database under test."""
    made: list[tuple[FastPath, httpx.AsyncClient]] = []

    async def build(
        url: str | None = None, clock: FakeClock | None = None, **overrides: Any
    ) -> tuple[FastPath, httpx.AsyncClient]:
        overrides.setdefault("cache_version_check_interval", INTERVAL)
        fast = FastPath(make_settings(url or database_url, **overrides))
        if clock is not None:
            assert fast.store is not None
            fast.store.clock = clock
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=fast), base_url="http://t")
        made.append((fast, client))
        return fast, client

    yield build
    for fast, client in made:
        await client.aclose()
        await fast.dispose()


def _names(response: httpx.Response) -> list[str]:
    return sorted(skill["name"] for skill in response.json())


async def test_serves_what_the_full_app_rendered_with_identical_headers(
    app: FastAPI, client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    await add_skill(app, "Python")
    await add_skill(app, "Erlang", is_featured=True)
    fast, other = await make_fast_path()
    for url in (SKILLS, f"{SKILLS}?featured=true"):
        rendered = await client.get(url, headers={"Origin": ORIGIN})
        served = await other.get(url, headers={"Origin": ORIGIN})

        assert rendered.headers["x-cache"] == "MISS"
        assert served.status_code == 200
        assert served.headers["x-cache"] == "HIT"
        assert served.content == rendered.content
        for name in SAME_HEADERS:
            assert served.headers.get(name) == rendered.headers.get(name), name
    assert not fast.app_built, "answered without building the full app"


async def test_the_unversioned_path_is_served_from_the_same_document(
    app: FastAPI, client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    await add_skill(app, "Python")
    rendered = await client.get(SKILLS)
    fast, other = await make_fast_path()

    served = await other.get(SKILLS.replace("/api/v1/", "/api/"))

    assert served.status_code == 200 and served.headers["x-cache"] == "HIT"
    assert served.content == rendered.content
    assert served.headers["etag"] == rendered.headers["etag"]
    assert not fast.app_built, "answered without building the full app"


async def test_conditional_and_head_requests(
    app: FastAPI, client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    await add_skill(app, "Python")
    etag = (await client.get(SKILLS)).headers["etag"]
    fast, other = await make_fast_path()

    conditions = [etag, f'"other", W/{etag}', "*"]
    matched = [await other.get(SKILLS, headers={"If-None-Match": c}) for c in conditions]
    unmatched = await other.get(SKILLS, headers={"If-None-Match": '"other"'})
    head = await other.head(SKILLS)

    assert [r.status_code for r in matched] == [304, 304, 304]
    assert all(r.content == b"" and r.headers["etag"] == etag for r in matched)
    assert all("content-type" not in r.headers for r in matched)
    assert unmatched.status_code == 200 and unmatched.headers["etag"] == etag
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == unmatched.headers["content-length"]
    assert not fast.app_built


async def test_a_write_elsewhere_shows_after_the_interval_and_never_as_stale_rows(
    app: FastAPI, client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    clock = FakeClock()
    await add_skill(app, "Python")
    await client.get(SKILLS)
    fast, other = await make_fast_path(clock=clock)
    before = await other.get(SKILLS)

    await add_skill(app, "Erlang")  # instance A writes; B's known version is still trusted
    inside = await other.get(SKILLS)
    clock.advance(INTERVAL)
    # A has not rendered the new version yet: B must not serve the old row for it.
    after = await other.get(SKILLS)
    from_a = await client.get(SKILLS)
    clock.advance(INTERVAL)
    fetched = await other.get(SKILLS)

    assert _names(before) == _names(inside) == ["Python"]
    assert inside.headers["x-cache"] == "HIT"
    assert _names(after) == ["Erlang", "Python"]
    assert after.headers["x-cache"] == "MISS", "rendered by B's full app, built for it"
    assert int(after.headers["x-content-version"]) > int(before.headers["x-content-version"])
    assert fast.app_built
    assert fetched.content == from_a.content and fetched.headers["etag"] == from_a.headers["etag"]


async def test_a_write_through_this_instance_is_served_at_once(
    app: FastAPI, client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    await add_skill(app, "Python")
    await client.get(SKILLS)
    fast, other = await make_fast_path(cache_version_check_interval=3600)
    before = await other.get(SKILLS)

    async with fast.state.sessionmaker() as session, session.begin():  # as the admin would
        session.add(Skill(name="Erlang"))
    after = await other.get(SKILLS)

    assert _names(before) == ["Python"]
    assert _names(after) == ["Erlang", "Python"]


async def test_other_requests_go_to_the_full_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    make_fast_path: FastPathFactory,
) -> None:
    await add_skill(app, "Python", category="Languages")
    fast, other = await make_fast_path()
    query = await other.get(SKILLS, params={"category": "Languages"})
    again = await other.get(SKILLS, params={"category": "Languages"})
    missing = await other.get("/api/v1/no-such-section")
    write = await other.post(SKILLS, json={})
    preflight = await other.options(
        SKILLS, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    keys = set(await session.scalars(select(col(StoredDocument.path))))

    assert _names(query) == ["Python"] and query.headers["x-cache"] == "MISS"
    assert again.headers["x-cache"] == "HIT", "the full app's own cache"
    assert missing.status_code == 404 and missing.json()["status_code"] == 404
    assert write.status_code == 405
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert fast.app_built
    assert keys == set(), "arbitrary query values and errors are never published"


async def test_drafts_never_appear(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    make_fast_path: FastPathFactory,
) -> None:
    await add_skill(app, "Python")
    await add_skill(app, "Secret plan", is_published=False)
    for path in (SKILLS, "/api/v1/resume"):
        await client.get(path)
    _, other = await make_fast_path()
    skills = await other.get(SKILLS)
    resume = await other.get("/api/v1/resume")
    bodies = list(await session.scalars(select(col(StoredDocument.body))))

    assert skills.headers["x-cache"] == resume.headers["x-cache"] == "HIT"
    assert _names(skills) == ["Python"]
    assert b"Secret plan" not in resume.content
    assert len(bodies) == 2 and all(b"Secret plan" not in body for body in bodies)


async def test_health_on_the_fast_path(
    client: httpx.AsyncClient, make_fast_path: FastPathFactory
) -> None:
    fast, other = await make_fast_path()
    full = await client.get("/health")
    health = await other.get("/health")
    head = await other.head("/health")

    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    assert set(health.json()) == set(full.json())
    assert set(health.json()["cache"]) == set(full.json()["cache"])
    assert head.status_code == 200 and head.content == b""
    assert not fast.app_built


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_database_outage_serves_stale_bytes_then_fresh_ones(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    make_fast_path: FastPathFactory,
) -> None:
    proxy = TcpProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    await proxy.start()
    try:
        clock = FakeClock()
        url = make_url(engine.url.render_as_string(hide_password=False))
        behind = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        await add_skill(app, "Python")
        await client.get(SKILLS)
        fast, other = await make_fast_path(behind, clock, database_timeout=1.0)
        good = await other.get(SKILLS)

        await proxy.stop()
        await add_skill(app, "Erlang")
        clock.advance(INTERVAL)
        stale = await other.get(SKILLS)
        health = await other.get("/health")

        await proxy.start()
        await client.get(SKILLS)  # A renders the new version
        clock.advance(INTERVAL)
        fresh = await other.get(SKILLS)
    finally:
        await proxy.stop()

    assert good.headers["x-cache"] == "HIT"
    assert stale.status_code == 200 and stale.content == good.content
    assert stale.headers["x-cache"] == "STALE"
    assert stale.headers["x-cache-stale"] == "database-unavailable"
    assert stale.headers["cache-control"].startswith("public, max-age=0, stale-if-error=")
    assert health.status_code == 503 and health.json()["status"] == "degraded"
    assert fresh.headers["x-cache"] == "HIT"
    assert _names(fresh) == ["Erlang", "Python"]
    assert not fast.app_built


CHILD = """
import json, sys, types
sys.path.insert(0, {root!r})
import lambda_handler
heavy = ("fastapi", "sqlalchemy", "sqlmodel", "cms.content.models", "cms.core.db", "sqladmin")
context = types.SimpleNamespace(function_name="cms", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:cms",
    aws_request_id="test")
results = {{"after_import": [m for m in heavy if m in sys.modules]}}
for name, event in json.loads(sys.stdin.read()):
    response = lambda_handler.handler(event, context)
    results[name] = {{"status": response["statusCode"], "headers": response.get("headers", {{}}),
        "heavy": [m for m in heavy if m in sys.modules]}}
print("RESULT " + json.dumps(results))
"""


async def test_the_handler_serves_documents_without_importing_the_full_stack(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    await add_skill(app, "Python")
    assert (await client.get("/api/v1/resume")).status_code == 200  # rendered once, anywhere
    events = [
        ("resume", helpers.make_event("http_api_v2_stage", "GET", "/api/v1/resume")),
        ("health", helpers.make_event("function_url", "GET", "/health")),
        ("login", helpers.make_event("rest_api_v1_stage", "GET", "/admin/login")),
    ]
    env = helpers.container_env(DATABASE_URL=database_url, ENVIRONMENT="test")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CHILD.format(root=str(ROOT))],
        input=json.dumps(events),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    results = json.loads(line[7:])
    assert results["after_import"] == []
    assert results["resume"]["status"] == 200
    assert results["resume"]["headers"]["x-cache"] == "HIT"
    assert results["resume"]["heavy"] == [], "the first public read needs no full app"
    assert results["health"]["status"] == 200 and results["health"]["heavy"] == []
    assert results["login"]["status"] == 200, "the admin still works through the handler"
    assert "fastapi" in results["login"]["heavy"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_neon_style_url_through_a_tls_pooler(
    pgbouncer: Any, pooled_schema: str, make_fast_path: FastPathFactory
) -> None:
    """``sslmode=require&channel_binding=require`` as Neon prints it, raw asyncpg via PgBouncer."""
    if not pgbouncer.tls:
        pytest.skip("openssl not available to give PgBouncer a certificate")
    url = pgbouncer.url(pooled_schema, "sslmode=require&channel_binding=require")
    fast, other = await make_fast_path(url, database_pooler=True, cache_version_check_interval=0)
    health = [await other.get("/health") for _ in range(3)]

    assert [r.json()["database"] for r in health] == ["ok"] * 3
    assert not fast.app_built
