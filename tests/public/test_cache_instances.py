"""Two app instances (two engines, two caches) on one PostgreSQL, and database outages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.core.db import create_engine
from tests.databases import make_settings
from tests.public.cache_helpers import (
    AppFactory,
    FakeClock,
    TcpProxy,
    add_skill,
    cache_of,
    count_statements,
    url_through,
)

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SKILLS = "/api/v1/skills"
EXPERIENCE = "/api/v1/experience"
RESUME = "/api/v1/resume"
INTERVAL = 0.25  # seconds (exact in binary, so the fake clock lands on it); the bound
TIMEOUT = 1.0  # seconds; database_timeout of the instance behind the proxy


def _names(response: object) -> list[str]:
    return sorted(skill["name"] for skill in response.json())  # type: ignore[attr-defined]


@pytest.fixture
async def second_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """Another instance's engine on the same database."""
    url = engine.url.render_as_string(hide_password=False)
    other = create_engine(make_settings(url, database_timeout=TIMEOUT))
    yield other
    await other.dispose()


@pytest.fixture
async def proxied_engine(engine: AsyncEngine, proxy: TcpProxy) -> AsyncIterator[AsyncEngine]:
    """An instance's engine that reaches the database through ``proxy``."""
    behind = create_engine(make_settings(url_through(engine, proxy), database_timeout=TIMEOUT))
    yield behind
    await behind.dispose()


