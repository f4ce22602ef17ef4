"""Reverting the whole CV, and what revisions cost to store.

    .venv/bin/python -m bench.revert [--rounds 5] [--entries 2000] [--database-url URL]

On a fresh database (a temporary SQLite file, or the database of ``--database-url``, whose
tables are dropped first), seeded with the sample CV:

* **seed size**: an edit (one job's summary and technologies, one project deleted), then
  ``cms revert`` of it (the backup, the rows as of the version, the new version with its
  public documents rendered and its revisions stored), ``--rounds`` times;
* **with ``--entries`` more work entries** (added in one write): the same edit and revert; then
  a revert past the entries (deleting them all) and back (restoring them all);
* the **baseline** of each size: one ordinary write through the same path (a job's summary),
  measured in the same run, so the ratio says what a revert costs over a save.

Then the revisions' size: for an edited row, a created and a deleted one, the bytes a revision
holds (its JSON plus its other columns) against the changed row's own size (its JSON; on
PostgreSQL also ``pg_column_size`` of both rows). Prints medians, never best runs.
Targets: revert ≤ 1 s at seed size, ≤ 5 s with 2,000 more entries; storage ≤ 2× the row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import selectinload
from sqlmodel import SQLModel, col

from bench.conditions import conditions
from cms.content.models import Project, Work
from cms.content.publish import ensure_published
from cms.content.revert import revert_with_backup
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.content.tracking import track
from cms.core.config import Settings
from cms.core.db import create_engine, current_content_version
from cms.core.migrate import upgrade_async
from cms.core.models import Revision

_METADATA_BYTES = 3 * 8  # id, version, created_at: three 8-byte values besides the texts


async def _fresh(url: str) -> AsyncEngine:
    engine = create_engine(Settings(environment="test", database_url=url))
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await upgrade_async(engine)
    await ensure_published(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        await seed_database(session, SEED_DIR)
    return engine


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return await current_content_version(session)


async def _edit(engine: AsyncEngine, n: int) -> None:
    """One job's summary and technologies, one project deleted: one write."""
    async with make_sessionmaker(engine)() as session, session.begin():
        statement = select(Work).options(selectinload(Work.technologies)).order_by(col(Work.id))
        work = (await session.scalars(statement.limit(1))).one()
        track(work, actor="bench")
        work.summary = f"Edited {n}"
        work.technologies = work.technologies[1:]
        project = (await session.scalars(select(Project).limit(1))).first()
        if project is not None:
            await session.delete(project)


async def _save(engine: AsyncEngine, n: int) -> None:
    """The baseline: one ordinary write of one field."""
    async with make_sessionmaker(engine)() as session, session.begin():
        work = (await session.scalars(select(Work).order_by(col(Work.id)).limit(1))).one()
        track(work, actor="bench")
        work.summary = f"Saved {n}"


async def _revert(engine: AsyncEngine, version: int, backups: Path) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        await revert_with_backup(
            session, version=version, backup_dir=backups, keep=5, actor="cms revert"
        )


async def _timed(work: Awaitable[None]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def _rounds(
    engine: AsyncEngine, rounds: int, backups: Path
) -> tuple[list[float], list[float]]:
    """Median material: ``rounds`` reverts of an edit, and as many baseline saves."""
    reverts, saves = [], []
    for n in range(rounds):
        target = await _version(engine)
        await _edit(engine, n)
        reverts.append(await _timed(_revert(engine, target, backups)))
        saves.append(await _timed(_save(engine, n)))
    return reverts, saves


def _line(label: str, reverts: list[float], saves: list[float]) -> str:
    revert, save = statistics.median(reverts), statistics.median(saves)
    return (
        f"{label}: revert median {revert * 1000:.0f} ms (max {max(reverts) * 1000:.0f} ms, "
        f"{len(reverts)} rounds); a one-field save {save * 1000:.0f} ms; ratio {revert / save:.1f}×"
    )


async def _add_entries(engine: AsyncEngine, entries: int) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add_all(
            Work(company=f"Company {n}", position="Engineer", summary="Work " * 40)
            for n in range(entries)
        )


def _revision_bytes(revision: Revision) -> int:
    texts = [revision.table_name, revision.row_key, revision.action, revision.username]
    images = [json.dumps(image) for image in (revision.before, revision.after) if image]
    return sum(len(part.encode()) for part in (*texts, *images)) + _METADATA_BYTES


async def _storage(engine: AsyncEngine) -> list[str]:
    """Revision bytes against the changed row's bytes: an edit, a create, a delete."""
    lines = []
    async with make_sessionmaker(engine)() as session, session.begin():
        work = Work(company="Storage Ltd", position="Engineer", summary="Measured " * 30)
        track(work, actor="bench")
        session.add(work)
    async with make_sessionmaker(engine)() as session, session.begin():
        edited = await session.get(Work, work.id)
        assert edited is not None
        track(edited, actor="bench")
        edited.summary = "Measured again " * 30
    async with make_sessionmaker(engine)() as session, session.begin():
        doomed = await session.get(Work, work.id)
        track(doomed, actor="bench")
        await session.delete(doomed)
    async with make_sessionmaker(engine)() as session:
        statement = select(Revision).where(
            col(Revision.table_name) == "work", col(Revision.row_key) == str(work.id)
        )
        found = {r.action: r for r in (await session.scalars(statement)).all()}
    for action in ("create", "update", "delete"):
        revision = found[action]
        whole = revision.after if action == "create" else revision.before
        if action == "update":
            assert found["create"].after is not None
            whole = found["create"].after | (revision.after or {})
        row_bytes = len(json.dumps(whole).encode())
        held = _revision_bytes(revision)
        lines.append(
            f"revision of a work row ({action}): {held} bytes for a {row_bytes}-byte row "
            f"({held / row_bytes:.2f}×)"
        )
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            sizes = (
                await connection.execute(
                    text(
                        "SELECT avg(pg_column_size(r.*)) FROM revisions r "
                        "WHERE table_name = 'work' AND action = 'update'"
                    )
                )
            ).scalar()
            rows = await connection.execute(text("SELECT avg(pg_column_size(w.*)) FROM work w"))
            lines.append(
                f"PostgreSQL pg_column_size: an update revision {float(sizes or 0):.0f} bytes, "
                f"a work row {float(rows.scalar() or 0):.0f} bytes on average"
            )
    return lines


async def main(rounds: int, entries: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        backups = Path(scratch) / "backups"
        engine = await _fresh(url)
        try:
            print(conditions(url))
            seed_reverts, seed_saves = await _rounds(engine, rounds, backups)
            print(_line("seed size", seed_reverts, seed_saves))
            before_entries = await _version(engine)
            await _add_entries(engine, entries)
            with_entries = await _version(engine)
            big_reverts, big_saves = await _rounds(engine, rounds, backups)
            print(_line(f"+{entries} work entries", big_reverts, big_saves))
            past, back = [], []
            for _ in range(max(1, rounds // 2)):
                past.append(await _timed(_revert(engine, before_entries, backups)))
                back.append(await _timed(_revert(engine, with_entries, backups)))
            print(
                f"+{entries} work entries: revert past them (deleting {entries}) median "
                f"{statistics.median(past) * 1000:.0f} ms, and back (restoring {entries}) "
                f"median {statistics.median(back) * 1000:.0f} ms"
            )
            for line in await _storage(engine):
                print(line)
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--database-url", help="a database whose tables this may drop")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.entries, arguments.database_url))
