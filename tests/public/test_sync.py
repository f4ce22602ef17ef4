"""``PUT /api/v1/resume``: its body capped before it is read, and ``If-Match`` held atomically."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.core.models import ContentVersion
from cms.core.tokens import create_token
from cms.public.readpath import ReadPath

RESUME = "/api/v1/resume"
CHUNK = 64 * 1024


async def _write_token(engine: AsyncEngine) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name="ci", scope="write-resume", expires_in_days=None, actor="owner"
        )
    return token


async def _version(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(ContentVersion.version)) or 0)


def _cv(company: str) -> bytes:
    work = [{"name": company, "position": "Engineer", "startDate": "2020"}]
    return json.dumps({"basics": {"name": "Ada Lovelace"}, "work": work}).encode()


@pytest.fixture
def backups(app: ReadPath, tmp_path: Path) -> Path:
    """Backups of the replaced CV go to a scratch directory."""
    app.state.settings.backup_dir = str(tmp_path)
    return tmp_path


async def test_a_put_over_resume_max_bytes_is_a_413_before_it_is_read(
    client: httpx.AsyncClient, engine: AsyncEngine, app: ReadPath
) -> None:
    limit = app.state.settings.resume_max_bytes
    bearer = {"Authorization": f"Bearer {await _write_token(engine)}"}
    version = await _version(engine)
    pulled = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(2 * limit // CHUNK):
            pulled += 1
            yield b" " * CHUNK

    declared = await client.put(RESUME, content=b" " * (limit + 1), headers=bearer)
    streamed = await client.put(RESUME, content=stream(), headers=bearer)

    for response in (declared, streamed):
        assert response.status_code == 413
        body = response.json()
        assert set(body) == {"error", "status_code", "timestamp"}
        assert body["status_code"] == 413
        assert "at most 5,242,880 bytes" in body["error"]
        assert response.headers["connection"] == "close"
    assert pulled <= limit // CHUNK + 1
    assert await _version(engine) == version


@pytest.mark.parametrize("writers", [2, 4])
async def test_concurrent_puts_with_one_etag_give_one_200_and_412s(
    client: httpx.AsyncClient, engine: AsyncEngine, backups: Path, writers: int
) -> None:
    token = await _write_token(engine)
    etag = (await client.get(RESUME)).headers["etag"]
    version = await _version(engine)
    headers = {"Authorization": f"Bearer {token}", "If-Match": etag}
    companies = [f"Writer {n}" for n in range(writers)]

    responses = await asyncio.gather(
        *(client.put(RESUME, content=_cv(company), headers=headers) for company in companies)
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * (writers - 1), [r.text for r in responses]
    (winner,) = [c for c, r in zip(companies, responses, strict=True) if r.status_code == 200]
    assert await _version(engine) == version + 1
    async with make_sessionmaker(engine)() as session:
        assert (await session.scalars(select(col(Work.company)))).all() == [winner]
    published = (await client.get(RESUME)).json()
    assert [entry["name"] for entry in published["work"]] == [winner]
