"""Many invocations in one container, killed connections, PgBouncer in transaction mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.types import Receive, Scope, Send

from cms.admin.auth import COOKIE_NAME
from cms.core.config import Settings
from cms.core.db import create_engine, normalize_database_url
from cms.main import create_app
from tests.admin.helpers import Owner, token_for
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker, LambdaContainer
from tests.databases import (
    POSTGRES_ADMIN_URL,
    make_settings,
    refuse_connections,
    scratch_postgres,
)

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
    assert health.json() == {"status": "ok"}
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


@pytest.fixture
async def scratch_url(postgresql_url: str) -> AsyncIterator[str]:
    """An empty database of its own (``postgresql_url`` skips the test without PostgreSQL)."""
    async with scratch_postgres("cms_lambda_outage") as url:
        yield url


def test_a_database_refusing_connections_is_a_503_through_the_handler(
    container: LambdaContainer, scratch_url: str
) -> None:
    settings = make_settings(scratch_url)
    invoke = Invoker(container, create_app(settings))
    cookie = {COOKIE_NAME: token_for(Owner(1, "owner", "", "hash"), settings)}
    kind = "http_api_v2_stage"
    try:
        container.run(refuse_connections(scratch_url))
        answers = {
            "dashboard": invoke(kind, "GET", "/admin/", cookies=cookie),
            "login": invoke(
                kind,
                "POST",
                "/admin/login",
                headers={"content-type": "application/x-www-form-urlencoded"},
                body=b"username=owner&password=a+good+password",
            ),
            "put": invoke(
                kind,
                "PUT",
                RESUME,
                headers={"authorization": "Bearer cms_" + "a" * 43},
                body=b'{"basics": {"name": "Ada"}}',
            ),
            "read": invoke(kind, "GET", RESUME),
        }
    finally:
        container.run(invoke.app.state.engine.dispose())
    for name, answer in answers.items():
        assert answer.status == 503, (name, answer.text)
        assert int(answer.headers["retry-after"]) > 0, name
    assert answers["dashboard"].headers["content-type"].startswith("text/html")
    assert answers["put"].json()["status_code"] == 503


def test_an_outage_escaping_the_app_is_a_json_503_through_the_handler(
    container: LambdaContainer, scratch_url: str
) -> None:
    """Whatever app the handler wraps: a pool with nothing to lend is no bare ``500``."""
    engine = create_async_engine(
        normalize_database_url(scratch_url), pool_size=1, max_overflow=0, pool_timeout=0.2
    )

    async def needs_a_connection(scope: Scope, receive: Receive, send: Send) -> None:
        async with engine.connect():
            raise AssertionError("the pool had a connection to lend")

    held = container.run(engine.connect().start())
    try:
        answer = Invoker(container, needs_a_connection)("function_url", "GET", "/anything")  # type: ignore[arg-type]
    finally:
        container.run(held.close())
        container.run(engine.dispose())
    assert answer.status == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert set(answer.json()) == {"error", "status_code", "timestamp"}
