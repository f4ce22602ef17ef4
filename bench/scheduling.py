"""How soon a scheduled entry is public after its time, on Lambda and under ``cms serve``.

    .venv/bin/python -m bench.scheduling [--database-url URL] [--minutes 3] [--entries 8]
                                         [--part lambda|serve|both]

Both parts put draft skills with a ``publish_at`` on a migrated, seeded database and watch a
**separate** ``cms serve`` process's public API (``GET /api/v1/skills``, every 0.1 s) for each
one, the way a visitor would: the delay is the time it first appears minus its ``publish_at``.

- **lambda**: the function is this process: an app built as the Lambda builds it, wrapped by
  ``lambda_handler.make_handler`` and invoked with EventBridge's real "Scheduled Event" JSON
  at the start of every minute (``rate(1 minute)``, simulated on the wall clock). The watching
  server runs no tick of its own (``PUBLISH_DUE_POLL_SECONDS=0``), as another instance, and sees
  the new content version within ``CACHE_VERSION_CHECK_INTERVAL`` (5 s). Entries fall at random
  times over ``--minutes``, plus one just after each lookahead window (the worst case).
  Target: every delay ≤ 60 s.
- **serve**: ``cms serve`` with its defaults (tick every 30 s) applies the changes itself;
  this process writes the entries, so the server hears of them only by looking.
  Half the entries are written more than one interval ahead of their time (a regular turn
  learns of them, then the tick wakes at their time), half 1 s ahead of it (the worst case: the
  tick learns of them at its next regular turn). Target: every delay ≤ 31 s.

Baseline, measured in the same run: an ordinary publish (the entry's row written now) and the
time until the same watcher sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

from bench.conditions import conditions
from cms.content.models import Skill
from cms.content.publish import ensure_published
from cms.content.sections import SECTIONS
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.content.write import set_published
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "tests" / "aws" / "events" / "scheduled_event.json"
# What Powertools reads of Lambda's context object.
CONTEXT = SimpleNamespace(
    function_name="portfolio-cms",
    function_version="$LATEST",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:portfolio-cms",
    aws_request_id="bench",
)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _prepare(url: str) -> None:
    engine = create_engine(Settings(environment="test", database_url=url))
    try:
        await upgrade_async(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        await ensure_published(engine)
    finally:
        await engine.dispose()


async def _schedule(url: str, entries: dict[str, datetime]) -> None:
    engine = create_engine(Settings(environment="test", database_url=url))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add_all(
                Skill(name=name, is_published=False, publish_at=when, sort_order=900)
                for name, when in entries.items()
            )
    finally:
        await engine.dispose()


async def _publish_now(url: str, name: str) -> float:
    """The baseline: an ordinary publish of a draft (the admin's Publish); when it committed."""
    engine = create_engine(Settings(environment="test", database_url=url))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            draft = Skill(name=name, is_published=False, sort_order=900)
            session.add(draft)
        assert draft.id is not None
        async with make_sessionmaker(engine)() as session, session.begin():
            await set_published(
                session, SECTIONS["skills"], ids=[draft.id], published=True, actor="bench"
            )
        return time.time()
    finally:
        await engine.dispose()


@contextmanager
def _server(url: str, **environment: str) -> Iterator[str]:
    """``cms serve`` in a process of its own; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", **environment}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "cms"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("cms serve did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


class Watcher(threading.Thread):
    """Polls the public skills and notes when each awaited name first appears."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=5) as client:
            while not self.stop.is_set():
                try:
                    names = [skill["name"] for skill in client.get("/api/v1/skills").json()]
                except (httpx.HTTPError, ValueError):
                    names = []
                now = time.time()
                for name in names:
                    self.seen.setdefault(name, now)
                time.sleep(0.1)

    def wait_for(self, names: list[str], timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and not all(name in self.seen for name in names):
            time.sleep(0.1)


def _delays(watcher: Watcher, entries: dict[str, datetime]) -> list[float]:
    return [
        watcher.seen[name] - when.timestamp() if name in watcher.seen else float("inf")
        for name, when in entries.items()
    ]


def _report(label: str, delays: list[float], target: float, baseline: float) -> None:
    print(
        f"{label:44} n={len(delays):2}  median {statistics.median(delays):5.1f} s  "
        f"max {max(delays):5.1f} s  (target max <= {target:.0f} s)  "
        f"baseline (ordinary publish seen) {baseline:4.1f} s: max/baseline "
        f"{max(delays) / max(baseline, 0.001):.1f}x"
    )


def _baseline(url: str, watcher: Watcher, name: str) -> float:
    committed = asyncio.run(_publish_now(url, name))
    watcher.wait_for([name], 30)
    return watcher.seen.get(name, float("inf")) - committed


def bench_lambda(url: str, minutes: int, entries: int) -> None:
    os.environ.update(DATABASE_URL=url, ENVIRONMENT="test", POWERTOOLS_METRICS_NAMESPACE="Bench")
    import lambda_handler
    from cms.main import create_app

    settings = Settings(
        environment="test", database_url=url, publish_due_poll_seconds=0, build_hook_poll_seconds=0
    )
    handler = lambda_handler.make_handler(create_app(settings))
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    rng = random.Random(22)
    lookahead = settings.publish_due_lookahead_seconds
    with _server(url, PUBLISH_DUE_POLL_SECONDS="0", BUILD_HOOK_POLL_SECONDS="0") as base:
        watcher = Watcher(base)
        watcher.start()
        baseline = _baseline(url, watcher, "Lambda baseline")
        start = time.time() + 5
        times = [start + rng.uniform(1, minutes * 60 - 1) for _ in range(entries)]
        times += [start + 60 * k + lookahead + 0.5 for k in range(minutes)]  # just out of reach
        scheduled = {
            f"Lambda {n}": datetime.fromtimestamp(t, UTC) for n, t in enumerate(sorted(times))
        }
        asyncio.run(_schedule(url, scheduled))
        for minute in range(minutes + 1):
            time.sleep(max(0.0, start + 60 * minute - time.time()))
            result = handler({**event, "time": datetime.now(UTC).isoformat()}, CONTEXT)
            applied = len(result["publish_due"]["applied"])
            print(f"  scheduled event {minute}: {applied} applied", flush=True)
        watcher.wait_for(list(scheduled), 15)
        watcher.stop.set()
    _report("Lambda, rate(1 minute), other instance", _delays(watcher, scheduled), 60, baseline)


def bench_serve(url: str, entries: int) -> None:
    rng = random.Random(31)
    with _server(url, BUILD_HOOK_POLL_SECONDS="0") as base:
        watcher = Watcher(base)
        watcher.start()
        baseline = _baseline(url, watcher, "Serve baseline")
        # More than one interval ahead: a regular tick learns of them and wakes at their time.
        ahead = {
            f"Serve ahead {n}": datetime.now(UTC) + timedelta(seconds=rng.uniform(35, 70))
            for n in range(entries // 2)
        }
        asyncio.run(_schedule(url, ahead))
        late: dict[str, datetime] = {}
        for n in range(entries - entries // 2):
            time.sleep(rng.uniform(3, 12))
            when = datetime.now(UTC) + timedelta(seconds=1)
            asyncio.run(_schedule(url, {f"Serve late {n}": when}))
            late[f"Serve late {n}"] = when
        watcher.wait_for([*ahead, *late], 80)
        watcher.stop.set()
    _report("cms serve, scheduled > 30 s ahead", _delays(watcher, ahead), 31, baseline)
    _report("cms serve, scheduled 1 s ahead (worst)", _delays(watcher, late), 31, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--minutes", type=int, default=3, help="scheduled events on Lambda")
    parser.add_argument("--entries", type=int, default=8, help="random entries per part")
    parser.add_argument("--part", choices=("lambda", "serve", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'cms.db'}"
        asyncio.run(_prepare(url))
        print(conditions(url))
        if args.part in {"serve", "both"}:
            bench_serve(url, args.entries)
        if args.part in {"lambda", "both"}:
            bench_lambda(url, args.minutes, args.entries)


if __name__ == "__main__":
    main()
