"""Catching up: ``cms publish [--full]``, the serve tick and the dashboard's line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from cms.cli import app as cms_app
from cms.content.models import Skill
from cms.content.session import make_sessionmaker
from cms.core.config import Settings, get_settings
from cms.staticpub import publish_lifespan, publish_pending, static_copy_state
from cms.staticpub.folder import CURRENT
from tests.admin.conftest import admin_client, owner  # noqa: F401  (the back office's fixtures)
from tests.databases import make_settings
from tests.staticpub.conftest import seed, watching
from tests.staticpub.helpers import assert_as_the_api, folder_copy


async def test_cms_publish_publishes_what_is_pending_or_everything(
    database_url: str,
    engine: AsyncEngine,
    publish_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    client: httpx.AsyncClient,
) -> None:
    await seed(engine)  # written by an engine that does not publish
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("PUBLISH_DIR", str(publish_dir))
    get_settings.cache_clear()
    try:
        cms = CliRunner()
        first = await asyncio.to_thread(cms.invoke, cms_app, ["publish"])
        assert first.exit_code == 0, first.output
        assert "folder: content version" in first.output and "0 deleted" in first.output
        written = int(first.output.split(",")[1].split()[0])
        await assert_as_the_api(client, folder_copy(publish_dir))

        again = await asyncio.to_thread(cms.invoke, cms_app, ["publish"])
        assert "folder: up to date" in again.output, again.output
        full = await asyncio.to_thread(cms.invoke, cms_app, ["publish", "--full"])
        assert full.exit_code == 0 and f"{written} written" in full.output, full.output

        monkeypatch.delenv("PUBLISH_DIR")
        get_settings.cache_clear()
        off = await asyncio.to_thread(cms.invoke, cms_app, ["publish"])
        assert off.exit_code == 1 and "Static publishing is off" in off.output
    finally:
        get_settings.cache_clear()


async def test_the_serve_tick_retries_until_the_copy_catches_up(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    settings = make_settings(
        database_url, publish_dir=str(blocked / "site"), publish_retry_seconds=0.05
    )
    writer = await watching(settings)
    try:
        await seed(writer)
        async with make_sessionmaker(writer)() as session:
            behind, _error = await static_copy_state(session, settings)
        assert behind
        state = None
        async with publish_lifespan(writer):
            blocked.unlink()
            for _ in range(200):
                async with make_sessionmaker(writer)() as session:
                    state = await static_copy_state(session, settings)
                if state == (0, None):
                    break
                await asyncio.sleep(0.05)
        assert state == (0, None)
        assert (blocked / "site" / CURRENT / "manifest.json").is_file()
    finally:
        await writer.dispose()


@pytest.fixture
def settings(folder_settings: Settings) -> Settings:
    """The app's settings name the folder: the dashboard reports on it."""
    return folder_settings


async def test_the_dashboard_says_how_far_behind_the_copy_is(
    engine: AsyncEngine,
    folder_settings: Settings,
    folder_engine: AsyncEngine,
    admin_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    await seed(engine)  # not published: the shared engine does not publish
    async with make_sessionmaker(engine)() as session:
        session.add(Skill(name="Rust"))
        await session.commit()
    async with make_sessionmaker(engine)() as session:
        behind, _error = await static_copy_state(session, folder_settings)
    page = (await admin_client.get("/admin/")).text
    assert behind and behind > 1
    assert f"The static copy is {behind} versions behind" in page

    await publish_pending(folder_engine)
    page = (await admin_client.get("/admin/")).text
    assert "The static copy is up to date." in page
    assert json.loads((await admin_client.get("/api/v1/skills")).content)


async def test_cms_publish_fails_while_a_target_cannot_be_written(
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(engine)
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("PUBLISH_DIR", str(blocked / "site"))
    get_settings.cache_clear()
    try:
        failed = await asyncio.to_thread(CliRunner().invoke, cms_app, ["publish"])
    finally:
        get_settings.cache_clear()
    assert failed.exit_code == 1
    assert "folder: not published (NotADirectoryError" in failed.output
