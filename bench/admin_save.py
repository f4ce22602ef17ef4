"""Admin save latency, the public documents' renders included.

    .venv/bin/python -m bench.admin_save [--saves 30] [--database-url URL] [--entries 2000]

Logs in to the back office in-process (httpx over ASGI, the whole app as uvicorn serves it) and
saves a skill through its edit form ``--saves`` times, each save changing its keywords, so every
save writes, moves the content version and renders the documents it affects inside its
transaction. Then adds ``--entries`` work entries and saves a work entry (whose documents are then
large) again. Prints p50 and p90 of each, and how much of a save the renders took.
Targets: p50 ≤ 150 ms at seed size; ≤ 1.5 s with 2,000 work entries.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from cms.admin.accounts import create_admin
from cms.content import publish
from cms.content.models import Skill, Work
from cms.content.publish import ensure_published
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.main import create_app

USERNAME, PASSWORD = "bench", "quartz lantern meadow 47 velvet harbour"


class RenderClock:
    """Seconds spent in ``publish.render`` (wrapped for the benchmark)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._render = publish.render

        async def timed(*args: Any, **kwargs: Any) -> publish.Rendered:
            started = time.perf_counter()
            try:
                return await self._render(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        publish.render = timed  # type: ignore[assignment]


async def _saves(
    client: httpx.AsyncClient, url: str, forms: list[dict[str, str]], clock: RenderClock
) -> tuple[list[float], list[float]]:
    totals, renders = [], []
    for form in forms:
        clock.seconds = 0.0
        started = time.perf_counter()
        response = await client.post(url, data=form)
        totals.append(time.perf_counter() - started)
        renders.append(clock.seconds)
        assert response.status_code == 302, response.text[-2000:]
    return totals, renders


def _report(name: str, totals: list[float], renders: list[float], target: float) -> None:
    p50 = statistics.median(totals) * 1000
    p90 = statistics.quantiles(totals, n=10)[-1] * 1000
    render = statistics.median(renders) * 1000
    print(
        f"{name:34} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  renders (p50) {render:6.1f} ms  "
        f"target p50 <= {target:.0f} ms"
    )


async def main(saves: int, database_url: str | None, entries: int) -> None:
    """Run the benchmark and print a report."""
    if not database_url:
        database_url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = Settings(database_url=database_url, environment="test")
    engine = create_engine(settings)
    await upgrade_async(engine)
    await ensure_published(engine)
    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        await seed_database(session, SEED_DIR)
        await create_admin(session, USERNAME, PASSWORD)
    async with maker() as session:
        skill = (await session.scalars(select(Skill).limit(1))).one()
        work = (await session.scalars(select(Work).limit(1))).one()
    app = create_app(settings, engine)
    clock = RenderClock()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        login = await client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD})
        assert login.status_code == 302, login.text[-2000:]
        skill_form = {
            "name": skill.name,
            "category": skill.category or "",
            "level": str(skill.level or 3),
            "level_label": skill.level_label or "",
            "years_experience": str(skill.years_experience or 1),
            "sort_order": str(skill.sort_order),
            "is_published": "y",
            "save": "Save",
        }
        forms = [skill_form | {"keywords": f"bench\nsave {n}"} for n in range(saves)]
        totals, renders = await _saves(client, f"/admin/skill/edit/{skill.id}", forms, clock)
        _report("save a skill, seed size", totals, renders, 150)

        async with maker() as session, session.begin():
            session.add_all(
                Work(company=f"Company {n}", position="Engineer", summary="Built things. " * 20)
                for n in range(entries)
            )
        work_form = {
            "company": work.company,
            "position": work.position or "",
            "start_date": "2020-01",
            "start_precision": "month",
            "end_date": "",
            "end_precision": "day",
            "sort_order": str(work.sort_order),
            "is_published": "y",
            "save": "Save",
        }
        forms = [work_form | {"summary": f"Save {n}."} for n in range(max(5, saves // 3))]
        totals, renders = await _saves(client, f"/admin/work/edit/{work.id}", forms, clock)
        _report(f"save a work entry, {entries} more", totals, renders, 1500)
    await app.database.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.saves, args.database_url, args.entries))
