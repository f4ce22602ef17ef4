"""A locale's stored responses survive an outage like the default's (stale-if-error), on
PostgreSQL behind a TCP proxy that is cut."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Work
from cms.content.publish import ensure_published
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from tests.databases import make_settings
from tests.public.cache_helpers import AppFactory, FakeClock, TcpProxy, url_through

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

INTERVAL = 0.25  # seconds, exact in binary for the fake clock
LOCALES = ["en", "de"]


@pytest.fixture
async def behind_proxy(engine: AsyncEngine, proxy: TcpProxy) -> AsyncIterator[AsyncEngine]:
    """An engine with two locales that reaches the database through ``proxy``."""
    behind = create_engine(make_settings(url_through(engine, proxy), locales=LOCALES))
    yield behind
    await behind.dispose()


async def test_a_locale_is_served_stale_while_the_database_is_down(
    behind_proxy: AsyncEngine, proxy: TcpProxy, make_app: AppFactory
) -> None:
    async with make_sessionmaker(behind_proxy)() as session:
        session.add(Work(company="ACME", position="Dev", translations={"de": {"position": "Ent"}}))
        await session.commit()
    await ensure_published(behind_proxy)
    clock = FakeClock()
    _, client = await make_app(
        behind_proxy, clock, cache_version_check_interval=INTERVAL, locales=LOCALES
    )
    good = await client.get("/api/v1/experience?locale=de")

    await proxy.stop()
    clock.advance(INTERVAL)
    stale = await client.get("/api/v1/experience?locale=de")
    default = await client.get("/api/v1/experience")

    assert good.json()[0]["position"] == "Ent"
    assert (stale.status_code, stale.headers["x-cache"]) == (200, "STALE")
    assert stale.content == good.content
    assert stale.headers["content-language"] == "de"
    assert (default.status_code, default.headers["x-cache"]) == (200, "STALE")
    assert default.json()[0]["position"] == "Dev"
