"""HTTP throughput of the read path under uvicorn, and edits under load on PostgreSQL.

    .venv/bin/python -m bench.http_load [--seconds 10] [--rounds 3] [--load-seconds 60]
                                        [--postgres URL] [--hits-only]

1. **Hits**: uvicorn with one worker, ``wrk -t1 -c16`` on ``/api/v1/resume``: the CMS
   (``cms.main:create_app``, as ``cms serve`` runs it) against a bare FastAPI route sending the same
   bytes (``bench/baseline_handler.py``), both servers up, measured in turn for ``--rounds``
   rounds; the median of the rounds' ratios. Target: ≥ 2× the bare FastAPI route.
2. **Edits under load**: two uvicorn workers on PostgreSQL, ``wrk -t2 -c64`` on ``/api/v1/resume``
   for ``--load-seconds`` while one edit per second is written through the admin's write path.
   After each edit, fresh connections (reaching either worker) ask until they all answer the new
   content version: the slowest is reported against ``CACHE_VERSION_CHECK_INTERVAL``.
   Targets: 0 errors, p99 ≤ 50 ms, every edit seen within the interval, no answer labelled stale.
Needs ``wrk`` (Debian package ``wrk``) and, for part 2, a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.conditions import conditions  # noqa: E402

PATH = "/api/v1/resume"
INTERVAL = 5.0  # CACHE_VERSION_CHECK_INTERVAL, seconds
LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) stale = 0; errors = 0 end
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
  if headers["x-cache"] == "STALE" then stale = stale + 1 end
end
function done(summary, latency, requests)
  local s, e = 0, 0
  for _, t in ipairs(threads) do s = s + t:get("stale"); e = e + t:get("errors") end
  io.write(string.format("STALE %d\\nERRORS %d\\n", s, e))
  io.write(string.format("P50 %.3f\\nP99 %.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
  io.write(string.format("RPS %.1f\\nSOCKET %d\\n", summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn in a subprocess, stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int = 1, factory: bool) -> None:
        self.port = _port()
        command = [sys.executable, "-m", "uvicorn", app, "--port", str(self.port)]
        command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
        command += ["--factory"] if factory else []
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + PATH, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{app} did not start")

    def stop(self) -> None:
        """Stop the server and its workers."""
        self.process.terminate()
        self.process.wait(timeout=30)


def _wrk(
    url: str, seconds: float, threads: int, connections: int, *, inspect: bool = True
) -> dict[str, float]:
    """wrk's figures; ``inspect``: also count errors and stale labels (costs wrk some speed)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA if inspect else LUA.replace("function response", "function _unused"))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    output = subprocess.run(
        [*command, "-s", script.name, url + PATH], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(script.name)
    figures = dict(re.findall(r"^([A-Z0-9]+) ([\d.]+)$", output, re.M))
    return {key: float(value) for key, value in figures.items()}


