"""Many invocations in one container, killed connections, PgBouncer in transaction mode."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.pool import NullPool

from cms.core.config import Settings
from cms.core.db import create_engine
from cms.main import create_app
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker
from tests.databases import POSTGRES_ADMIN_URL, make_settings

RESUME = "/api/v1/resume"


async def _terminate(application_name: str) -> int:
    """Kill the server side of every connection the app holds (as an idle timeout would)."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            application_name,
        )
    finally:
        await admin.close()
    return int(killed)


def test_hundred_sequential_invocations_survive_killed_connections(
    invoke: Invoker, lambda_settings: Settings
) -> None:
    postgres = lambda_settings.database_url.startswith("postgresql")
    killed = 0
    for number in range(100):
        kind = helpers.EVENT_KINDS[number % len(helpers.EVENT_KINDS)]
        path = "/health" if number % 2 else RESUME
        response = invoke(kind, "GET", path)
        assert response.status == 200, (number, path, response.body)
        if postgres and number % 10 == 9:
            killed += invoke.container.run(_terminate(lambda_settings.service_name))
    if postgres:
        assert killed >= 5, "the app should have held a connection to kill"


def _pooler_settings(pgbouncer: Any, postgresql_url: str, query: str = "") -> Settings:
    return make_settings(
        pgbouncer.url(postgresql_url, query), database_pooler=True, service_name="cms-pooler-test"
    )


def test_concurrent_containers_through_pgbouncer(pgbouncer: Any, pooled_schema: str) -> None:
    """Four containers (processes) at once through a pool of three server connections."""
    # Check the content version on every request: each check is another pooled transaction.
    env = helpers.container_env(
        DATABASE_URL=pgbouncer.url(pooled_schema),
        DATABASE_POOLER="true",
        ENVIRONMENT="test",
        CACHE_VERSION_CHECK_INTERVAL="0",
    )
    processes = []
    for index in range(4):
        kind = helpers.EVENT_KINDS[index]
        actions = [
            {"event": helpers.make_event(kind, "GET", "/health" if n % 2 else RESUME)}
            for n in range(25)
        ]
        processes.append(helpers.start_container(env, actions))
    results = [helpers.container_results(process) for process in processes]
    statuses = [r["status"] for container in results for r in container]
    assert len(statuses) == 100
    failures = [r for container in results for r in container if r["status"] != 200]
    assert not failures, failures[:3]


async def test_concurrent_requests_in_one_app_through_pgbouncer(
    pgbouncer: Any, pooled_schema: str
) -> None:
    """Many requests in flight on one loop: each transaction may land on another server."""
    app = create_app(_pooler_settings(pgbouncer, pooled_schema))
    assert isinstance(app.state.engine.pool, NullPool)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            paths = ["/health", RESUME, "/api/v1/projects", "/api/v1/skills"] * 10
            responses = await asyncio.gather(*(client.get(path) for path in paths))
    finally:
        await app.state.engine.dispose()
    assert [r.status_code for r in responses] == [200] * len(paths), [
        r.text for r in responses if r.status_code != 200
    ][:3]


async def test_neon_style_url_works_unchanged_through_a_tls_pooler(
    pgbouncer: Any, pooled_schema: str
) -> None:
    """``sslmode=require&channel_binding=require`` as Neon prints it, over TLS to PgBouncer."""
    if not pgbouncer.tls:
        pytest.skip("openssl not available to give PgBouncer a certificate")
    settings = _pooler_settings(pgbouncer, pooled_schema, "sslmode=require&channel_binding=require")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            health = await client.get("/health")
            resume = await client.get(RESUME)
        async with app.state.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            ssl_object = raw.driver_connection._transport.get_extra_info("ssl_object")
    finally:
        await app.state.engine.dispose()
    assert health.json()["database"] == "ok"
    assert resume.status_code == 200
    assert ssl_object is not None, "the connection should be encrypted"


def test_neon_pooler_host_is_detected() -> None:
    url = (
        "postgresql://owner:secret@ep-cool-darkness-a1b2c3d4-pooler.eu-central-1.aws.neon.tech"
        "/neondb?sslmode=require&channel_binding=require"
    )
    engine = create_engine(make_settings(url))
    assert isinstance(engine.pool, NullPool)
    assert engine.url.query == {"ssl": "require"}
    direct = create_engine(make_settings(url.replace("-pooler", "")))
    assert not isinstance(direct.pool, NullPool)
