"""The database layer: URL normalisation, pooler settings, the content version and its listeners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool, QueuePool

from cms.content.images import image_url
from cms.content.models import Profile, Project, Skill
from cms.content.session import make_sessionmaker
from cms.core.config import get_settings
from cms.core.db import (
    create_engine,
    current_content_version,
    engine_settings,
    is_pooler_url,
    normalize_database_url,
    on_content_commit,
)
from cms.core.models import AdminUser, AuditLog, LoginAttempt
from tests.databases import make_settings
from tests.media.helpers import add_with_image, screenshot

NEON_POOLED = (
    "postgresql://neondb_owner:npg_Secr3t@ep-cool-darkness-a1b2c3d4-pooler.eu-central-1"
    ".aws.neon.tech/neondb?sslmode=require&channel_binding=require"
)
NEON_DIRECT = NEON_POOLED.replace("-pooler", "")


# --- URL normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example.com/cv", "postgresql+asyncpg://u:p@db.example.com/cv"),
        ("postgresql://u@127.0.0.1:5432/cv", "postgresql+asyncpg://u@127.0.0.1:5432/cv"),
        ("postgresql+psycopg2://u@h/cv", "postgresql+asyncpg://u@h/cv"),
        ("postgresql+asyncpg://u@h/cv", "postgresql+asyncpg://u@h/cv"),
        ("postgres://u@h/cv?sslmode=require", "postgresql+asyncpg://u@h/cv?ssl=require"),
        ("postgres://u@h/cv?channel_binding=require", "postgresql+asyncpg://u@h/cv"),
        (
            NEON_POOLED,
            "postgresql+asyncpg://neondb_owner:npg_Secr3t@ep-cool-darkness-a1b2c3d4-pooler"
            ".eu-central-1.aws.neon.tech/neondb?ssl=require",
        ),
        # Percent-encoded passwords stay encoded; other query options survive in order.
        (
            "postgres://u:p%40ss%2Fw@h/cv?application_name=x&sslmode=verify-full",
            "postgresql+asyncpg://u:p%40ss%2Fw@h/cv?application_name=x&ssl=verify-full",
        ),
        ("sqlite:///./cms.db", "sqlite+aiosqlite:///./cms.db"),
        ("sqlite:////tmp/cms.db", "sqlite+aiosqlite:////tmp/cms.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        # Unknown schemes are left exactly as given, query included.
        ("mysql+aiomysql://u@h/cv?sslmode=require", "mysql+aiomysql://u@h/cv?sslmode=require"),
    ],
)
def test_normalize_database_url(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_normalized_neon_url_gives_asyncpg_only_arguments_it_knows() -> None:
    url = make_url(normalize_database_url(NEON_POOLED))
    _, kwargs = url.get_dialect()().create_connect_args(url)
    assert kwargs["ssl"] == "require"
    assert "sslmode" not in kwargs
    assert "channel_binding" not in kwargs
    assert kwargs["password"] == "npg_Secr3t"


@pytest.mark.parametrize("given", ["", "cms.db", "localhost:5432/cv", "postgres:/missing-slash"])
def test_normalize_database_url_rejects_non_urls(given: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL must look like"):
        normalize_database_url(given)


# --- pooler detection and engine settings -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "pooler"),
    [
        (normalize_database_url(NEON_POOLED), True),
        (normalize_database_url(NEON_DIRECT), False),
        ("postgresql+asyncpg://u@127.0.0.1:6432/cv", False),
        ("postgresql+asyncpg://u@db.example-pooler.com/cv", False),
        ("sqlite+aiosqlite:///./cms.db", False),
    ],
)
def test_is_pooler_url(url: str, pooler: bool) -> None:
    assert is_pooler_url(url) is pooler


class _Captured(Exception):
    """Raised instead of connecting, carrying what the driver would have been given."""

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__("connection captured")
        self.params = params


async def _connect_params(engine: AsyncEngine) -> dict[str, Any]:
    """The keyword arguments ``engine`` hands asyncpg.connect(), without connecting."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _capture(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        raise _Captured(dict(params))

    try:
        with pytest.raises(_Captured) as captured:
            await engine.connect().start()  # raises in do_connect, before any connection
    finally:
        await engine.dispose()
    return captured.value.params


async def test_neon_pooler_engine_is_pgbouncer_safe() -> None:
    engine = create_engine(make_settings(NEON_POOLED, database_timeout=3.0))
    assert isinstance(engine.pool, NullPool)
    params = await _connect_params(engine)
    assert params["statement_cache_size"] == 0
    assert params["prepared_statement_cache_size"] == 0
    name_func = params["prepared_statement_name_func"]
    names = {name_func() for _ in range(100)}
    assert len(names) == 100  # unique across connections the pooler may hand out
    assert params["ssl"] == "require"
    assert params["timeout"] == 3.0
    assert "channel_binding" not in params and "sslmode" not in params


async def test_direct_engine_keeps_one_pre_pinged_connection() -> None:
    engine = create_engine(make_settings(NEON_DIRECT))
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.size() == 1
    assert engine.pool._pre_ping is True
    params = await _connect_params(engine)
    assert "statement_cache_size" not in params
    assert params["ssl"] == "require"


@pytest.mark.parametrize(("url", "forced"), [(NEON_DIRECT, True), (NEON_POOLED, False)])
async def test_database_pooler_setting_overrides_the_guess(url: str, forced: bool) -> None:
    engine = create_engine(make_settings(url, database_pooler=forced))
    assert isinstance(engine.pool, NullPool) is forced
    params = await _connect_params(engine)
    assert ("statement_cache_size" in params) is forced


