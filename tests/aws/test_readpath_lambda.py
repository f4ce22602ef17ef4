"""The read path on Lambda: stored documents served without FastAPI, SQLAlchemy or pydantic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Project, Work
from cms.content.publish import PUBLISHED
from cms.content.seeding import SEED_DIR, seed_database
from cms.core.readsettings import ReadSettings
from cms.public.readpath import ReadPath
from tests.aws import lambda_helpers as helpers
from tests.databases import make_settings
from tests.public.cache_helpers import FakeClock

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

ReadPathFactory = Callable[..., Awaitable[tuple[ReadPath, httpx.AsyncClient]]]


@pytest.fixture
async def make_read_path(database_url: str, engine: AsyncEngine) -> AsyncIterator[ReadPathFactory]:
    """Read-path instances (another Lambda container each) on the database under test."""
    made: list[tuple[ReadPath, httpx.AsyncClient]] = []

    async def build(
        url: str | None = None, clock: FakeClock | None = None, **overrides: Any
    ) -> tuple[ReadPath, httpx.AsyncClient]:
        overrides.setdefault("cache_version_check_interval", INTERVAL)
        settings = make_settings(url or database_url, **overrides)
        fast = ReadPath(ReadSettings.from_settings(settings))
        if clock is not None:
            fast.cache.clock = clock
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=fast), base_url="http://t")
        made.append((fast, client))
        return fast, client

    yield build
    for fast, client in made:
        await client.aclose()
        await fast.dispose()


CHILD = """
import json, sys, types
sys.path.insert(0, {root!r})
import lambda_handler
heavy = ("fastapi", "sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings",
    "cms.content.models", "cms.core.db", "sqladmin")
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
    app: ReadPath, database_url: str
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_database(session, SEED_DIR)  # the write stores the documents
    async with app.state.sessionmaker() as session:  # ids go on after other tests' rows
        work = await session.scalar(select(Work.id).where(col(Work.is_published)).limit(1))
        project = await session.scalar(select(Project.id).where(col(Project.is_published)).limit(1))
    public = [document.path for document in PUBLISHED] + [
        f"/api/v1/experience/{work}",
        "/api/v1/projects/ledgerline",
        f"/api/v1/projects/{project}",
        "/api/skills",
        "/health",
    ]
    filtered = {"/api/v1/skills": "category=Backend", "/api/v1/projects": "featured=true"}
    events = [("resume", helpers.make_event("http_api_v2_stage", "GET", "/api/v1/resume"))]
    events += [(path, helpers.make_event("function_url", "GET", path)) for path in public]
    for path, query in filtered.items():
        event = helpers.make_event("function_url", "GET", path)
        event["rawQueryString"] = query
        events.append((f"{path}?{query}", event))
    events.append(("login", helpers.make_event("rest_api_v1_stage", "GET", "/admin/login")))
    events.append(("dashboard", helpers.make_event("rest_api_v1_stage", "GET", "/admin/")))
    env = helpers.container_env(DATABASE_URL=database_url, ENVIRONMENT="test")
    results = await helpers.child_result(CHILD.format(root=str(ROOT)), events, env)
    assert results["after_import"] == []
    assert results["resume"]["status"] == 200
    assert results["resume"]["headers"]["x-cache"] == "MISS", "loaded, not rendered"
    assert results["resume"]["heavy"] == [], "the first public read needs no full app"
    for name, _ in events[1:-2]:  # every public path, filters and details included
        assert (results[name]["status"], results[name]["heavy"]) == (200, []), name
    assert results["login"]["status"] == 200
    assert results["login"]["heavy"] == [], "the login page is answered before the back office"
    assert results["dashboard"]["status"] == 302, "the admin still works through the handler"
    assert "fastapi" in results["dashboard"]["heavy"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_neon_style_url_through_a_tls_pooler(
    pgbouncer: Any, pooled_schema: str, make_read_path: ReadPathFactory
) -> None:
    """``sslmode=require&channel_binding=require`` as Neon prints it, raw asyncpg via PgBouncer."""
    if not pgbouncer.tls:
        pytest.skip("openssl not available to give PgBouncer a certificate")
    url = pgbouncer.url(pooled_schema, "sslmode=require&channel_binding=require")
    fast, other = await make_read_path(url, database_pooler=True, cache_version_check_interval=0)
    health = [await other.get("/health") for _ in range(3)]

    assert [r.json() for r in health] == [{"status": "ok"}] * 3
    assert not fast.app_built
