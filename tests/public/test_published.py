"""Documents rendered on write: every write stores the new version's set, atomically."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content import publish
from cms.content.models import Skill, Work
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.models import ContentVersion, StoredResponse
from tests.databases import make_settings
from tests.public.cache_helpers import AppFactory, FakeClock, add_skill, cache_of, count_reads

SKILLS = "/api/v1/skills"
EXPERIENCE = "/api/v1/experience"


async def _stored(engine: AsyncEngine) -> dict[int, dict[str, str]]:
    """Stored documents: version → path → etag."""
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(StoredResponse))).scalars().all()
    found: dict[int, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.version, {})[row.path] = row.etag
    return found


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(ContentVersion.version)) or 0)


async def test_a_migrated_database_holds_every_document(engine: AsyncEngine) -> None:
    stored = await _stored(engine)

    assert list(stored) == [0]
    assert set(stored[0]) == {document.path for document in publish.PUBLISHED}


async def test_a_write_stores_its_version_and_keeps_the_previous_one(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, _ = await make_app(engine)
    await add_skill(app, "Python")
    first = await _version(engine)
    await add_skill(app, "Go")
    second = await _version(engine)
    await add_skill(app, "Rust")
    third = await _version(engine)
    stored = await _stored(engine)

    assert sorted(stored) == [second, third], "the previous version stays, older ones go"
    assert set(stored[third]) == {document.path for document in publish.PUBLISHED}
    assert stored[third][SKILLS] != stored[second][SKILLS]
    assert stored[third][EXPERIENCE] == stored[second][EXPERIENCE], "carried over, unchanged"
    assert first < second < third


async def test_a_write_whose_rendering_fails_leaves_everything_as_it_was(
    engine: AsyncEngine, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Python")
    before = await client.get(SKILLS)
    version, stored = await _version(engine), await _stored(engine)

    async def broken(*_args: Any) -> publish.Rendered:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(publish, "render", broken)
    with pytest.raises(RuntimeError, match="rendering failed"):
        await add_skill(app, "Go")
    monkeypatch.undo()

    async with make_sessionmaker(engine)() as session:
        skills = await session.scalar(select(func.count()).select_from(Skill))
    assert (await _version(engine), await _stored(engine), skills) == (version, stored, 1)
    after = await client.get(SKILLS)
    assert after.content == before.content


async def test_a_write_in_another_instance_is_served_within_the_bound(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    other = create_engine(make_settings(engine.url.render_as_string(hide_password=False)))
    try:
        writer, _ = await make_app(other)
        app, client = await make_app(engine, clock, cache_version_check_interval=5)
        await add_skill(writer, "Python")
        before = await client.get(SKILLS)
        await add_skill(writer, "Go")
        inside = await client.get(SKILLS)
        clock.advance(5)
        with count_reads(app) as reads:
            after = await client.get(SKILLS)
    finally:
        await other.dispose()

    assert inside.content == before.content, "trusted for one interval"
    assert sorted(s["name"] for s in after.json()) == ["Go", "Python"]
    assert after.headers["x-cache"] == "MISS"
    assert len(reads) == 2, "one version check, one load of the new set; nothing rendered"


async def test_a_version_check_overlapping_a_local_commit_is_not_trusted(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    clock = FakeClock()
    app, client = await make_app(engine, clock, cache_version_check_interval=3600)
    cache = cache_of(app)
    await client.get(SKILLS)
    database: Any = app.database
    fetch = database._fetch

    async def commit_lands_after_the_read(sql: str, *args: Any) -> list[Any]:
        rows = list(await fetch(sql, *args))
        if "content_version" in sql:
            cache.invalidate()  # what the commit listener does for a write on this engine
        return rows

    cache.invalidate()
    database._fetch = commit_lands_after_the_read
    try:
        await client.get(SKILLS)
    finally:
        database._fetch = fetch
    checks = cache.version_checks
    await client.get(SKILLS)

    assert cache.version_checks == checks + 1, "the version read before the commit is rechecked"


async def test_drafts_are_never_in_a_document(engine: AsyncEngine) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Work(company="Secret Corp", position="Founder", is_published=False))
    async with make_sessionmaker(engine)() as session:
        bodies = (
            await session.scalars(
                select(col(StoredResponse.body)).where(col(StoredResponse.version) > 0)
            )
        ).all()

    assert bodies and not any(b"Secret Corp" in body for body in bodies)