# --- content version ----------------------------------------------------------------------


@pytest.fixture
def commits(engine: AsyncEngine) -> Iterator[list[int]]:
    """Records each content-commit notification on the test engine."""
    calls: list[int] = []
    unsubscribe = on_content_commit(engine, lambda: calls.append(1))
    yield calls
    unsubscribe()


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return await current_content_version(session)


async def test_migrated_database_starts_at_version_zero(engine: AsyncEngine) -> None:
    assert await _version(engine) == 0


async def test_content_write_bumps_version_once_per_transaction(
    engine: AsyncEngine, session: AsyncSession, commits: list[int]
) -> None:
    skill = Skill(name="Python")
    async with session.begin():
        session.add(skill)
        await session.flush()
        session.add(Skill(name="SQL"))
        await session.flush()
        session.add(Profile(network="GitHub", username="octocat"))
    assert await _version(engine) == 1
    assert commits == [1]

    async with session.begin():
        skill.level = 4
    assert await _version(engine) == 2

    async with session.begin():
        await session.delete(skill)
    assert await _version(engine) == 3
    assert commits == [1, 1, 1]


async def test_setting_unchanged_values_does_not_bump_version(
    engine: AsyncEngine, session: AsyncSession, commits: list[int]
) -> None:
    skill = Skill(name="Python", level=3)
    async with session.begin():
        session.add(skill)
    assert await _version(engine) == 1

    async with session.begin():
        skill.name, skill.level = "Python", 3  # dirty, but nothing to write
    assert await _version(engine) == 1
    assert commits == [1]

    async with session.begin():
        skill.level = 4
    assert await _version(engine) == 2


async def test_bulk_statements_on_content_tables_bump_version(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with session.begin():
        session.add_all([Skill(name="Go"), Skill(name="Rust")])
    assert await _version(engine) == 1

    async with session.begin():
        await session.execute(update(Skill).values(is_featured=True))
        await session.execute(update(Skill).values(level=3))
    assert await _version(engine) == 2

    async with session.begin():
        await session.execute(delete(Skill))
    assert await _version(engine) == 3


async def test_back_office_writes_do_not_bump_version(
    engine: AsyncEngine, session: AsyncSession, commits: list[int]
) -> None:
    async with session.begin():
        session.add(AdminUser(username="owner", password_hash="$argon2id$not-a-real-hash"))
        session.add(LoginAttempt(username="owner", client="127.0.0.1"))
        session.add(AuditLog(username="owner", action="create", table_name="skills"))
    async with session.begin():
        await session.execute(delete(LoginAttempt))
    assert await _version(engine) == 0
    assert commits == []


async def test_rolled_back_write_does_not_bump_or_notify(
    engine: AsyncEngine, session: AsyncSession, commits: list[int]
) -> None:
    async with session.begin():
        session.add(Skill(name="Python"))
        await session.flush()
        # Inside the transaction the bump is already visible...
        assert await current_content_version(session) == 1
        await session.rollback()
    # ...but it is undone with the write, and nobody is told.
    assert await _version(engine) == 0
    assert commits == []

    with pytest.raises(RuntimeError, match="boom"):
        async with session.begin():
            session.add(Skill(name="Python"))
            await session.flush()
            raise RuntimeError("boom")
    assert await _version(engine) == 0
    assert commits == []

    # The next transaction starts clean and bumps exactly once.
    async with session.begin():
        session.add(Skill(name="Python"))
    assert await _version(engine) == 1
    assert commits == [1]


async def test_listeners_fire_after_commit_only(
    engine: AsyncEngine, session: AsyncSession, commits: list[int]
) -> None:
    async with session.begin():
        session.add(Skill(name="Python"))
        await session.flush()
        assert commits == []  # flushed, bumped, not yet committed
        session.add(Skill(name="SQL"))
        await session.flush()
        assert commits == []
    assert commits == [1]  # one notification per committed transaction
    assert await _version(engine) == 1

    async with session.begin():
        session.add(AuditLog(username="owner", action="update", table_name="skills"))
    assert commits == [1]  # a commit without content changes tells nobody


# --- The settings an engine carries ------------------------------------------------------


async def _image_url(engine: AsyncEngine) -> str | None:
    async with make_sessionmaker(engine)() as session:
        project = await session.scalar(select(Project).where(Project.slug == "shop"))
        return image_url(project)


async def test_image_urls_follow_the_engine_that_read_the_row_never_the_process(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://process.example")
    get_settings.cache_clear()
    image = screenshot()
    async with make_sessionmaker(engine)() as session:
        await add_with_image(session, Project(name="Shop", slug="shop"), image)
    absolute = create_engine(make_settings(database_url, public_base_url="https://cms.example/"))
    bare = create_async_engine(normalize_database_url(database_url))
    try:
        relative_url = await _image_url(engine)
        absolute_url = await _image_url(absolute)
        with pytest.raises(LookupError, match="create_engine"):
            await _image_url(bare)
        with pytest.raises(LookupError, match="create_engine"):
            engine_settings(None)
    finally:
        await absolute.dispose()
        await bare.dispose()
        get_settings.cache_clear()

    assert relative_url == f"/media/{image.id}/full.webp"
    assert absolute_url == f"https://cms.example/media/{image.id}/full.webp"
