"""``/cv``: the printable CV is served inert, from the read path and in a preview alike."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.tokens import create_token


def _csp(response: httpx.Response) -> dict[str, str]:
    directives = (part.strip() for part in response.headers["content-security-policy"].split(";"))
    return {name: value for name, _, value in (d.partition(" ") for d in directives if d)}


async def test_the_cv_page_runs_no_script_and_is_never_framed_or_sniffed(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        await seed_database(session, SEED_DIR)
        _, token = await create_token(
            session, name="preview", scope="read-drafts", expires_in_days=None, actor="t"
        )

    published = await client.get("/cv")
    preview = await client.get("/cv", headers={"Authorization": f"Bearer {token}"})
    api = await client.get("/api/v1/resume")

    for page in (published, preview):
        assert page.status_code == 200
        csp = _csp(page)
        assert csp["default-src"] == "'none'", "no script, no frame, no fetch, no font"
        assert "script-src" not in csp and "'unsafe-eval'" not in str(csp)
        assert csp["frame-ancestors"] == "'none'"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in api.headers, "JSON is not a page"