async def test_a_write_through_one_instance_reaches_the_other_within_the_bound(
    engine: AsyncEngine, second_engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app_a, a = await make_app(engine, cache_version_check_interval=INTERVAL)
    app_b, b = await make_app(second_engine, clock, cache_version_check_interval=INTERVAL)
    await add_skill(app_a, "Python")
    assert _names(await a.get(SKILLS)) == _names(await b.get(SKILLS)) == ["Python"]

    await add_skill(app_a, "Erlang")
    from_a = await a.get(SKILLS)
    with count_statements(second_engine) as statements:
        from_b_inside = await b.get(SKILLS)
    clock.advance(INTERVAL)
    from_b_after = await b.get(SKILLS)

    assert _names(from_a) == ["Erlang", "Python"], "the writing instance at once"
    assert from_a.headers["x-cache"] == "MISS"
    assert _names(from_b_inside) == ["Python"]
    assert from_b_inside.headers["x-cache"] == "HIT"
    assert statements == [], "inside the bound B trusts its version without asking"
    assert _names(from_b_after) == ["Erlang", "Python"]
    assert from_b_after.headers["etag"] == from_a.headers["etag"]
    assert from_b_after.headers["x-content-version"] == from_a.headers["x-content-version"]


async def test_the_bound_holds_on_the_real_clock(
    engine: AsyncEngine, second_engine: AsyncEngine, make_app: AppFactory
) -> None:
    app_a, _ = await make_app(engine, cache_version_check_interval=INTERVAL)
    _, b = await make_app(second_engine, cache_version_check_interval=INTERVAL)
    await add_skill(app_a, "Python")
    before = await b.get(SKILLS)

    await add_skill(app_a, "Erlang")
    await asyncio.sleep(INTERVAL)
    after = await b.get(SKILLS)

    assert _names(before) == ["Python"]
    assert _names(after) == ["Erlang", "Python"]
    assert after.headers["etag"] != before.headers["etag"]


async def test_conditional_requests_across_instances(
    engine: AsyncEngine, second_engine: AsyncEngine, make_app: AppFactory
) -> None:
    app_a, a = await make_app(engine, cache_version_check_interval=INTERVAL)
    _, b = await make_app(second_engine, cache_version_check_interval=0)
    await add_skill(app_a, "Python")
    etag = (await a.get(SKILLS)).headers["etag"]

    unchanged = await b.get(SKILLS, headers={"If-None-Match": etag})
    await add_skill(app_a, "Erlang")
    changed = await b.get(SKILLS, headers={"If-None-Match": etag})

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert _names(changed) == ["Erlang", "Python"]


async def test_an_outage_serves_stale_bytes_then_fresh_ones_after_recovery(
    engine: AsyncEngine,
    proxied_engine: AsyncEngine,
    proxy: TcpProxy,
    make_app: AppFactory,
) -> None:
    clock = FakeClock()
    writer, _ = await make_app(engine)
    app, client = await make_app(proxied_engine, clock, cache_version_check_interval=INTERVAL)
    await add_skill(writer, "Python")
    good = await client.get(SKILLS)

    await proxy.stop()
    await add_skill(writer, "Erlang")  # the owner keeps writing through a healthy instance
    clock.advance(INTERVAL)
    stale = await client.get(SKILLS)
    stale_head = await client.head(SKILLS)
    # Every stored document was loaded with the first: all of them are served stale.
    other = await client.get(EXPERIENCE)
    _, cold = await make_app(proxied_engine, clock, cache_version_check_interval=INTERVAL)
    uncached = await cold.get(EXPERIENCE)  # a new instance: nothing in memory
    health = await client.get("/health")

    assert stale.status_code == 200
    assert stale.content == good.content
    assert stale.headers["x-cache"] == "STALE"
    assert stale.headers["x-cache-stale"] == "database-unavailable"
    assert stale.headers["etag"] == good.headers["etag"]
    assert stale.headers["cache-control"].startswith("public, max-age=0, stale-if-error=")
    assert (stale_head.status_code, stale_head.content) == (200, b"")
    assert (other.status_code, other.headers["x-cache"]) == (200, "STALE")
    assert uncached.status_code == 503
    assert uncached.json()["status_code"] == 503
    assert "not cached" in uncached.json()["error"]
    assert uncached.headers["cache-control"] == "no-store"
    assert "retry-after" in uncached.headers
    assert health.status_code == 503
    assert health.json() == {"status": "degraded"}  # the cache figures are the owner's
    assert app.cache.state()["database"] == "unavailable"
    assert app.cache.state()["stale"] == 3

    await proxy.start()
    clock.advance(INTERVAL)
    fresh = await client.get(SKILLS)
    recovered = await client.get(EXPERIENCE)

    assert fresh.headers["x-cache"] == "MISS"
    assert _names(fresh) == ["Erlang", "Python"]
    assert recovered.status_code == 200
    assert cache_of(app).state()["database"] == "ok"


async def test_a_hung_database_is_waited_on_for_at_most_the_timeout(
    engine: AsyncEngine,
    proxied_engine: AsyncEngine,
    proxy: TcpProxy,
    make_app: AppFactory,
) -> None:
    clock = FakeClock()
    writer, _ = await make_app(engine)
    app, client = await make_app(
        proxied_engine, clock, cache_version_check_interval=INTERVAL, database_timeout=TIMEOUT
    )
    await add_skill(writer, "Python")
    good = await client.get(SKILLS)
    cache = cache_of(app)

    proxy.blackhole = True
    clock.advance(INTERVAL)
    async with asyncio.timeout(TIMEOUT * 5):  # a failure here means the wait was unbounded
        stale = await client.get(SKILLS)
    checks_after_timeout = cache.version_checks
    again = await client.get(SKILLS)  # inside the interval: answered from memory at once

    assert stale.headers["x-cache"] == "STALE"
    assert stale.content == good.content
    assert again.headers["x-cache"] == "STALE"
    assert cache.version_checks == checks_after_timeout

    proxy.blackhole = False
    await add_skill(writer, "Erlang")
    clock.advance(INTERVAL)
    fresh = await client.get(SKILLS)

    assert fresh.headers["x-cache"] == "MISS"
    assert _names(fresh) == ["Erlang", "Python"]


async def test_concurrent_requests_share_one_version_check(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock, cache_version_check_interval=INTERVAL)
    await add_skill(app, "Python")
    await client.get(SKILLS)
    clock.advance(INTERVAL)
    before = cache_of(app).version_checks

    responses = await asyncio.gather(*(client.get(SKILLS) for _ in range(10)))

    assert all(r.headers["x-cache"] == "HIT" for r in responses)
    assert cache_of(app).version_checks == before + 1


async def test_a_new_version_is_loaded_once_for_many_concurrent_requests(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    writer, _ = await make_app(engine)
    app, client = await make_app(engine, cache_version_check_interval=INTERVAL)
    await add_skill(writer, "Python")
    paths = [SKILLS, EXPERIENCE, RESUME, f"{SKILLS}?category=languages"] * 16

    responses = await asyncio.gather(*(client.get(path) for path in paths))

    assert {response.status_code for response in responses} == {200}
    assert (cache_of(app).version_checks, cache_of(app).loads) == (1, 1)


async def test_after_a_flood_of_query_strings_an_outage_still_serves_every_document(
    engine: AsyncEngine,
    proxied_engine: AsyncEngine,
    proxy: TcpProxy,
    make_app: AppFactory,
) -> None:
    clock = FakeClock()
    writer, _ = await make_app(engine)
    app, client = await make_app(proxied_engine, clock, cache_version_check_interval=INTERVAL)
    await add_skill(writer, "Python", category="Languages")
    good = {path: await client.get(path) for path in (SKILLS, EXPERIENCE, RESUME)}
    flood = [
        await client.get(SKILLS, params={"category": f"flood {number}"}) for number in range(2000)
    ]

    await proxy.stop()
    clock.advance(INTERVAL)
    during = {path: await client.get(path) for path in good}
    filtered = await client.get(SKILLS, params={"category": "languages"})

    assert {response.status_code for response in flood} == {200}
    for path, response in during.items():
        assert (response.status_code, response.headers["x-cache"]) == (200, "STALE"), path
        assert response.content == good[path].content, path
    assert filtered.headers["x-cache"] == "STALE"
    assert [skill["name"] for skill in filtered.json()] == ["Python"]
