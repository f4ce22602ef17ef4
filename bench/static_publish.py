"""Static publishing: nginx on the copy vs the read path, publish latency, a bucket down.

    .venv/bin/python -m bench.static_publish [--seconds 10] [--rounds 3] [--saves 20]

1. **Reads**: ``wrk -t1 -c16`` on ``/api/v1/resume``: nginx (one process, Debian's package)
   serving the published folder with ``examples/nginx/cms-static.conf``, against the product's
   own HTTP read path (uvicorn, one worker, ``cms.main:create_app``), one after the other,
   ``--rounds`` times; the median ratio is reported. Target: ≥ 5×.
2. **Publish latency**: an admin save (in-process, as ``bench/admin_save.py``) at seed size with
   ``PUBLISH_DIR``, then with ``PUBLISH_S3_BUCKET`` on moto's S3 server (its own process): the
   save's time and the publish's own time (after the commit, inside the save), p50 of
   ``--saves``. Targets: publish p50 ≤ 200 ms to the folder, ≤ 500 ms to the S3 test server.
3. **A bucket down**: saves while nothing listens at the bucket's endpoint (owner errors
   counted), then the server starts and one retry (``publish_pending``) must catch up.
Needs ``wrk`` and ``nginx`` (Debian packages) and ``moto[server]`` (a dev dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.conditions import conditions  # noqa: E402
from bench.http_load import PATH, Server, _prepare, _wrk  # noqa: E402
from cms.admin.accounts import create_admin  # noqa: E402
from cms.content.models import Skill  # noqa: E402
from cms.content.publish import ensure_published  # noqa: E402
from cms.content.seeding import SEED_DIR, seed_database  # noqa: E402
from cms.content.session import make_sessionmaker  # noqa: E402
from cms.core.config import Settings  # noqa: E402
from cms.core.db import create_engine  # noqa: E402
from cms.core.migrate import upgrade_async  # noqa: E402
from cms.main import create_app  # noqa: E402
from cms.staticpub import outbox, static_copy_state  # noqa: E402

USERNAME, PASSWORD = "owner", "quiet ember orchard tango 1987"
SNIPPET = ROOT / "examples" / "nginx" / "cms-static.conf"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


class Nginx:
    """nginx on ``publish_dir`` in one process (no master, as uvicorn runs one worker)."""

    def __init__(self, publish_dir: Path, app_url: str) -> None:
        self.port = _port()
        prefix = Path(tempfile.mkdtemp(prefix="cms-nginx-"))
        server = (
            SNIPPET.read_text()
            .replace("/srv/cms-static", str(publish_dir))
            .replace("127.0.0.1:8000", app_url.removeprefix("http://"))
            .replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
        )
        temporary = "".join(
            f"  {kind}_temp_path {prefix}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            "daemon off;\nmaster_process off;\nerror_log stderr error;\npid nginx.pid;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n  sendfile on;\n"
            f"{temporary}{server}\n}}\n"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        )
        self.url = f"http://127.0.0.1:{self.port}"
        _wait(self.port)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _publish_folder(url: str, publish_dir: Path) -> None:
    async def publish() -> None:
        settings = Settings(database_url=url, environment="test", publish_dir=str(publish_dir))
        engine = create_engine(settings)
        await outbox.publish_pending(engine, settings)
        await engine.dispose()

    asyncio.run(publish())


def reads(seconds: float, rounds: int) -> None:
    """Part 1: nginx on the copy against the read path under uvicorn."""
    directory = Path(tempfile.mkdtemp(prefix="cms-bench-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    _prepare(url)
    publish_dir = directory / "site"
    _publish_folder(url, publish_dir)
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", "PYTHONPATH": str(ROOT)}
    cms = Server("cms.main:create_app", env, factory=True)
    nginx = Nginx(publish_dir, cms.url)
    ratios, ours, theirs = [], [], []
    try:
        same = httpx.get(nginx.url + PATH).content == httpx.get(cms.url + PATH).content
        for _ in range(rounds):
            static = _wrk(nginx.url, seconds, 1, 16, inspect=False)
            app = _wrk(cms.url, seconds, 1, 16, inspect=False)
            ratios.append(static["RPS"] / app["RPS"])
            ours.append(static)
            theirs.append(app)
    finally:
        nginx.stop()
        cms.stop()
    print(f"1. wrk -t1 -c16 {int(seconds)} s, GET {PATH}, {rounds} rounds (same bytes: {same})")
    print("   " + conditions(url))
    for name, runs in (("read path (uvicorn, 1)", theirs), ("nginx on the copy (1)", ours)):
        rps = " / ".join(f"{figures['RPS']:.0f}" for figures in runs)
        p99 = statistics.median(figures["P99"] for figures in runs)
        print(f"   {name:24} {rps} req/s  p99 (median) {p99:.2f} ms")
    listed = ", ".join(f"{ratio:.1f}x" for ratio in ratios)
    print(f"   ratio {listed}: median {statistics.median(ratios):.1f}x (target >= 5x)")


class PublishClock:
    """Seconds each ``publish_pending`` took (wrapped for the benchmark)."""

    def __init__(self) -> None:
        self.last = 0.0
        original = outbox.publish_pending

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.last = time.perf_counter() - started

        outbox.publish_pending = timed  # type: ignore[assignment]


async def _admin(settings: Settings) -> tuple[Any, Any, int]:
    engine = create_engine(settings)
    await upgrade_async(engine)
    await ensure_published(engine)
    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        await seed_database(session, SEED_DIR)
        await create_admin(session, USERNAME, PASSWORD)
    async with maker() as session:
        skill = (await session.scalars(select(Skill).limit(1))).one()
    return engine, skill, int(skill.id or 0)


async def _saves(settings: Settings, saves: int, clock: PublishClock) -> dict[str, Any]:
    engine, skill, skill_id = await _admin(settings)
    app = create_app(settings, engine)
    totals, publishes, errors = [], [], 0
    form = {
        "name": skill.name,
        "category": skill.category or "",
        "level": str(skill.level or 3),
        "level_label": skill.level_label or "",
        "years_experience": str(skill.years_experience or 1),
        "sort_order": str(skill.sort_order),
        "is_published": "y",
        "save": "Save",
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        login = await client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD})
        assert login.status_code == 302, login.text[-2000:]
        for n in range(saves):
            clock.last = 0.0
            started = time.perf_counter()
            answer = await client.post(
                f"/admin/skill/edit/{skill_id}", data=form | {"keywords": f"bench\nsave {n}"}
            )
            totals.append(time.perf_counter() - started)
            publishes.append(clock.last)
            errors += answer.status_code != 302
    async with make_sessionmaker(engine)() as session:
        behind, error = await static_copy_state(session, settings)
    await app.database.close()
    return {
        "engine": engine,
        "save": statistics.median(totals) * 1000,
        "publish": statistics.median(publishes) * 1000,
        "publish_p90": statistics.quantiles(publishes, n=10)[-1] * 1000,
        "errors": errors,
        "behind": behind,
        "error": error,
    }


def _moto(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(port)
    return process


def _bucket(endpoint: str, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)


async def latency(saves: int) -> None:
    """Parts 2 and 3: the publish after an admin save, to a folder, to S3, to S3 down."""
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    clock = PublishClock()
    directory = Path(tempfile.mkdtemp(prefix="cms-bench-"))

    def database(name: str) -> str:
        return f"sqlite+aiosqlite:///{directory / name}"

    folder = Settings(
        database_url=database("folder.db"), environment="test", publish_dir=str(directory / "site")
    )
    figures = await _saves(folder, saves, clock)
    await figures["engine"].dispose()
    print(f"2. admin save of a skill at seed size, {saves} saves, SQLite, in-process")
    print("   " + conditions(folder.database_url))
    print(
        f"   folder: save p50 {figures['save']:.1f} ms, of which publish p50 "
        f"{figures['publish']:.1f} ms (p90 {figures['publish_p90']:.1f}); owner errors "
        f"{figures['errors']}; behind after: {figures['behind']} (target publish p50 <= 200 ms)"
    )

    port = _port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = _moto(port)
    try:
        _bucket(endpoint, "cms-bench")
        s3 = Settings(
            database_url=database("s3.db"),
            environment="test",
            publish_s3_bucket="cms-bench",
            publish_s3_endpoint_url=endpoint,
        )
        figures = await _saves(s3, saves, clock)
        await figures["engine"].dispose()
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    print(
        f"   moto S3 server (own process): save p50 {figures['save']:.1f} ms, of which publish "
        f"p50 {figures['publish']:.1f} ms (p90 {figures['publish_p90']:.1f}); owner errors "
        f"{figures['errors']}; behind after: {figures['behind']} (target publish p50 <= 500 ms)"
    )

    port = _port()
    endpoint = f"http://127.0.0.1:{port}"
    down = Settings(
        database_url=database("down.db"),
        environment="test",
        publish_s3_bucket="cms-later",
        publish_s3_endpoint_url=endpoint,
    )
    down_saves = 5
    figures = await _saves(down, down_saves, clock)
    moto = _moto(port)
    try:
        _bucket(endpoint, "cms-later")
        started = time.perf_counter()
        [outcome] = await outbox.publish_pending(figures["engine"], down)
        retry = (time.perf_counter() - started) * 1000
        async with make_sessionmaker(figures["engine"])() as session:
            after, _error = await static_copy_state(session, down)
        await figures["engine"].dispose()
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    print(
        f"3. {down_saves} saves while nothing listens at the bucket's endpoint: owner errors "
        f"{figures['errors']}, save p50 {figures['save']:.1f} ms, behind {figures['behind']} "
        f"({figures['error']}); the server starts, one retry: ok={outcome.ok}, "
        f"{outcome.written} objects in {retry:.0f} ms, behind after {after} (targets 0 errors, "
        "caught up in one retry)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--skip-reads", action="store_true")
    options = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not options.skip_reads and shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install {tool}")
    if not options.skip_reads:
        reads(options.seconds, options.rounds)
    asyncio.run(latency(options.saves))


if __name__ == "__main__":
    main()
