"""No N+1: a list request runs the same number of SQL statements for 2 rows as for 20."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cms.core.config import Settings
from cms.main import create_app
from tests.public.factories import add_project, add_work

TECHNOLOGIES = ["Python", "Go", "Rust", "SQL", "Docker"]


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _statements_for(
    settings: Settings, engine: AsyncEngine, path: str, expected_rows: int
) -> list[str]:
    # A fresh app each time, so both measurements start from the same (empty) caches.
    transport = httpx.ASGITransport(app=create_app(settings, engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/health")).status_code == 200  # warm the connection pool
        with count_statements(engine) as statements:
            response = await client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert len(body) == expected_rows
    assert all(item["technologies"] == TECHNOLOGIES for item in body)
    return statements


async def _add_work(session: AsyncSession, published: bool) -> None:
    await add_work(session, technologies=TECHNOLOGIES, is_published=published)


async def _add_project(session: AsyncSession, published: bool) -> None:
    await add_project(session, technologies=TECHNOLOGIES, is_published=published)


@pytest.mark.parametrize(
    ("path", "add_row"),
    [("/api/v1/experience", _add_work), ("/api/v1/projects", _add_project)],
    ids=["experience", "projects"],
)
async def test_list_statement_count_does_not_grow_with_rows(
    settings: Settings,
    engine: AsyncEngine,
    session: AsyncSession,
    path: str,
    add_row: Callable[[AsyncSession, bool], Awaitable[None]],
) -> None:
    await add_row(session, False)  # a draft, so the filter is part of what is measured
    for _ in range(2):
        await add_row(session, True)
    few = await _statements_for(settings, engine, path, expected_rows=2)

    for _ in range(18):
        await add_row(session, True)
    many = await _statements_for(settings, engine, path, expected_rows=20)

    assert len(few) == len(many), (few, many)
    # The rows, their technologies, and at most the response cache's version check.
    assert len(many) <= 3, many
