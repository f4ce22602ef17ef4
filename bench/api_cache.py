"""Benchmark of the public API's response cache (prints figures; not a test).

Measures requests/s and p50/p99 latency of a cached hit, a 304, a hit that re-checks the
content version, and an uncached read of ``/api/v1/resume`` and ``/api/v1/experience`` with the
full seed, each as a ratio to a bare FastAPI route returning a constant JSON body, measured in the
same run; and SQL statements and pool checkouts per request.

Requests go straight to the ASGI app (no sockets), one at a time, as a Lambda instance serves
them; scenarios run in interleaved rounds so that drift hits them all alike.

    .venv/bin/python -m bench.api_cache            # a scratch database on local PostgreSQL
    .venv/bin/python -m bench.api_cache --database-url sqlite+aiosqlite:///./bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from fastapi import FastAPI
from mangum import Mangum
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.main import create_app

ASGIApp = Callable[..., Awaitable[None]]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
PATHS = ("/api/v1/resume", "/api/v1/experience")
CONSTANT = {"status": "ok", "items": [1, 2, 3], "message": "a constant body"}


@dataclass
class Scenario:
    """One kind of request and what it cost."""

    name: str
    app: ASGIApp
    path: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    expect: int = 200
    before_each: Callable[[], None] | None = None
    engine: AsyncEngine | None = None
    handler: Mangum | None = None
    """Call through Mangum with an API Gateway HTTP API event, as Lambda does."""
    share: float = 1.0
    """Fraction of the requests this scenario runs (slow ones run fewer)."""
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0
    """CPU seconds this process spent on the scenario (immune to other processes' load)."""
    statements: int = 0
    checkouts: int = 0
    bodies: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / sum(self.latencies)

    @property
    def cpu_throughput(self) -> float:
        return self.requests / self.cpu

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


async def call(app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """One GET through the ASGI app; returns (status, body length)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("bench", 80),
        "state": {},
    }
    status = 0
    length = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, length
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            length += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, length


async def run_round(scenario: Scenario, requests: int) -> None:
    """``requests`` sequential requests of ``scenario``, timed and counted."""
    counters, on_statement, on_checkout = _listen(scenario)
    clock = time.perf_counter
    cpu_started = time.process_time()
    try:
        for _ in range(requests):
            if scenario.before_each is not None:
                scenario.before_each()
            started = clock()
            status, length = await call(scenario.app, scenario.path, scenario.headers)
            scenario.latencies.append(clock() - started)
            _check(scenario, status, length)
    finally:
        _finish(scenario, counters, cpu_started, on_statement, on_checkout)


def run_round_lambda(scenario: Scenario, requests: int) -> None:
    """Like :func:`run_round`, through Mangum (which runs the loop once per invocation)."""
    assert scenario.handler is not None
    counters, on_statement, on_checkout = _listen(scenario)
    headers = {name.decode(): value.decode() for name, value in scenario.headers}
    event = lambda_event(scenario.path, headers)
    clock = time.perf_counter
    cpu_started = time.process_time()
    try:
        for _ in range(requests):
            started = clock()
            response = scenario.handler(event, cast(Any, None))
            scenario.latencies.append(clock() - started)
            _check(scenario, response["statusCode"], len(response.get("body") or ""))
    finally:
        _finish(scenario, counters, cpu_started, on_statement, on_checkout)


def _check(scenario: Scenario, status: int, length: int) -> None:
    if status != scenario.expect:
        raise RuntimeError(f"{scenario.name}: HTTP {status}, expected {scenario.expect}")
    scenario.bodies += length


def _listen(scenario: Scenario) -> tuple[dict[str, int], Callable[..., None], Callable[..., None]]:
    counters = {"statements": 0, "checkouts": 0}

    def on_statement(*_: Any) -> None:
        counters["statements"] += 1

    def on_checkout(*_: Any) -> None:
        counters["checkouts"] += 1

    if scenario.engine is not None:
        event.listen(scenario.engine.sync_engine, "before_cursor_execute", on_statement)
        event.listen(scenario.engine.sync_engine, "checkout", on_checkout)
    return counters, on_statement, on_checkout


def _finish(
    scenario: Scenario,
    counters: dict[str, int],
    cpu_started: float,
    on_statement: Callable[..., None],
    on_checkout: Callable[..., None],
) -> None:
    scenario.cpu += time.process_time() - cpu_started
    if scenario.engine is not None:
        event.remove(scenario.engine.sync_engine, "before_cursor_execute", on_statement)
        event.remove(scenario.engine.sync_engine, "checkout", on_checkout)
    scenario.statements += counters["statements"]
    scenario.checkouts += counters["checkouts"]


def lambda_event(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) GET event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "bench.example", **headers},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.example",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2025:00:00:00 +0000",
            "timeEpoch": 1735689600000,
        },
        "isBase64Encoded": False,
    }


def bare_app() -> FastAPI:
    """A FastAPI app with one route returning a constant JSON body."""
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, Any]:
        return CONSTANT

    return app


async def prepare_database(url: str | None) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A migrated, seeded database; returns its URL and a cleanup."""
    if url is None:
        name = f"cms_bench_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(DEFAULT_POSTGRES)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = DEFAULT_POSTGRES.rsplit("/", 1)[0] + "/" + name

        async def drop() -> None:
            admin = await asyncpg.connect(DEFAULT_POSTGRES)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    else:

        async def drop() -> None:
            return None

    engine = create_engine(Settings(environment="test", database_url=url))
    await upgrade_async(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        report = await seed_database(session, SEED_DIR, force=True)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"seed: {report}")
    await engine.dispose()
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a scratch database on local PostgreSQL")
    parser.add_argument("--requests", type=int, default=4000, help="per scenario (default 4000)")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    args = parser.parse_args()
    # One loop for everything, as on Lambda: Mangum runs each invocation on the current loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    run = loop.run_until_complete

    url, drop = run(prepare_database(args.database_url))
    settings = Settings(environment="test", database_url=url, cache_version_check_interval=5.0)
    engine = create_engine(settings)
    app = create_app(settings, engine)
    cache = app.cache
    # The same app with a version check on every request (interval 0), on its own engine.
    checking_engine = create_engine(settings)
    checking_app = create_app(
        settings.model_copy(update={"cache_version_check_interval": 0.0}), checking_engine
    )

    @app.app.get("/bench/constant")
    async def constant() -> dict[str, Any]:
        return CONSTANT

    bare = bare_app()
    lambda_app = Mangum(app, lifespan="off")
    scenarios = [
        Scenario("bare FastAPI route, constant JSON", bare, "/bare"),
        Scenario("constant route in the CMS app", app, "/bench/constant", engine=engine),
    ]
    lambda_scenarios = [
        Scenario("Lambda: bare FastAPI route", bare, "/bare", handler=Mangum(bare, lifespan="off"))
    ]
    for path in PATHS:
        status, _ = run(call(app, path, []))  # fill the cache
        assert status == 200, path
        run(call(checking_app, path, []))
        etag = cache.snapshot.responses[path].etag  # type: ignore[union-attr]
        conditional = [(b"if-none-match", etag.encode())]
        scenarios += [
            Scenario(f"{path} cached hit", app, path, engine=engine),
            Scenario(f"{path} 304", app, path, conditional, 304, engine=engine),
            Scenario(f"{path} hit + version check", checking_app, path, engine=checking_engine),
            Scenario(
                f"{path} loaded from the database",
                app,
                path,
                before_each=cache.invalidate_snapshot,
                engine=engine,
                share=0.05,
            ),
        ]
        lambda_scenarios += [
            Scenario(f"Lambda: {path} cached hit", app, path, engine=engine, handler=lambda_app),
            Scenario(
                f"Lambda: {path} 304",
                app,
                path,
                conditional,
                304,
                engine=engine,
                handler=lambda_app,
            ),
        ]

    def measure(scenario: Scenario, requests: int) -> None:
        if scenario.handler is not None:
            run_round_lambda(scenario, requests)
        else:
            run(run_round(scenario, requests))

    per_round = max(1, args.requests // args.rounds)
    everything = scenarios + lambda_scenarios
    for scenario in everything:  # warm-up: imports, statement caches, pool
        measure(scenario, 50)
        scenario.latencies.clear()
        scenario.statements = scenario.checkouts = scenario.bodies = 0
        scenario.cpu = 0.0
    for _ in range(args.rounds):
        for scenario in everything:
            # Garbage left by one scenario (an uncached render) must not be collected on the
            # next one's time.
            gc.collect()
            measure(scenario, max(1, int(per_round * scenario.share)))

    print(f"\n{args.rounds} rounds x {per_round} sequential requests per scenario")
    report("in-process ASGI (a request = the ASGI call)", scenarios)
    report("through Mangum (a request = an API Gateway HTTP API v2 event)", lambda_scenarios)
    print(f"\ncache state: {cache.state()}")
    run(engine.dispose())
    run(checking_engine.dispose())
    run(drop())
    loop.close()


def report(title: str, scenarios: list[Scenario]) -> None:
    """Print one table; ratios are to the first scenario (the bare route)."""
    bare, bare_cpu = scenarios[0].throughput, scenarios[0].cpu_throughput
    header = (
        f"{'scenario':44} {'req/s':>7} {'x bare':>6} {'CPU req/s':>9} {'x bare':>6} "
        f"{'p50 µs':>7} {'p99 µs':>7} {'SQL/req':>7} {'conn/req':>8} {'bytes':>6}"
    )
    print(f"\n{title}\n{header}\n{'-' * len(header)}")
    for s in scenarios:
        print(
            f"{s.name:44} {s.throughput:7.0f} {s.throughput / bare:6.2f} "
            f"{s.cpu_throughput:9.0f} {s.cpu_throughput / bare_cpu:6.2f} "
            f"{s.percentile(50) * 1e6:7.0f} {s.percentile(99) * 1e6:7.0f} "
            f"{s.statements / s.requests:7.2f} {s.checkouts / s.requests:8.2f} "
            f"{s.bodies // s.requests:6d}"
        )


if __name__ == "__main__":
    main()
