"""Scheduled publishing: due changes are ordinary writes, applied once, in time order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Skill, Work
from cms.content.schedule import (
    SCHEDULE_ACTOR,
    publish_due,
    scheduled_changes,
    scheduled_publish_due,
)
from cms.content.session import make_sessionmaker
from cms.content.write import check
from cms.core.db import create_engine, current_content_version
from cms.core.models import AuditLog, as_utc
from tests.databases import make_settings

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


async def _add(engine: AsyncEngine, *rows: object) -> list[int]:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]  # type: ignore[attr-defined]


async def _skill(engine: AsyncEngine, skill_id: int) -> Skill:
    async with make_sessionmaker(engine)() as session:
        found = await session.get(Skill, skill_id)
        assert found is not None
        return found


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return await current_content_version(session)


async def _public_skills(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/skills")
    assert response.status_code == 200
    return [skill["name"] for skill in response.json()]


async def test_a_due_publish_is_one_audited_write_and_public_at_once(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    (draft,) = await _add(
        engine, Skill(name="Rust", is_published=False, publish_at=NOW - timedelta(seconds=1))
    )
    assert await _public_skills(client) == []
    before = await _version(engine)

    result = await publish_due(make_sessionmaker(engine), now=NOW)

    assert [(c.section.name, c.row_id, c.action) for c in result.applied] == [
        ("skills", draft, "publish")
    ]
    assert result.failed == [] and result.next_at is None
    row = await _skill(engine, draft)
    assert row.is_published and row.publish_at is None
    assert await _version(engine) == before + 1
    assert await _public_skills(client) == ["Rust"]
    async with make_sessionmaker(engine)() as session:
        (entry,) = (await session.scalars(select(AuditLog))).all()
    assert (entry.username, entry.action, entry.table_name) == (SCHEDULE_ACTOR, "update", "skills")
    assert entry.changes["is_published"] == [False, True]
    assert entry.changes["publish_at"][1] is None

    again = await publish_due(make_sessionmaker(engine), now=NOW + timedelta(minutes=1))
    assert again.applied == [] and await _version(engine) == before + 1


async def test_changes_not_due_wait_and_the_next_one_is_named(engine: AsyncEngine) -> None:
    later = NOW + timedelta(hours=2)
    (skill,) = await _add(engine, Skill(name="Go", is_published=True, unpublish_at=later))
    before = await _version(engine)

    result = await publish_due(make_sessionmaker(engine), now=NOW)

    assert result.applied == [] and result.next_at == later
    assert await _version(engine) == before
    row = await _skill(engine, skill)
    assert row.is_published and as_utc(row.unpublish_at) == later


async def test_both_times_passed_apply_in_order_and_the_later_decides(
    engine: AsyncEngine,
) -> None:
    early, late = NOW - timedelta(minutes=10), NOW - timedelta(minutes=5)
    ids = await _add(
        engine,
        # Shown for a while, then hidden again: ends a draft.
        Skill(name="Campaign", is_published=False, publish_at=early, unpublish_at=late),
        # Hidden for a while, then shown again: ends published.
        Skill(name="Paused", is_published=True, unpublish_at=early, publish_at=late),
    )

    result = await publish_due(make_sessionmaker(engine), now=NOW)

    assert [(c.row_id, c.action) for c in result.applied] == [
        (ids[0], "publish"),
        (ids[0], "unpublish"),
        (ids[1], "unpublish"),
        (ids[1], "publish"),
    ]
    campaign, paused = [await _skill(engine, skill_id) for skill_id in ids]
    assert not campaign.is_published and paused.is_published
    for row in (campaign, paused):
        assert row.publish_at is None and row.unpublish_at is None


async def test_an_entry_the_rules_refuse_is_reported_and_holds_no_other_back(
    engine: AsyncEngine,
) -> None:
    due = NOW - timedelta(seconds=30)
    bad, good = await _add(
        engine,
        Work(company="Acme", is_published=False, publish_at=due),
        Skill(name="SQL", is_published=False, publish_at=due),
    )
    async with engine.begin() as connection:  # a value written outside the write path
        await connection.execute(
            text(f"UPDATE work SET url = 'javascript:alert(1)' WHERE id = {bad}")
        )

    result = await publish_due(make_sessionmaker(engine), now=NOW)

    assert [(c.section.name, c.row_id) for c in result.applied] == [("skills", good)]
    ((refused, reason),) = result.failed
    assert (refused.section.name, refused.row_id) == ("work", bad)
    assert "url" in reason
    async with make_sessionmaker(engine)() as session:
        work = await session.get(Work, bad)
    assert work is not None and not work.is_published and work.publish_at is not None


def test_the_write_schema_keeps_utc_and_refuses_one_time_for_both() -> None:
    from cms.content.models import SkillBase

    lisbon = "2026-07-01T10:00:00+01:00"
    checked = check(SkillBase, {"name": "Python", "publish_at": lisbon})
    assert checked.model.publish_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    refused = check(SkillBase, {"name": "Python", "publish_at": lisbon, "unpublish_at": lisbon})
    assert refused.problems == {"unpublish_at": ["Unpublish at must differ from publish at."]}


async def test_the_scheduled_event_waits_for_a_change_due_within_its_lookahead(
    engine: AsyncEngine, database_url: str
) -> None:
    from cms.core.models import utcnow

    soon = utcnow() + timedelta(seconds=1)
    far = utcnow() + timedelta(hours=1)
    ids = await _add(
        engine,
        Skill(name="Soon", is_published=False, publish_at=soon),
        Skill(name="Later", is_published=False, publish_at=far),
    )
    settings = make_settings(database_url, publish_due_lookahead_seconds=5)

    result = await scheduled_publish_due(make_sessionmaker(engine), settings)

    assert [(c["id"], c["action"]) for c in result["applied"]] == [(ids[0], "publish")]
    assert result["next_at"] == far.isoformat()
    assert (await _skill(engine, ids[0])).is_published


async def test_the_dashboard_list_is_soonest_first(engine: AsyncEngine) -> None:
    ids = await _add(
        engine,
        Skill(name="B", is_published=False, publish_at=NOW + timedelta(days=2)),
        Work(company="A", is_published=True, unpublish_at=NOW + timedelta(days=1)),
    )
    async with make_sessionmaker(engine)() as session:
        coming = await scheduled_changes(session)
    assert [(c.section.name, c.row_id, c.action) for c in coming] == [
        ("work", ids[1], "unpublish"),
        ("skills", ids[0], "publish"),
    ]


# SQLite has one writer at a time: instances run on PostgreSQL.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_instances_at_once_apply_an_entry_once(
    engine: AsyncEngine, database_url: str
) -> None:
    skills = [Skill(name=f"S{n}", is_published=False, publish_at=NOW) for n in range(8)]
    await _add(engine, *skills)
    before = await _version(engine)
    others = [create_engine(make_settings(database_url)) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(publish_due(make_sessionmaker(other), now=NOW) for other in others)
        )
    finally:
        for other in others:
            await other.dispose()

    applied = sorted(c.row_id for result in results for c in result.applied)
    assert applied == sorted(skill.id for skill in skills if skill.id is not None)
    assert await _version(engine) == before + len(skills)
    async with make_sessionmaker(engine)() as session:
        audited = (await session.scalars(select(AuditLog.record_id))).all()
    assert sorted(map(int, audited)) == applied


async def test_a_backup_carries_the_schedule_and_import_reads_it_back(engine: AsyncEngine) -> None:
    from cms.content.jsonresume import parse_resume, render_resume
    from cms.content.read import load_cv

    when = datetime(2027, 7, 1, 8, 30, 15, 250000, tzinfo=UTC)
    await _add(engine, Skill(name="Rust", is_published=False, publish_at=when))
    async with make_sessionmaker(engine)() as session:
        content = await load_cv(session, include_drafts=True)
    backup = render_resume(content, include_drafts=True)
    public = render_resume(content)

    assert backup["skills"] == [
        {"name": "Rust", "published": False, "publishAt": "2027-07-01T08:30:15.250000+00:00"}
    ]
    assert public.get("skills", []) == []
    (entry,) = parse_resume(backup).sections["skills"]
    assert entry.row.publish_at == when and entry.row.unpublish_at is None
    assert entry.row.extra == {}
