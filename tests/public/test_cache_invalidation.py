"""Cache correctness around writes and failures, on small probe routes defined here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Skill
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.deps import SessionDep
from tests.databases import make_settings
from tests.public.cache_helpers import AppFactory, FakeClock, add_skill, cache_of

PROBE = "/api/v1/_probe/skills"


class Probe:
    """A public route that lists skill names, with hooks to write or fail while rendering."""

    def __init__(self, app: FastAPI) -> None:
        self.calls = 0
        self.during_render: Callable[[], Awaitable[None]] | None = None
        self.fail_with: int | None = None
        self.crash = False

        @app.get(PROBE)
        async def probe(session: SessionDep) -> Response:
            self.calls += 1
            names = list(await session.scalars(select(col(Skill.name)).order_by(col(Skill.id))))
            if self.during_render is not None:
                hook, self.during_render = self.during_render, None
                await hook()
            if self.crash:
                raise RuntimeError("boom")
            if self.fail_with is not None:
                return JSONResponse({"error": "failing"}, status_code=self.fail_with)
            return JSONResponse(names)

        @app.get("/api/v1/_probe/cookie")
        async def cookie() -> Response:
            self.calls += 1
            response = JSONResponse({"personal": True})
            response.set_cookie("session", "abc")
            return response


@pytest.fixture
async def other_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: writes through it are another instance's."""
    other = create_engine(make_settings(engine.url.render_as_string(hide_password=False)))
    yield other
    await other.dispose()


async def _write_skill(engine: AsyncEngine, name: str) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Skill(name=name))


async def test_a_local_write_during_rendering_is_served_next_time(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cache_version_check_interval=3600)
    probe = Probe(app)
    probe.during_render = lambda: add_skill(app, "Late")

    during = await client.get(PROBE)
    after = await client.get(PROBE)

    assert during.json() == []
    assert after.headers["x-cache"] == "MISS"
    assert after.json() == ["Late"]


async def test_a_remote_write_during_rendering_is_served_within_the_bound(
    engine: AsyncEngine, other_engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock, cache_version_check_interval=5)
    probe = Probe(app)
    probe.during_render = lambda: _write_skill(other_engine, "Late")

    during = await client.get(PROBE)
    inside_bound = await client.get(PROBE)
    clock.advance(5)
    after_bound = await client.get(PROBE)

    assert during.json() == []
    # This instance cannot know of the other's write before its next version check ...
    assert inside_bound.headers["x-cache"] == "HIT"
    # ... and the entry carries the version read *before* rendering, so it is rebuilt then.
    assert after_bound.headers["x-cache"] == "MISS"
    assert after_bound.json() == ["Late"]


async def test_a_failing_route_serves_the_last_good_bytes(
    engine: AsyncEngine, other_engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock, cache_stale_if_error=900)
    probe = Probe(app)
    good = await client.get(PROBE)
    await _write_skill(other_engine, "Changed")
    clock.advance(60)
    probe.fail_with = 503

    stale = await client.get(PROBE)
    uncached = await client.get(PROBE, params={"other": "key"})

    assert stale.status_code == 200
    assert stale.content == good.content
    assert stale.headers["etag"] == good.headers["etag"]
    assert stale.headers["x-cache"] == "STALE"
    assert stale.headers["x-cache-stale"] == "database-unavailable"
    assert stale.headers["cache-control"] == "public, max-age=0, stale-if-error=900"
    assert uncached.status_code == 503, "the route's own error when nothing is cached"

    probe.fail_with = None
    fresh = await client.get(PROBE)
    assert fresh.headers["x-cache"] == "MISS"
    assert fresh.json() == ["Changed"]


async def test_a_crashing_route_serves_the_last_good_bytes(
    engine: AsyncEngine, other_engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock)
    probe = Probe(app)
    good = await client.get(PROBE)
    await _write_skill(other_engine, "Changed")
    clock.advance(60)
    probe.crash = True

    stale = await client.get(PROBE)

    assert stale.status_code == 200
    assert stale.content == good.content
    assert stale.headers["x-cache"] == "STALE"


async def test_responses_that_set_cookies_are_not_cached(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    probe = Probe(app)

    first = await client.get("/api/v1/_probe/cookie")
    second = await client.get("/api/v1/_probe/cookie")

    assert probe.calls == 2
    assert second.cookies.get("session") == "abc"
    assert "etag" not in first.headers
    assert cache_of(app).state().entries == 0


async def test_a_version_check_overlapping_a_local_commit_is_not_trusted(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock, cache_version_check_interval=3600)
    cache = cache_of(app)
    await client.get("/api/v1/skills")

    def commit_lands_after_the_read(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "content_version" in statement:
            cache.invalidate()  # what the commit listener does for a write on this engine

    cache.invalidate()
    event.listen(engine.sync_engine, "after_cursor_execute", commit_lands_after_the_read)
    try:
        await client.get("/api/v1/skills")
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", commit_lands_after_the_read)
    checks = cache.version_checks
    await client.get("/api/v1/skills")

    assert cache.version_checks == checks + 1, "the version read before the commit is rechecked"
