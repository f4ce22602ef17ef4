"""Alembic migrations: the migrated schema equals the models, and ``cms db upgrade`` works."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cms.cli import app as cli
from cms.core.config import get_settings
from cms.core.db import normalize_database_url
from cms.core.migrate import downgrade, upgrade
from cms.core.models import ContentVersion
from tests.databases import make_settings, scratch_postgres

MODEL_TABLES = {table.name for table in SQLModel.metadata.sorted_tables}


@pytest.fixture
async def empty_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, empty database of the kind under test (the suite's shared one stays put)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"  # as a user would type it
        return
    async with scratch_postgres("cms_migrations") as url:
        yield url  # postgresql://, as Neon prints it


def _engine(url: str) -> AsyncEngine:
    return create_async_engine(normalize_database_url(url), poolclass=NullPool)


def _diff(connection: Connection, metadata: MetaData) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _schema_diff(url: str, metadata: MetaData = SQLModel.metadata) -> list[object]:
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff, metadata)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_head_matches_the_models(empty_url: str) -> None:
    # The synchronous entry point runs its own event loop, as `cms db upgrade` does.
    await asyncio.to_thread(upgrade, make_settings(empty_url))

    assert await _tables(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert await _schema_diff(empty_url) == []


async def test_drift_check_sees_a_column_the_migrations_lack(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, make_settings(empty_url))
    drifted = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["skills"].append_column(Column("not_migrated", Integer, nullable=True))

    differences = await _schema_diff(empty_url, drifted)

    assert [(d[0], d[2], d[3].name) for d in differences if isinstance(d, tuple)] == [
        ("add_column", "skills", "not_migrated")
    ]


async def test_upgrade_creates_the_content_version_row(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, make_settings(empty_url))
    engine = _engine(empty_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(ContentVersion.__table__))).mappings().all()  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
    assert [(row["id"], row["version"]) for row in rows] == [(1, 0)]
    assert rows[0]["updated_at"] is not None


async def test_downgrade_base_removes_everything_and_upgrade_again_works(
    empty_url: str,
) -> None:
    await asyncio.to_thread(upgrade, make_settings(empty_url))
    await asyncio.to_thread(downgrade, make_settings(empty_url), "base")
    assert await _tables(empty_url) == {"alembic_version"}

    await asyncio.to_thread(upgrade, make_settings(empty_url))
    await asyncio.to_thread(upgrade, make_settings(empty_url))  # already at head: nothing to do
    assert await _schema_diff(empty_url) == []


async def test_suite_engine_is_migrated(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff, SQLModel.metadata) == []
        revision = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    assert revision is not None


# --- the command line -----------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CLI runner whose settings are read afresh from the environment it is given."""
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cms_db_upgrade_migrates_a_sqlite_file(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")

    first = cli_env.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "Database upgraded to head." in first.output
    assert "Running upgrade" in first.output

    again = cli_env.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert "Running upgrade" not in again.output

    url = f"sqlite:///{database}"
    assert asyncio.run(_tables(url)) == MODEL_TABLES | {"alembic_version"}
    assert asyncio.run(_schema_diff(url)) == []


def test_cms_db_upgrade_reports_an_unreachable_database_clearly(
    cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://owner:s3cret-pw@127.0.0.1:1/cv")

    result = cli_env.invoke(cli, ["db", "upgrade"])

    assert result.exit_code == 1
    assert "Cannot reach the database" in result.output
    assert "Migrating postgresql+asyncpg://owner:***@127.0.0.1:1/cv" in result.output
    assert "s3cret-pw" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cms_db_upgrade_rejects_an_unknown_revision(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    result = cli_env.invoke(cli, ["db", "upgrade", "--revision", "nope"])

    assert result.exit_code == 1
    assert "Cannot migrate the database" in result.output
    assert "nope" in result.output


def test_cms_db_downgrade_reports_an_unreachable_database_clearly(
    cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://owner:s3cret-pw@127.0.0.1:1/cv")
    monkeypatch.setenv("DATABASE_TIMEOUT", "2")

    result = cli_env.invoke(cli, ["db", "downgrade", "base"])

    assert result.exit_code == 1
    assert "Cannot reach the database" in result.output
    assert "Migrating postgresql+asyncpg://owner:***@127.0.0.1:1/cv down to base" in result.output
    assert "s3cret-pw" not in result.output
    assert isinstance(result.exception, SystemExit)  # no uncaught exception


def test_cms_db_downgrade_then_upgrade_on_a_sqlite_file(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli_env.invoke(cli, ["db", "upgrade"]).exit_code == 0

    down = cli_env.invoke(cli, ["db", "downgrade", "base"])

    assert down.exit_code == 0, down.output
    assert "Running downgrade" in down.output
    assert "Database downgraded to base." in down.output
    assert asyncio.run(_tables(url)) == {"alembic_version"}
    unknown = cli_env.invoke(cli, ["db", "downgrade", "nope"])
    assert unknown.exit_code == 1
    assert "Cannot migrate the database" in unknown.output


def _query(url: str, statement: str) -> list[tuple[object, ...]]:
    async def run() -> list[tuple[object, ...]]:
        engine = _engine(url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_cms_dev_prepares_a_working_local_database(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    first = cli_env.invoke(cli, ["dev", "--no-serve", "--port", "8123"])

    assert first.exit_code == 0, first.output
    assert "Running upgrade" in first.output
    assert "Seeded from" in first.output
    assert "Dev admin created: username 'admin', password '" in first.output
    for path in ("/api/v1/resume", "/docs", "/admin", "/health"):
        assert f"http://127.0.0.1:8123{path}" in first.output
    assert asyncio.run(_schema_diff(url)) == []
    assert _query(url, "SELECT count(*) FROM admin_users") == [(1,)]
    [(name,)] = _query(url, "SELECT name FROM basics")
    assert name

    again = cli_env.invoke(cli, ["dev", "--no-serve"])

    assert again.exit_code == 0, again.output
    assert "Running upgrade" not in again.output
    assert "No changes" in again.output
    assert "Dev admin created" not in again.output  # the password is shown only once
    assert _query(url, "SELECT count(*) FROM admin_users") == [(1,)]


def test_cms_dev_keeps_the_owners_edits(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli_env.invoke(cli, ["dev", "--no-serve"]).exit_code == 0
    _query(url, "UPDATE basics SET name = 'Edited In The Admin'")

    result = cli_env.invoke(cli, ["dev", "--no-serve"])

    assert result.exit_code == 0, result.output
    assert "so it was kept" in result.output
    assert _query(url, "SELECT name FROM basics") == [("Edited In The Admin",)]


def test_cms_dev_refuses_production(
    cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "prod.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ENVIRONMENT", "prod")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-that-is-long-enough-for-production-use")

    result = cli_env.invoke(cli, ["dev", "--no-serve"])

    assert result.exit_code == 1
    assert "refuses to run with ENVIRONMENT=prod" in result.output
    assert not database.exists()  # nothing was migrated, seeded or created


async def test_pronouns_and_timezone_move_into_their_columns_and_back(empty_url: str) -> None:
    basics = text("SELECT pronouns, timezone, extra, location_extra FROM basics")
    await asyncio.to_thread(upgrade, make_settings(empty_url), "a10c0de5ec01")
    engine = _engine(empty_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO basics (name, extra, location_extra, meta, created_at, updated_at)"
                    " VALUES ('Ada', :extra, :location, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {
                    "extra": json.dumps({"pronouns": "she/her", "birthday": "1815-12-10"}),
                    "location": json.dumps({"timezone": "Europe/London"}),
                },
            )
        await asyncio.to_thread(upgrade, make_settings(empty_url))
        async with engine.connect() as connection:
            up = (await connection.execute(basics)).one()
        await asyncio.to_thread(downgrade, make_settings(empty_url), "a10c0de5ec01")
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT extra, location_extra FROM basics"))
            down = rows.one()
    finally:
        await engine.dispose()

    def as_dict(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    assert (up[0], up[1]) == ("she/her", "Europe/London")
    assert as_dict(up[2]) == {"birthday": "1815-12-10"} and as_dict(up[3]) == {}
    assert as_dict(down[0]) == {"birthday": "1815-12-10", "pronouns": "she/her"}
    assert as_dict(down[1]) == {"timezone": "Europe/London"}
