"""The ETag of every public document on the seed data, recorded once: refactors keep them.

``recorded_etags.json`` maps each public path (on a fresh database with the seed loaded, its
last change at a fixed time) to the ETag the API answered with when it was recorded. Same
bytes, same ETag: a change here means a public document changed, which must be deliberate (then
record it again and say why in the commit).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import delete, update

from cms.content.publish import ensure_published
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.core.models import ContentVersion, StoredResponse
from cms.main import create_app
from tests.databases import make_settings

RECORDED = Path(__file__).with_name("recorded_etags.json")
LAST_CHANGE = datetime(2026, 1, 1, tzinfo=UTC)


async def _etags_on_fresh_seed(database_url: str, paths: list[str]) -> dict[str, str]:
    settings = make_settings(database_url)
    engine = create_engine(settings)
    try:
        await upgrade_async(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
        async with engine.begin() as connection:  # /resume's meta.lastModified: a fixed time
            await connection.execute(
                update(ContentVersion.__table__).values(updated_at=LAST_CHANGE)  # type: ignore[attr-defined]
            )
            # The seed's write rendered the documents at the real time: render them again.
            await connection.execute(delete(StoredResponse.__table__))  # type: ignore[arg-type]
        await ensure_published(engine)
        transport = httpx.ASGITransport(app=create_app(settings, engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            etags = {}
            for path in paths:
                response = await client.get(path)
                assert response.status_code == 200, path
                etags[path] = response.headers["etag"]
                # The unversioned path is the current version: the same bytes.
                current = await client.get(path.replace("/api/v1/", "/api/", 1))
                assert current.content == response.content, path
                assert current.headers["etag"] == response.headers["etag"], path
            return etags
    finally:
        await engine.dispose()


async def test_every_public_document_keeps_its_recorded_etag(tmp_path: Path) -> None:
    recorded: dict[str, str] = json.loads(RECORDED.read_text())
    etags = await _etags_on_fresh_seed(
        f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", list(recorded)
    )
    assert etags == recorded


if __name__ == "__main__":  # record again: python -m tests.public.test_recorded_etags
    import asyncio
    import tempfile

    async def _record() -> None:
        paths = list(json.loads(RECORDED.read_text()))
        with tempfile.TemporaryDirectory() as directory:
            etags = await _etags_on_fresh_seed(f"sqlite+aiosqlite:///{directory}/fresh.db", paths)
        RECORDED.write_text(json.dumps(etags, indent=2) + "\n")

    asyncio.run(_record())
