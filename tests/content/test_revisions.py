"""Revisions: every write through the one write path keeps the rows it changed (SQLite and
PostgreSQL), and the CV or one entry goes back to any version kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload
from sqlmodel import col

from cms.content import history, revert
from cms.content.jsonresume import export_resume, import_resume
from cms.content.models import Project, Skill, Technology, Work
from cms.content.revisions import REVISED_TABLES, prune
from cms.content.sections import SECTIONS
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.content.tracking import track
from cms.content.transfer import current_document
from cms.content.write import WriteError, reorder, set_published
from cms.core.db import current_content_version
from cms.core.models import AuditLog, Revision, utcnow


async def _seed(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session, session.begin():
        await seed_database(session, SEED_DIR)
    async with make_sessionmaker(engine)() as session:
        return await current_content_version(session)


async def _revisions(engine: AsyncEngine, version: int | None = None) -> list[Revision]:
    async with make_sessionmaker(engine)() as session:
        statement = select(Revision).order_by(col(Revision.id))
        if version is not None:
            statement = statement.where(col(Revision.version) == version)
        return list((await session.scalars(statement)).all())


async def _first_work(session: AsyncSession) -> Work:
    statement = select(Work).options(selectinload(Work.technologies)).order_by(col(Work.id))
    return (await session.scalars(statement.limit(1))).one()


async def _document(engine: AsyncEngine) -> dict[str, Any]:
    async with make_sessionmaker(engine)() as session:
        return await current_document(session)


async def test_an_import_keeps_every_row_it_creates_whole_with_who_and_version(
    engine: AsyncEngine,
) -> None:
    version = await _seed(engine)
    found = await _revisions(engine)
    assert found and {r.version for r in found} == {version}
    assert {r.username for r in found} == {"cms seed"}
    assert {r.action for r in found} == {"create"}
    tables = {r.table_name for r in found}
    assert {"basics", "work", "projects", "technologies", "work_technologies"} <= tables
    work = next(r for r in found if r.table_name == "work")
    # Whole rows, generically: every column of the table, whatever columns it gains.
    assert set(work.after or {}) == {c.name for c in REVISED_TABLES["work"].columns}
    assert work.before is None


async def test_an_edit_keeps_the_changed_columns_before_and_after_and_its_links(
    engine: AsyncEngine,
) -> None:
    await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        old_company, kept = work.company, work.technologies[0].name
        track(work, actor="owner")
        work.company = "Renamed Ltd"
        work.technologies = work.technologies[:1]
    async with make_sessionmaker(engine)() as session:
        version = await current_content_version(session)
        changes = await history.entry_history(session, SECTIONS["work"], work.id or 0)
    found = await _revisions(engine, version)
    row = next(r for r in found if r.table_name == "work")
    assert row.action == "update" and row.username == "owner"
    assert row.before == {"company": old_company, "updated_at": row.before["updated_at"]}  # type: ignore[index]
    assert row.after is not None and row.after["company"] == "Renamed Ltd"
    assert {r.action for r in found if r.table_name == "work_technologies"} == {"delete"}
    newest = changes[0]
    assert newest.version == version and newest.who == "owner"
    fields = {item.name: item for item in newest.fields}
    assert fields["company"].before == old_company and fields["company"].after == "Renamed Ltd"
    assert fields["technologies"].after == [kept]
    assert len(fields["technologies"].before) > 1


async def test_publishing_reordering_and_deleting_leave_revisions(engine: AsyncEngine) -> None:
    await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        ids = list((await session.scalars(select(col(Skill.id)).order_by(col(Skill.id)))).all())
        await set_published(session, SECTIONS["skills"], ids=ids[:2], published=False, actor="a")
    published = await _revisions(engine)
    befores = [r.before or {} for r in published if r.username == "a"]
    assert [before["is_published"] for before in befores] == [True, True]
    async with make_sessionmaker(engine)() as session, session.begin():
        await reorder(session, SECTIONS["skills"], ids=[ids[1], ids[0]], actor="b")
    assert any(
        r.username == "b" and "sort_order" in (r.after or {}) for r in await _revisions(engine)
    )
    async with make_sessionmaker(engine)() as session, session.begin():
        project = (await session.scalars(select(Project).limit(1))).one()
        track(project, actor="c")
        await session.delete(project)
    deleted = [r for r in await _revisions(engine) if r.username == "c"]
    assert {r.table_name for r in deleted} >= {"projects", "project_technologies"}
    assert all(r.action == "delete" and r.before and r.after is None for r in deleted)


async def test_a_write_that_changes_nothing_or_rolls_back_keeps_nothing(
    engine: AsyncEngine,
) -> None:
    await _seed(engine)
    before = len(await _revisions(engine))
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        track(work, actor="owner")
        work.company = work.company
    async with make_sessionmaker(engine)() as session:
        work = await _first_work(session)
        track(work, actor="owner")
        work.company = "Never saved"
        await session.flush()
        await session.rollback()
    assert len(await _revisions(engine)) == before


async def test_revert_restores_the_whole_cv_as_one_new_audited_version(
    engine: AsyncEngine,
) -> None:
    version = await _seed(engine)
    seeded = await _document(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        track(work, actor="owner")
        work.summary = "Edited"
        work.technologies = []
        await session.delete((await session.scalars(select(Project).limit(1))).one())
    async with make_sessionmaker(engine)() as session, session.begin():
        document = await export_resume(session, include_drafts=True)
        document["work"] = document["work"][:1]
        await import_resume(session, document, actor="cms import")
    assert await _document(engine) != seeded
    async with make_sessionmaker(engine)() as session, session.begin():
        changed = await revert.revert_cv(session, version=version, actor="cms revert")
    assert changed > 0
    assert await _document(engine) == seeded
    async with make_sessionmaker(engine)() as session:
        now = await current_content_version(session)
        audit = (
            await session.scalars(select(AuditLog).where(col(AuditLog.action) == "revert"))
        ).one()
    assert audit.username == "cms revert" and audit.changes["version"] == version
    assert {r.username for r in await _revisions(engine, now)} == {"cms revert"}
    # The revert is a version like any other: it can itself be undone.
    async with make_sessionmaker(engine)() as session, session.begin():
        await revert.revert_cv(session, version=now - 1, actor="owner")
    assert await _document(engine) != seeded
    async with make_sessionmaker(engine)() as session, session.begin():
        work = Work(company="After the reverts")  # ids handed out after restored ones
        session.add(work)
    assert work.id is not None


async def test_versions_outside_the_history_are_refused(engine: AsyncEngine) -> None:
    version = await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        track(work, actor="owner")
        work.company = "Next"
    async with make_sessionmaker(engine)() as session:
        with pytest.raises(revert.VersionError, match="does not exist"):
            await revert.rows_at(session, version + 5)
        assert await history.earliest_version(session) == version - 1
    old = utcnow() - dt.timedelta(days=400)
    async with engine.begin() as connection:
        await connection.execute(
            update(Revision).where(col(Revision.version) == version).values(created_at=old)
        )
        assert await connection.run_sync(lambda sync: prune(sync, 365)) > 0
    async with make_sessionmaker(engine)() as session:
        assert await history.earliest_version(session) == version
        with pytest.raises(revert.VersionError, match="older than the history"):
            await revert.rows_at(session, version - 1)


async def test_the_cv_as_of_a_version_is_rendered_without_writing(engine: AsyncEngine) -> None:
    version = await _seed(engine)
    async with make_sessionmaker(engine)() as session:
        stored = (
            await session.execute(select(Revision.id).order_by(col(Revision.id).desc()).limit(1))
        ).scalar()
    first = await revert.resume_at(engine, version)
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        track(work, actor="owner")
        work.company = "Later Ltd"
    again = await revert.resume_at(engine, version)
    assert again.body == first.body and b"Later Ltd" not in again.body
    now = await revert.resume_at(engine, version + 1)
    assert b"Later Ltd" in now.body
    async with make_sessionmaker(engine)() as session:
        assert await current_content_version(session) == version + 1
        count = await session.scalar(select(func.count()).where(col(Revision.id) > (stored or 0)))
    assert count == 1  # only the edit's own revision: rendering wrote nothing


async def test_a_deleted_entry_comes_back_from_the_trash_with_its_technologies(
    engine: AsyncEngine,
) -> None:
    await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        project = (
            await session.scalars(
                select(Project).options(selectinload(Project.technologies)).limit(1)
            )
        ).one()
        names = [tech.name for tech in project.technologies]
        only_here = Technology(name="Only In This Project")
        project.technologies.append(only_here)
        track(project, actor="owner")
        names.append(only_here.name)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.delete(await session.get(Project, project.id))
        await session.execute(  # as an import does: technologies no entry uses are deleted
            Technology.__table__.delete().where(Technology.__table__.c.name == only_here.name)  # type: ignore[attr-defined]
        )
    async with make_sessionmaker(engine)() as session:
        trash = await history.deleted_entries(session, days=30)
    assert [(i.section.name, i.entry_id, i.label) for i in trash] == [
        ("projects", project.id, project.name)
    ]
    async with make_sessionmaker(engine)() as session, session.begin():
        await revert.restore_entry(
            session,
            SECTIONS["projects"],
            entry_id=trash[0].entry_id,
            version=trash[0].version - 1,
            actor="owner",
        )
    async with make_sessionmaker(engine)() as session:
        back = await session.get(Project, project.id, options=[selectinload(Project.technologies)])
        assert back is not None and sorted(t.name for t in back.technologies) == sorted(names)
        assert await history.deleted_entries(session, days=30) == []


async def test_restoring_an_entry_refuses_what_breaks_a_rule_now(engine: AsyncEngine) -> None:
    await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        project = (await session.scalars(select(Project).order_by(col(Project.id)))).first()
        assert project is not None
        slug = project.slug
        await session.delete(project)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Project(name="Taker", slug=slug))
    async with make_sessionmaker(engine)() as session:
        (item,) = await history.deleted_entries(session, days=30)
        with pytest.raises(WriteError, match="slug"):
            await revert.restore_entry(
                session,
                SECTIONS["projects"],
                entry_id=item.entry_id,
                version=item.version - 1,
                actor="owner",
            )


async def test_an_entry_restored_to_an_earlier_version_is_audited(engine: AsyncEngine) -> None:
    version = await _seed(engine)
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        original = work.company
        track(work, actor="owner")
        work.company = "Mistake"
    async with make_sessionmaker(engine)() as session, session.begin():
        await revert.restore_entry(
            session, SECTIONS["work"], entry_id=work.id or 0, version=version, actor="owner"
        )
    async with make_sessionmaker(engine)() as session:
        assert (await _first_work(session)).company == original
        audit = (
            await session.scalars(select(AuditLog).where(col(AuditLog.action) == "restore"))
        ).one()
        assert audit.record_id == str(work.id) and audit.username == "owner"


async def test_old_revisions_are_pruned_by_writes_whole_versions_at_a_time(
    engine: AsyncEngine,
) -> None:
    version = await _seed(engine)
    old = utcnow() - dt.timedelta(days=400)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(Revision).where(col(Revision.version) == version).values(created_at=old)
        )
    async with make_sessionmaker(engine)() as session, session.begin():
        work = await _first_work(session)
        track(work, actor="owner")
        work.company = "Pruning happens now"
    left = await _revisions(engine)
    assert left and {r.version for r in left} == {version + 1}
    async with engine.begin() as connection:
        assert await connection.run_sync(lambda sync: prune(sync, 365)) == 0
