"""What the back office reads: bodies only from a live session, within their caps; HEAD is GET."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME, LOGIN_MAX_BYTES
from cms.content.models import Work
from cms.core.config import Settings
from cms.core.models import LoginAttempt, LoginThrottle
from tests.admin.helpers import Owner, count, token_for, work_form

CHUNK = 64 * 1024
DOMAIN = "testserver.local"  # how the cookie jar names the test client's host


@dataclass
class Upload:
    """A request body streamed in chunks of 64 KiB, counting what the server pulled."""

    chunks: int
    pulled: int = 0

    async def stream(self) -> AsyncIterator[bytes]:
        """The body, one chunk per ``receive()`` of the server."""
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"a=" + bytes(CHUNK - 2)


@pytest.mark.parametrize(
    "path", ["/admin/nonexistent", "/admin/work/create", "/admin/logout", "/admin/work/delete"]
)
@pytest.mark.parametrize("cookie", ["none", "no session row", "garbage"])
async def test_a_request_without_a_session_goes_to_login_with_its_body_unread(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, path: str, cookie: str
) -> None:
    if cookie == "no session row":
        client.cookies.set(COOKIE_NAME, token_for(owner, settings), domain=DOMAIN, path="/admin")
    elif cookie == "garbage":
        client.cookies.set(COOKIE_NAME, "not-a-token", domain=DOMAIN, path="/admin")
    upload = Upload(chunks=64)  # 4 MiB offered; none of it may be read

    response = await client.post(path, content=upload.stream())

    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/login")
    assert response.headers["connection"] == "close"
    assert upload.pulled == 0


async def test_a_form_over_body_max_bytes_is_a_413_page_naming_the_limit(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    limit = settings.body_max_bytes
    declared = await admin_client.post(
        "/admin/work/create", data=work_form(summary="x" * (limit + 1))
    )
    upload = Upload(chunks=64)  # streamed without a Content-Length: 4 MiB, the cap is 1 MiB
    streamed = await admin_client.post(
        "/admin/work/create",
        content=upload.stream(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "at most 1 MB (1,048,576 bytes)" in response.text
        assert response.headers["x-frame-options"] == "DENY"
    assert upload.pulled <= limit // CHUNK + 1
    assert await count(engine, Work) == 0
    fine = await admin_client.post("/admin/work/create", data=work_form(summary="x" * 9_000))
    assert fine.status_code == 302


async def test_the_login_form_has_its_own_small_cap_and_counts_no_attempt(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Owner
) -> None:
    padding = "x" * LOGIN_MAX_BYTES
    form = {"username": owner.username, "password": "wrong", "padding": padding}
    upload = Upload(chunks=64)

    declared = await client.post("/admin/login", data=form)
    streamed = await client.post(
        "/admin/login",
        content=upload.stream(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert "at most 16 KB (16,384 bytes)" in response.text
    assert upload.pulled <= 1
    assert await count(engine, LoginAttempt) == 0
    assert await count(engine, LoginThrottle) == 0


async def test_head_logout_keeps_the_session(admin_client: httpx.AsyncClient) -> None:
    head = await admin_client.head("/admin/logout")
    get = await admin_client.get("/admin/logout")

    assert head.status_code == get.status_code == 405
    assert head.content == b""
    assert (await admin_client.get("/admin/")).status_code == 200


async def test_head_login_does_not_count_a_login_attempt(
    client: httpx.AsyncClient, engine: AsyncEngine, owner: Owner, settings: Settings
) -> None:
    heads = [await client.head("/admin/login") for _ in range(settings.login_max_failures + 2)]

    assert {head.status_code for head in heads} == {200}
    assert all(head.content == b"" for head in heads)
    assert (
        heads[0].headers["content-length"]
        == (await client.get("/admin/login")).headers["content-length"]
    )
    assert await count(engine, LoginAttempt) == 0
    assert await count(engine, LoginThrottle) == 0
    login = await client.post(
        "/admin/login", data={"username": owner.username, "password": owner.password}
    )
    assert login.status_code == 302


@pytest.mark.parametrize("path", ["/admin/work/action/publish?pks=1", "/admin/logout"])
async def test_head_is_refused_where_get_is_refused(
    admin_client: httpx.AsyncClient, path: str
) -> None:
    head, get = await admin_client.head(path), await admin_client.get(path)
    assert head.status_code == get.status_code == 405
    assert head.headers.get("allow") == get.headers.get("allow")
