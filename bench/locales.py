"""What locales cost: an admin save with three locales, and a ``?locale=de`` hit.

    .venv/bin/python -m bench.locales [--saves 30] [--requests 3000] [--database-url URL]

1. **Admin save, seed size, 3 locales** (``LOCALES=en,de,fr``, German texts for every job):
   the back office's edit form of a skill, posted ``--saves`` times in-process (httpx over
   ASGI), each save rendering every affected response in every locale inside its transaction.
   Baseline in the same run: the same saves on a copy with one locale (``LOCALES=en``),
   interleaved. Target: p50 ≤ 150 ms.
2. **A hit in another locale**: ``GET /api/v1/experience?locale=de`` against the default
   ``GET /api/v1/experience``, over HTTP (uvicorn on a local socket, one keep-alive client) and
   as a warm Lambda (Mangum with API Gateway HTTP API v2 events), interleaved rounds, medians.
   Target: ratio ≈ 1.0.

Prints medians (never best runs) and the conditions (:mod:`bench.conditions`).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from mangum import Mangum
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.conditions import conditions
from cms.admin.accounts import create_admin
from cms.content.models import Skill, Work
from cms.content.publish import ensure_published
from cms.content.sections import SECTIONS
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.content.translating import set_translation
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.main import create_app
from cms.public.readpath import ReadPath

USERNAME, PASSWORD = "owner", "violet tractor harbour quilt sonnet"
LIST = "/api/v1/experience"


async def _prepare(database_url: str, locales: list[str]) -> tuple[Settings, AsyncEngine, int]:
    """A migrated, seeded database with German job titles; the id of a skill to save."""
    settings = Settings(database_url=database_url, environment="test", locales=locales)
    engine = create_engine(settings)
    await upgrade_async(engine)
    await ensure_published(engine)
    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        await seed_database(session, SEED_DIR)
        await create_admin(session, USERNAME, PASSWORD)
    async with maker() as session, session.begin():
        for work in (await session.scalars(select(Work))).all():
            texts = {"position": f"{work.position or 'Stelle'} (de)", "summary": "Auf Deutsch."}
            set_translation(SECTIONS["work"], work, "de", texts, actor="bench")
    async with maker() as session:
        skill = (await session.scalars(select(Skill).limit(1))).one()
    return settings, engine, int(skill.id or 0)


def _skill_form(n: int) -> dict[str, str]:
    return {
        "name": "Python",
        "category": "Languages",
        "level": "5",
        "level_label": "",
        "years_experience": "8",
        "sort_order": "0",
        "is_published": "y",
        "keywords": f"bench\nsave {n}",
        "save": "Save",
    }


async def bench_saves(saves: int, urls: dict[str, str]) -> dict[str, list[float]]:
    """Admin saves of one skill, interleaved between the databases of ``urls`` (by label)."""
    clients: dict[str, tuple[httpx.AsyncClient, str, ReadPath, AsyncEngine]] = {}
    for label, url in urls.items():
        locales = ["en", "de", "fr"] if label == "3 locales" else ["en"]
        settings, engine, skill_id = await _prepare(url, locales)
        app = create_app(settings, engine)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost"
        )
        login = await client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD})
        assert login.status_code == 302, login.text[-500:]
        clients[label] = (client, f"/admin/skill/edit/{skill_id}", app, engine)
    timings: dict[str, list[float]] = {label: [] for label in urls}
    for n in range(saves):
        for label, (client, path, _, _) in clients.items():
            started = time.perf_counter()
            response = await client.post(path, data=_skill_form(n))
            timings[label].append(time.perf_counter() - started)
            assert response.status_code == 302, response.text[-500:]
    for client, _, app, engine in clients.values():
        await client.aclose()
        await app.database.close()
        await engine.dispose()
    return timings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _event(path: str, query: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) GET event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "bench.example"},
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


def _interleaved(calls: dict[str, Callable[[], None]], requests: int) -> dict[str, list[float]]:
    """Latencies of each call, in rounds of 100 alternating between them."""
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm: the first load, the derived caches
        for _ in range(20):
            call()
    for _ in range(max(1, requests // 100)):
        for name, call in calls.items():
            for _ in range(100):
                started = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - started)
    return timings


def bench_hits(settings: Settings, requests: int) -> dict[str, dict[str, list[float]]]:
    """Default against ``?locale=de`` hits, over HTTP and through Mangum."""
    results: dict[str, dict[str, list[float]]] = {}
    with _serving(create_app(settings)) as base, httpx.Client(base_url=base) as client:

        def http(query: str) -> Callable[[], None]:
            def call() -> None:
                response = client.get(LIST + query)
                assert response.status_code == 200, response.text

            return call

        results["HTTP (uvicorn)"] = _interleaved(
            {"default": http(""), "?locale=de": http("?locale=de")}, requests
        )
    handler = Mangum(create_app(settings), lifespan="off")

    def invoke(query: str) -> Callable[[], None]:
        event = _event(LIST, query)

        def call() -> None:
            response = handler(event, None)  # type: ignore[arg-type]
            assert response["statusCode"] == 200, response

        return call

    results["Lambda warm (Mangum)"] = _interleaved(
        {"default": invoke(""), "?locale=de": invoke("locale=de")}, requests
    )
    return results


def _ms(values: list[float]) -> str:
    p50 = statistics.median(values) * 1000
    p90 = statistics.quantiles(values, n=10)[-1] * 1000
    return f"p50 {p50:7.2f} ms  p90 {p90:7.2f} ms"


def main() -> None:
    """Run both benchmarks and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database-url", help="a SQLite file URL or PostgreSQL (3 locales)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    urls = {
        "3 locales": args.database_url or f"sqlite+aiosqlite:///{folder / 'three.db'}",
        "1 locale (baseline)": f"sqlite+aiosqlite:///{folder / 'one.db'}",
    }
    print(conditions(urls["3 locales"]))
    saves = asyncio.run(bench_saves(args.saves, urls))
    print(f"admin save of a skill, seed size ({args.saves} saves, interleaved):")
    for label, values in saves.items():
        print(f"  {label:22} {_ms(values)}")
    ratio = statistics.median(saves["3 locales"]) / statistics.median(saves["1 locale (baseline)"])
    print(f"  3 locales / 1 locale: {ratio:.2f}x   target: 3 locales p50 <= 150 ms")

    settings = Settings(
        database_url=urls["3 locales"], environment="test", locales=["en", "de", "fr"]
    )
    print(f"a hit of {LIST}, default vs ?locale=de ({args.requests} requests each, interleaved):")
    for face, timings in bench_hits(settings, args.requests).items():
        for label, values in timings.items():
            print(f"  {face:22} {label:11} {_ms(values)}")
        ratio = statistics.median(timings["?locale=de"]) / statistics.median(timings["default"])
        print(f"  {face:22} ?locale=de / default: {ratio:.3f}   target ~1.0")


if __name__ == "__main__":
    main()
