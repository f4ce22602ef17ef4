"""The media migration: tables and columns come and go, old-shaped documents are dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from cms.core.db import normalize_database_url
from cms.core.migrate import downgrade, upgrade
from tests.databases import make_settings, scratch_postgres

MEDIA = "e15ed1a5e001"  # the revision under test (the next one renames `documents`)
BEFORE = "d14a0ce5501e"


@pytest.fixture
async def empty_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, empty database of the kind under test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    async with scratch_postgres("cms_media") as url:
        yield url


def _engine(url: str) -> AsyncEngine:
    return create_async_engine(normalize_database_url(url), poolclass=NullPool)


async def _shape(engine: AsyncEngine) -> tuple[set[str], set[str], int]:
    async with engine.connect() as connection:

        def read(sync: object) -> tuple[set[str], set[str]]:
            inspector = inspect(sync)
            columns = {column["name"] for column in inspector.get_columns("projects")}
            return set(inspector.get_table_names()), columns

        tables, columns = await connection.run_sync(read)
        documents = (await connection.execute(text("SELECT count(*) FROM documents"))).scalar()
    return tables, columns, int(documents or 0)


async def test_upgrade_adds_media_and_drops_old_documents_and_downgrade_undoes_it(
    empty_url: str,
) -> None:
    await asyncio.to_thread(upgrade, make_settings(empty_url), BEFORE)
    engine = _engine(empty_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO documents (path, version, status, etag, body, media_type) "
                    "VALUES ('/api/v1/projects', 1, 200, '\"x\"', :body, 'application/json')"
                ),
                {"body": b"[]"},
            )
        await asyncio.to_thread(upgrade, make_settings(empty_url), MEDIA)
        tables, columns, documents = await _shape(engine)
        assert {"media", "media_variants"} <= tables
        assert {"image_media_id", "image_alt", "image_url"} <= columns
        assert documents == 0  # of the old shape: `cms db upgrade` renders the new ones

        await asyncio.to_thread(downgrade, make_settings(empty_url), BEFORE)
        tables, columns, _ = await _shape(engine)
        assert not {"media", "media_variants"} & tables
        assert not {"image_media_id", "image_alt"} & columns
    finally:
        await engine.dispose()
