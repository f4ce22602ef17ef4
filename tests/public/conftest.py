"""Fixtures of the public-API tests: apps with their own settings on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.main import create_app
from cms.public.readpath import ReadPath
from tests.databases import make_settings
from tests.public.cache_helpers import AppFactory, FakeClock, TcpProxy, cache_of


@pytest.fixture
async def make_app(database_url: str) -> AsyncIterator[AppFactory]:
    """Build apps (with a client each) on the database under test, with settings overrides."""
    clients: list[httpx.AsyncClient] = []
    apps: list[ReadPath] = []

    async def build(
        engine: AsyncEngine, clock: FakeClock | None = None, **overrides: Any
    ) -> tuple[ReadPath, httpx.AsyncClient]:
        url = engine.url.render_as_string(hide_password=False)
        app = create_app(make_settings(url, **overrides), engine)
        if clock is not None:
            cache_of(app).clock = clock
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        apps.append(app)
        return app, client

    yield build
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.database.close()


@pytest.fixture
async def proxy(engine: AsyncEngine) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the test database."""
    proxy = TcpProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.stop()