def _prepare(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from cms.content.publish import ensure_published
    from cms.content.seeding import SEED_DIR, seed_database
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine
    from cms.core.migrate import upgrade_async

    async def prepare() -> None:
        engine = create_engine(Settings(database_url=url, environment="test"))
        await upgrade_async(engine)
        await ensure_published(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        await engine.dispose()

    asyncio.run(prepare())


def hits(seconds: float, rounds: int = 3) -> None:
    """Part 1: the read path's hit against a bare FastAPI route, one worker each, in turn."""
    directory = Path(tempfile.mkdtemp(prefix="cms-bench-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    _prepare(url)
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", "PYTHONPATH": str(ROOT)}
    cms = Server("cms.main:create_app", env, factory=True)
    bare = None
    try:
        body = httpx.get(cms.url + PATH).content
        (directory / "body.json").write_bytes(body)
        baseline_env = {
            **env,
            "PYTHONPATH": str(ROOT / "bench"),
            "BENCH_BODY_FILE": str(directory / "body.json"),
            "BENCH_BASELINE": "fastapi",
        }
        bare = Server("baseline_handler:fastapi_app", baseline_env, factory=False)
        measured: list[tuple[dict[str, float], dict[str, float]]] = []
        for _ in range(rounds):  # in turn: both see the same machine state
            theirs = _wrk(bare.url, seconds, 1, 16, inspect=False)
            ours = _wrk(cms.url, seconds, 1, 16, inspect=False)
            measured.append((theirs, ours))
    finally:
        cms.stop()
        if bare is not None:
            bare.stop()
    print(f"1. uvicorn, 1 worker, wrk -t1 -c16 {int(seconds)} s, GET {PATH} ({len(body)} bytes)")
    print("   " + conditions(url))
    ratios = []
    for number, (theirs, ours) in enumerate(measured, 1):
        for name, figures in (("bare FastAPI route", theirs), ("cms read path (hit)", ours)):
            print(
                f"   round {number} {name:22} {figures['RPS']:9.0f} req/s  "
                f"p50 {figures['P50']:6.2f} ms  p99 {figures['P99']:6.2f} ms  "
                f"socket errors {figures['SOCKET']:.0f}"
            )
        ratios.append(ours["RPS"] / theirs["RPS"])
    listed = ", ".join(f"{ratio:.2f}x" for ratio in ratios)
    print(f"   ratios {listed}; median {sorted(ratios)[len(ratios) // 2]:.2f}x (target >= 2x)")


def _edits(url: str, server: str, stop: threading.Event, seen: list[float]) -> None:
    """One edit per second; for each, the last moment a worker still answered the old content."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from cms.content.models import Skill
    from cms.content.session import make_sessionmaker
    from cms.core.config import Settings
    from cms.core.db import create_engine, current_content_version

    async def watch(client: httpx.AsyncClient, version: int, committed: float) -> None:
        last_old = 0.0
        while time.monotonic() - committed < 3 * INTERVAL:
            asked = time.monotonic()
            answers = await asyncio.gather(
                *(client.get(server + PATH, headers={"Connection": "close"}) for _ in range(6))
            )
            if all(int(answer.headers["x-content-version"]) >= version for answer in answers):
                break
            last_old = asked - committed  # a request sent then still got an older version
            await asyncio.sleep(0.02)
        seen.append(last_old)

    async def run() -> None:
        engine = create_engine(Settings(database_url=url, environment="test"))
        maker = make_sessionmaker(engine)
        watchers = []
        async with httpx.AsyncClient(timeout=5) as client:
            number = 0
            while not stop.is_set():
                number += 1
                started = time.monotonic()
                async with maker() as session, session.begin():
                    skill = (await session.scalars(select(Skill).limit(1))).one()
                    skill.keywords = [*skill.keywords[:2], f"edit {number}"]
                committed = time.monotonic()
                async with maker() as session:
                    version = await current_content_version(session)
                watchers.append(asyncio.ensure_future(watch(client, version, committed)))
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            await asyncio.gather(*watchers)
        await engine.dispose()

    asyncio.run(run())


def edits_under_load(postgres: str, seconds: float) -> None:
    """Part 2: two workers on PostgreSQL, 64 connections, one edit per second."""
    import asyncpg

    name = f"cms_bench_{uuid.uuid4().hex[:8]}"
    admin_url = postgres

    async def database(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        await connection.execute(sql)
        await connection.close()

    asyncio.run(database(f'CREATE DATABASE "{name}"'))
    url = f"{postgres.rpartition('/')[0]}/{name}"
    try:
        _prepare(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ENVIRONMENT": "test",
            "PYTHONPATH": str(ROOT),
            "CACHE_VERSION_CHECK_INTERVAL": str(INTERVAL),
        }
        server = Server("cms.main:create_app", env, workers=2, factory=True)
        stop, seen = threading.Event(), []  # type: ignore[var-annotated]
        writer = threading.Thread(target=_edits, args=(url, server.url, stop, seen))
        try:
            writer.start()
            figures = _wrk(server.url, seconds, 2, 64)
        finally:
            stop.set()
            writer.join()
            server.stop()
    finally:
        asyncio.run(database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"2. uvicorn, 2 workers, PostgreSQL, wrk -t2 -c64 {int(seconds)} s, one edit per second")
    print("   " + conditions(url))
    print(
        f"   {figures['RPS']:.0f} req/s  p50 {figures['P50']:.2f} ms  p99 {figures['P99']:.2f} ms "
        f"(target <= 50)  errors {figures['ERRORS'] + figures['SOCKET']:.0f} (target 0)  "
        f"stale {figures['STALE']:.0f} (target 0)"
    )
    print(
        f"   {len(seen)} edits; the last request still answered with the old content was sent "
        f"at most {max(seen):.2f} s after the commit, median {sorted(seen)[len(seen) // 2]:.2f} s "
        f"(target <= {INTERVAL:.0f} s, the check interval)"
    )


def main() -> None:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="hit rounds, each server in turn")
    parser.add_argument("--hits-only", action="store_true", help="part 1 only (no PostgreSQL)")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CMS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    hits(args.seconds, args.rounds)
    if not args.hits_only:
        edits_under_load(args.postgres, args.load_seconds)


if __name__ == "__main__":
    main()
