""" "Preview on the site" on a record's form: the site's preview page, only when SITE_URL is set."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.content.models import Project
from cms.content.session import make_sessionmaker
from cms.main import create_app
from tests.admin.helpers import Owner, session_token
from tests.databases import make_settings


async def _edit_page(
    engine: AsyncEngine, owner: Owner, database_url: str, **settings: object
) -> str:
    config = make_settings(database_url, **settings)
    async with make_sessionmaker(engine)() as session, session.begin():
        project = Project(name="Draft thing", slug="draft-thing", is_published=False)
        session.add(project)
        await session.flush()
        project_id = project.id
    app = create_app(config, engine)
    token = await session_token(engine, owner, config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        client.cookies.set(COOKIE_NAME, token, domain="testserver.local", path="/admin")
        response = await client.get(f"/admin/project/edit/{project_id}")
    await app.database.close()
    assert response.status_code == 200
    return response.text


async def test_a_record_links_to_its_preview_on_the_site(
    engine: AsyncEngine, owner: Owner, database_url: str
) -> None:
    page = await _edit_page(engine, owner, database_url, site_url="https://cv.example/")

    assert 'href="https://cv.example/preview/projects/draft-thing/"' in page
    assert "Preview on the site" in page


async def test_no_preview_link_without_a_site(
    engine: AsyncEngine, owner: Owner, database_url: str
) -> None:
    assert "Preview on the site" not in await _edit_page(engine, owner, database_url)
