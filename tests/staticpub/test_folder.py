"""The folder target: every write's documents as files, whole versions, nothing lost."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Project
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.staticpub import publish_pending, static_copy_state
from cms.staticpub.folder import CURRENT
from tests.databases import make_settings
from tests.media.helpers import add_with_image, photo
from tests.staticpub.conftest import seed, watching
from tests.staticpub.helpers import assert_as_the_api, folder_copy, whole_cv_paths


async def _projects(engine: AsyncEngine) -> list[Project]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(Project).where(Project.is_published))).all())


async def _behind(engine: AsyncEngine, settings: Settings) -> tuple[int | None, str | None]:
    async with make_sessionmaker(engine)() as session:
        return await static_copy_state(session, settings)


async def test_a_write_publishes_every_document_as_the_api_answers(
    folder_engine: AsyncEngine,
    folder_settings: Settings,
    publish_dir: Path,
    client: httpx.AsyncClient,
) -> None:
    await seed(folder_engine)
    async with make_sessionmaker(folder_engine)() as session:
        await add_with_image(session, Project(name="Lens", slug="lens"), photo())

    copy = folder_copy(publish_dir)
    assert whole_cv_paths() <= set(copy)
    projects = await _projects(folder_engine)
    assert len(projects) > 1
    for project in projects:
        for key in (project.slug, project.id):
            assert f"/api/v1/projects/{key}" in copy and f"/api/projects/{key}" in copy
    assert {f"/media/{photo().id}/{name}.webp" for name in ("320", "640", "1280", "full")} <= set(
        copy
    )
    assert (publish_dir / CURRENT / "cv.html").is_file()
    assert (publish_dir / CURRENT / "api" / "v1" / "resume.json").is_file()
    await assert_as_the_api(client, copy)
    assert await _behind(folder_engine, folder_settings) == (0, None)


async def test_a_version_switches_whole_and_unchanged_files_are_shared(
    folder_engine: AsyncEngine, publish_dir: Path, client: httpx.AsyncClient
) -> None:
    await seed(folder_engine)
    first = (publish_dir / CURRENT).resolve()
    education = Path("api/v1/education.json")
    projects = Path("api/v1/projects.json")
    async with make_sessionmaker(folder_engine)() as session:
        project = (await session.scalars(select(Project).order_by(Project.id))).first()
        assert project is not None
        gone = [f"/api/v1/projects/{project.slug}", f"/api/projects/{project.id}"]
        project.name = "Renamed"
        await session.commit()
    second = (publish_dir / CURRENT).resolve()
    assert second != first and first.is_dir()  # the previous version stays for its readers
    assert os.path.samefile(first / education, second / education)
    assert not os.path.samefile(first / projects, second / projects)
    assert b"Renamed" in (second / projects).read_bytes()

    async with make_sessionmaker(folder_engine)() as session:
        found = await session.get(Project, project.id)
        await session.delete(found)
        await session.commit()
    third = (publish_dir / CURRENT).resolve()
    assert not first.exists() and second.is_dir()  # older versions are removed
    copy = folder_copy(publish_dir)
    assert not set(gone) & set(copy)
    await assert_as_the_api(client, copy)
    versions = json.loads((third / "manifest.json").read_text())["version"]
    assert third.name == str(versions)


async def test_a_folder_that_cannot_be_written_never_fails_the_save(
    database_url: str, engine: AsyncEngine, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    settings = make_settings(database_url, publish_dir=str(blocked / "site"))
    writer = await watching(settings)
    try:
        await seed(writer)  # the save succeeds
        assert (await client.get("/api/v1/resume")).json()["basics"]["name"]
        behind, error = await _behind(writer, settings)
        assert behind and behind >= 1
        assert error and "NotADirectoryError" in error

        blocked.unlink()
        [outcome] = await publish_pending(writer)
        assert outcome.ok and not outcome.skipped
        assert await _behind(writer, settings) == (0, None)
        await assert_as_the_api(client, folder_copy(blocked / "site"))
    finally:
        await writer.dispose()


async def test_one_publisher_at_a_time_holds_a_target(
    engine: AsyncEngine, folder_settings: Settings, publish_dir: Path, client: httpx.AsyncClient
) -> None:
    await seed(engine)  # written by an engine that does not publish: pending
    outcomes = await asyncio.gather(
        publish_pending(engine, folder_settings), publish_pending(engine, folder_settings)
    )
    done = sorted((outcome.skipped, outcome.ok) for [outcome] in outcomes)
    assert done == [(False, True), (True, True)]  # one published, the other found it held
    await assert_as_the_api(client, folder_copy(publish_dir))
    assert await _behind(engine, folder_settings) == (0, None)


async def test_a_version_without_stored_responses_never_wipes_the_copy(
    folder_engine: AsyncEngine, folder_settings: Settings, publish_dir: Path
) -> None:
    await seed(folder_engine)
    before = folder_copy(publish_dir)
    async with folder_engine.begin() as connection:  # as a migration that drops the set does
        await connection.execute(text("DELETE FROM stored_responses"))
        await connection.execute(text("UPDATE content_version SET version = version + 1"))
    [outcome] = await publish_pending(folder_engine)
    assert not outcome.ok and outcome.error and "no public responses stored" in outcome.error
    assert folder_copy(publish_dir) == before
    behind, _error = await _behind(folder_engine, folder_settings)
    assert behind == 1
