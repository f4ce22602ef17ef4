"""``cms publish-due``: what is due, applied from the shell, in the owner's time zone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from cms.cli import app
from cms.content.models import Skill, Work
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.models import utcnow
from tests.databases import make_settings

FAR = datetime(2099, 7, 1, 8, 30, tzinfo=UTC)
T = TypeVar("T")


def _on(database_url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """``work`` on a fresh engine (the commands run their own event loop, so do the tests)."""

    async def main() -> T:
        engine = create_engine(make_settings(database_url))
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _add(database_url: str, *rows: Any) -> list[int]:
    async def add(engine: AsyncEngine) -> list[int]:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]

    return _on(database_url, add)


def _published(database_url: str, skill_id: int) -> bool:
    async def read(engine: AsyncEngine) -> bool:
        async with make_sessionmaker(engine)() as session:
            row = await session.get(Skill, skill_id)
            assert row is not None
            return row.is_published

    return _on(database_url, read)


def test_dry_run_lists_then_a_run_applies_in_the_owners_zone(
    cms: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_TIMEZONE", "Europe/Lisbon")
    due = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # 09:30 in Lisbon (summer time)
    draft, _ = _add(
        database_url,
        Skill(name="Rust", is_published=False, publish_at=due),
        Skill(name="Go", is_published=True, unpublish_at=FAR),
    )

    listed = cms.invoke(app, ["publish-due", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert f"would publish skills {draft} 'Rust' (due 2026-07-01 09:30 Europe/Lisbon)" in (
        listed.output
    )
    assert not _published(database_url, draft)

    applied = cms.invoke(app, ["publish-due"])
    assert applied.exit_code == 0, applied.output
    assert f"published skills {draft} 'Rust' (due 2026-07-01 09:30 Europe/Lisbon)" in (
        applied.output
    )
    assert "Next scheduled change: 2099-07-01 09:30 Europe/Lisbon." in applied.output
    assert _published(database_url, draft)

    nothing = cms.invoke(app, ["publish-due"])
    assert nothing.exit_code == 0 and "Nothing is due." in nothing.output


def test_a_refused_change_exits_non_zero_saying_why(cms: CliRunner, database_url: str) -> None:
    (work,) = _add(
        database_url, Work(company="Acme", is_published=False, publish_at=utcnow() - timedelta(1))
    )

    async def break_it(engine: AsyncEngine) -> None:  # a value written outside the write path
        async with engine.begin() as connection:
            await connection.execute(
                text(f"UPDATE work SET url = 'javascript:x' WHERE id = {work}")
            )

    _on(database_url, break_it)

    result = cms.invoke(app, ["publish-due"])

    assert result.exit_code == 1
    assert f"could not publish work {work} 'Acme'" in result.output
    assert "url" in result.output.lower()


def test_an_unknown_owner_time_zone_is_a_clear_message(
    cms: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNER_TIMEZONE", "Mars/Olympus_Mons")

    result = cms.invoke(app, ["publish-due"])

    assert result.exit_code == 1
    assert "OWNER_TIMEZONE" in result.output and "not an IANA time zone" in result.output
