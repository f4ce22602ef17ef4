"""Published responses follow the code: a release that renders differently serves its own shapes.

The release is a copy of this checkout with a record and a CV template changed, run as its own
process (``cms db upgrade``), as a deploy runs it; this process's read path then serves what
that release rendered, without any content edit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content import publish
from cms.content.models import Skill
from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.models import ContentVersion, StoredResponse
from cms.public.readpath import ReadPath

ROOT = Path(__file__).resolve().parents[2]
MARKER = "Rendered by the next release"


def _release(tmp_path: Path) -> Path:
    """This checkout's code with ``entity`` dropped from projects and a line added to the CV."""
    release = tmp_path / "release"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "cms", release / "cms", ignore=ignore)
    shutil.copytree(ROOT / "templates", release / "templates", ignore=ignore)
    sections = release / "cms" / "content" / "sections.py"
    before = '*words("roles entity type start_date end_date")'
    assert before in sections.read_text()
    sections.write_text(
        sections.read_text().replace(before, '*words("roles type start_date end_date")')
    )
    template = release / "templates" / "cv" / "cv.html"
    assert "</body>" in template.read_text()
    template.write_text(template.read_text().replace("</body>", f"<p>{MARKER}</p></body>"))
    return release


def _upgrade(release: Path, database_url: str) -> str:
    """``cms db upgrade`` run by the release, as its deploy step would."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(release),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
    }
    finished = subprocess.run(
        [sys.executable, "-c", "from cms.cli import app; app()", "db", "upgrade"],
        cwd=release,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


async def _version(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(ContentVersion.version))).scalar_one())


async def test_a_release_that_renders_differently_is_served_after_its_upgrade(
    app: ReadPath, client: httpx.AsyncClient, engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_database(session, SEED_DIR)
    projects_before = (await client.get("/api/v1/projects")).json()
    cv_before = (await client.get("/cv")).text
    version = await _version(engine)
    release = _release(tmp_path)

    said = _upgrade(release, database_url)
    app.invalidate()  # what the next version check does, at most one interval later
    projects_after = (await client.get("/api/v1/projects")).json()
    cv_after = (await client.get("/cv")).text
    detail = (await client.get("/api/v1/projects/" + projects_after[0]["slug"])).json()
    again = _upgrade(release, database_url)

    assert all("entity" in project for project in projects_before)
    assert MARKER not in cv_before
    assert "Published the public responses of this release." in said
    assert [p["name"] for p in projects_after] == [p["name"] for p in projects_before]
    assert not any("entity" in project for project in projects_after), "the new shape"
    assert "entity" not in detail
    assert MARKER in cv_after
    assert await _version(engine) == version + 1, "one new version, no content edit"
    assert "Published" not in again, "the same release publishes nothing twice"


async def test_a_write_under_other_code_renders_every_response(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await seed_database(session, SEED_DIR)
    async with engine.begin() as connection:  # as an older release would have left it
        await connection.execute(update(ContentVersion).values(fingerprint="an older release"))
    async with sessions() as session, session.begin():
        session.add(Skill(name="Zig", category="Languages", level=2))
    version = await _version(engine)
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(StoredResponse).where(col(StoredResponse.version) == version)
            )
        ).all()
        stored_by = await session.scalar(select(ContentVersion.fingerprint))

    assert {row.path for row in rows} == {published.path for published in publish.PUBLISHED}
    assert len({row.rendered_at for row in rows}) == 1, "rendered together, none carried over"
    assert stored_by == publish.fingerprint(None)
