"""A database outage is a 503 with ``Retry-After`` everywhere, on a real PostgreSQL.

Two outages: the database refuses connections (``ALLOW_CONNECTIONS false``, its backends
terminated: asyncpg's "not currently accepting connections", SQLSTATE 55000, which SQLAlchemy
wraps in a bare ``DBAPIError``), and a pool with nothing to lend (SQLAlchemy's pool
``TimeoutError``, not the built-in one). The back office answers its HTML error page with the
security headers, the API its JSON error shape.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from cms.admin.auth import COOKIE_NAME
from cms.admin.headers import SECURITY_HEADERS
from cms.core.config import Settings
from cms.core.db import normalize_database_url
from cms.core.outage import is_database_unavailable
from cms.main import create_app
from cms.public.readpath import ReadPath
from tests.admin.helpers import Owner, token_for
from tests.databases import make_settings, refuse_connections, scratch_postgres

OWNER = Owner(1, "owner", "", "hash")
RESUME_BODY = json.dumps({"basics": {"name": "Ada"}}).encode()


@pytest.fixture
async def scratch_url(postgresql_url: str) -> AsyncIterator[str]:
    """An empty database of its own (``postgresql_url`` skips the test without PostgreSQL)."""
    async with scratch_postgres("cms_outage") as url:
        yield url


async def _requests(app: ReadPath, settings: Settings) -> dict[str, httpx.Response]:
    """The owner's dashboard, a login, a reorder and a CV upload, as clients send them."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        login = await client.post(
            "/admin/login", data={"username": "owner", "password": "a good password"}
        )
        client.cookies.set(COOKIE_NAME, token_for(OWNER, settings))
        return {
            "dashboard": await client.get("/admin/"),
            "login": login,
            "reorder": await client.post("/admin/work/reorder", json={"ids": [2, 1]}),
            "api": await client.put(
                "/api/v1/resume",
                content=RESUME_BODY,
                headers={"authorization": "Bearer cms_" + "a" * 43},
            ),
        }


def _assert_unavailable(answers: dict[str, httpx.Response]) -> None:
    for name, answer in answers.items():
        assert answer.status_code == 503, (name, answer.text)
        assert int(answer.headers["retry-after"]) > 0, name
    for name in ("dashboard", "login", "reorder"):
        page = answers[name]
        assert page.headers["content-type"].startswith("text/html"), name
        assert "database is unavailable" in page.text, name
        for header, value in SECURITY_HEADERS.items():
            assert page.headers[header] == value, (name, header)
    body = answers["api"].json()
    assert set(body) == {"error", "status_code", "timestamp"}
    assert body["status_code"] == 503
    assert "database is unavailable" in body["error"]


async def test_a_database_refusing_connections_is_a_503(scratch_url: str) -> None:
    settings = make_settings(scratch_url, database_timeout=5.0)
    app = create_app(settings)
    try:
        async with app.state.engine.connect() as connection:  # pooled, terminated below
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
        await refuse_connections(scratch_url)
        _assert_unavailable(await _requests(app, settings))
    finally:
        await app.state.engine.dispose()


async def test_an_exhausted_pool_is_a_503(scratch_url: str) -> None:
    settings = make_settings(scratch_url, database_timeout=0.5)
    engine = create_async_engine(
        normalize_database_url(scratch_url),
        pool_size=1,
        max_overflow=0,
        pool_timeout=settings.database_timeout,
    )
    app = create_app(settings, engine)
    try:
        async with engine.connect():  # the pool's only connection, lent for the whole test
            _assert_unavailable(await _requests(app, settings))
    finally:
        await engine.dispose()


async def test_data_errors_are_not_outages(scratch_url: str) -> None:
    engine = create_async_engine(normalize_database_url(scratch_url))
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY)")
            await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            with pytest.raises(IntegrityError) as duplicate:
                await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        await engine.dispose()
    assert not is_database_unavailable(duplicate.value)
    assert not is_database_unavailable(FileNotFoundError("templates/missing.html"))
