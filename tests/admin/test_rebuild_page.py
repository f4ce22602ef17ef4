"""The back office's "Rebuild site" page, against a real local build-hook receiver."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cms.admin.auth import COOKIE_NAME
from cms.content.models import Skill
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AuditLog
from cms.main import create_app
from cms.rebuild import redact_hook_url
from tests.admin.helpers import Owner, session_token
from tests.databases import make_settings
from tests.receiver import Receiver, hook_settings, running_receiver

HOOK = "/build_hooks/s3cr3t-token"
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local build-hook receiver."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def settings(database_url: str, receiver: Receiver) -> Settings:
    """The app's settings: one build hook on the local receiver, two retries."""
    return hook_settings(make_settings(database_url), receiver.url(HOOK), build_hook_retries=2)


async def edit(session: AsyncSession, name: str) -> None:
    """One content write (bumps the content version)."""
    session.add(Skill(name=name))
    await session.commit()


def alert(html: str) -> str | None:
    """The outcome code of the message shown after a rebuild, if any."""
    found = re.search(r'id="rebuild-outcome"\s+data-outcome="([a-z]+)"', html)
    return found.group(1) if found else None


def field(html: str, name: str) -> str:
    """A ``data-NAME`` value on the state list."""
    found = re.search(rf'data-{name}="([a-z]+)"', html)
    assert found, f"no data-{name} in the page"
    return found.group(1)


async def test_the_page_and_the_button_require_login(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    page = await client.get("/admin/rebuild")
    assert page.status_code == 302
    assert page.headers["location"].endswith("/admin/login")
    posted = await client.post("/admin/rebuild", headers=SAME_ORIGIN)
    assert posted.status_code == 302
    assert posted.headers["location"].endswith("/admin/login")
    assert receiver.requests == []


async def test_the_page_shows_the_state_without_the_hook_secret(
    admin_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    index = await admin_client.get("/admin/")
    assert 'href="http://testserver/admin/rebuild"' in index.text  # in the menu

    await edit(session, "Python")
    page = await admin_client.get("/admin/rebuild")
    assert page.status_code == 200
    html = page.text
    assert "Rebuild site now" in html
    assert re.search(r'<button type="submit" class="btn btn-primary" id="rebuild-now">', html)
    assert field(html, "pending") == "yes"
    assert "content version 1, rebuilt 0" in html
    assert field(html, "last-status") == "none"
    assert redact_hook_url(settings.build_hook_urls[0]) in html
    assert "s3cr3t" not in html
    assert alert(html) is None


async def test_the_button_calls_the_hook_once_and_the_page_shows_success(
    admin_client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    receiver: Receiver,
    owner: Owner,
) -> None:
    await edit(session, "Python")
    await edit(session, "SQL")

    response = await admin_client.post("/admin/rebuild", headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/admin/rebuild?outcome=success"
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["path"] == HOOK
    assert receiver.requests[0]["json"]["client_payload"] == {
        "content_version": 2,
        "trigger": "button",
    }

    page = await admin_client.get(response.headers["location"])
    html = page.text
    assert alert(html) == "success"
    assert field(html, "pending") == "no"
    assert "content version 2, rebuilt 2" in html
    assert field(html, "last-status") == "success"
    assert "(by button)" in html
    assert re.search(r'<tr data-ok="yes">.*?HTTP 204.*?<td>1</td>', html, flags=re.S)
    assert "s3cr3t" not in html
    assert len(receiver.requests) == 1  # showing the page calls nothing

    async with make_sessionmaker(engine)() as check:
        entry = (await check.scalars(select(AuditLog))).one()
    assert (entry.username, entry.action) == (owner.username, "rebuild")
    assert entry.record_label == "content version 2: success"


async def test_a_failing_hook_is_retried_and_the_page_shows_the_failure(
    admin_client: httpx.AsyncClient, session: AsyncSession, receiver: Receiver
) -> None:
    receiver.statuses[HOOK] = [500]
    await edit(session, "Python")

    response = await admin_client.post("/admin/rebuild", headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/admin/rebuild?outcome=failed")
    assert len(receiver.calls(HOOK)) == 3  # the first try and two retries

    html = (await admin_client.get(response.headers["location"])).text
    assert alert(html) == "failed"
    assert "Rebuild failed" in html
    assert field(html, "pending") == "yes"
    assert field(html, "last-status") == "failed"
    assert re.search(r'<tr data-ok="no">.*?HTTP 500.*?<td>3</td>', html, flags=re.S)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ],
)
async def test_a_cross_site_post_is_refused_and_calls_no_hook(
    admin_client: httpx.AsyncClient,
    session: AsyncSession,
    receiver: Receiver,
    headers: dict[str, str],
) -> None:
    await edit(session, "Python")
    response = await admin_client.post("/admin/rebuild", headers=headers)
    assert response.status_code == 403
    assert "Cross-site request refused" in response.text
    assert receiver.requests == []
    page = await admin_client.get("/admin/rebuild")
    assert field(page.text, "last-status") == "none"


async def test_without_hooks_the_page_says_so_and_the_button_is_disabled(
    engine: AsyncEngine, database_url: str, owner: Owner
) -> None:
    settings = make_settings(database_url)
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await session_token(engine, owner, settings)
        client.cookies.set(COOKIE_NAME, token, domain="testserver.local", path="/admin")
        html = (await client.get("/admin/rebuild")).text
        assert "No build hooks are configured" in html
        assert re.search(r'id="rebuild-now" disabled>', html)
        assert '<form method="POST"' not in html

        posted = await client.post("/admin/rebuild", headers=SAME_ORIGIN)
        assert posted.headers["location"].endswith("/admin/rebuild?outcome=none")
        html = (await client.get(posted.headers["location"])).text
        assert alert(html) == "none"
        assert field(html, "last-status") == "none"
