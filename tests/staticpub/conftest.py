"""Engines whose writes publish static copies (a folder, a bucket on moto's S3 server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.staticpub import watch_commits
from tests.databases import make_settings
from tests.media.conftest import s3, s3_endpoint  # noqa: F401  (the moto server fixtures)


@pytest.fixture
def publish_dir(tmp_path: Path) -> Path:
    """The folder the static copy goes to."""
    return tmp_path / "site"


@pytest.fixture
def folder_settings(database_url: str, publish_dir: Path) -> Settings:
    """Settings publishing to ``publish_dir``."""
    return make_settings(database_url, publish_dir=str(publish_dir))


async def watching(settings: Settings) -> AsyncEngine:
    """An engine on the database under test whose commits publish (as the app's do)."""
    engine = create_engine(settings)
    watch_commits(engine)
    return engine


@pytest.fixture
async def folder_engine(
    folder_settings: Settings, engine: AsyncEngine
) -> AsyncIterator[AsyncEngine]:
    """Writes through this engine publish to ``publish_dir``."""
    folder_engine = await watching(folder_settings)
    yield folder_engine
    await folder_engine.dispose()


async def seed(engine: AsyncEngine) -> None:
    """The sample CV, written (and so published) through ``engine``."""
    async with make_sessionmaker(engine)() as session:
        await seed_database(session, SEED_DIR)
        await session.commit()
