"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from ``CMS_TEST_POSTGRES_URL`` (default: the local server on 127.0.0.1:5432
as user ``postgres``). The suite creates its own database and drops it at the end. Without a
server the PostgreSQL half skips with a message, unless ``CMS_REQUIRE_POSTGRES=1`` (set by CI),
which turns a missing server into a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from cms.content.publish import ensure_published
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.core.models import ContentVersion
from cms.main import create_app
from cms.public.readpath import ReadPath
from tests.databases import (
    BACKENDS,
    POSTGRES_ADMIN_URL,
    REQUIRE_POSTGRES,
    make_settings,
    scratch_postgres,
)


async def _postgres_available() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


@pytest.fixture(scope="session")
async def postgresql_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    problem = await _postgres_available()
    if problem:
        message = (
            f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({problem}); start a server or "
            "set CMS_TEST_POSTGRES_URL=postgresql://user@host:port/db to run the PostgreSQL tests"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    async with scratch_postgres("cms_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this test session."""
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'cms.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of the database under test (parametrised: SQLite, PostgreSQL)."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated, empty schema."""
    engine = create_engine(make_settings(database_url))
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    # The schema comes from the migrations, as in production (they insert content_version).
    await upgrade_async(engine)
    await ensure_published(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after each database test."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    async with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(delete(table))
        await connection.execute(insert(ContentVersion.__table__).values(id=1, version=0))
    await ensure_published(engine)


@pytest.fixture
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the database under test (backups go to a folder of their own)."""
    return make_settings(database_url, backup_dir=str(tmp_path_factory.mktemp("backups")))


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data."""
    async with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[ReadPath]:
    """The application on the database under test."""
    app = create_app(settings, engine)
    yield app
    await app.database.close()  # the read path's own connection (the engine is shared)


@pytest.fixture
async def client(app: ReadPath) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
