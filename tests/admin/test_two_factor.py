"""Two-factor login (TOTP and recovery codes) and the sessions page, through the ASGI app."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.admin.auth import COOKIE_NAME
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminUser, RecoveryCode, utcnow
from tests.admin.helpers import Owner, count, session_token
from tests.admin.test_accounts import cli_env, run_cli  # noqa: F401  (fixture)

LOGIN = "/admin/login"


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_ahead))


async def _enrol(admin: httpx.AsyncClient) -> tuple[str, list[str]]:
    page = await admin.post("/admin/two-factor", data={"action": "start"})
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, inline
    (secret,) = re.findall(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    wrong = await admin.post("/admin/two-factor", data={"action": "confirm", "code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.text
    done = await admin.post("/admin/two-factor", data={"action": "confirm", "code": _code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10
    return secret, codes


async def test_two_factor_login_with_a_code_and_a_recovery_code(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    secret, codes = await _enrol(admin_client)
    async with make_sessionmaker(engine)() as session:
        user = await session.get(AdminUser, owner.id)
        assert user is not None and user.totp_enabled
        stored = list((await session.scalars(select(col(RecoveryCode.code_hash)))).all())
    assert not set(codes) & set(stored)  # hashed, never in clear
    client.cookies.clear()
    credentials = {"username": owner.username, "password": owner.password}

    step = await client.post(LOGIN, data=credentials)
    assert step.status_code == 200 and 'name="code"' in step.text
    assert COOKIE_NAME not in client.cookies
    wrong = await client.post(LOGIN, data={"code": "123456"})
    assert wrong.status_code == 400 and "Invalid code." in wrong.text
    ok = await client.post(LOGIN, data={"code": _code(secret, 1)})
    assert ok.status_code == 302
    assert (await client.get("/admin/")).status_code == 200
    await client.post("/admin/logout")

    await client.post(LOGIN, data=credentials)
    assert (await client.post(LOGIN, data={"code": codes[0].upper()})).status_code == 302
    await client.post("/admin/logout")
    await client.post(LOGIN, data=credentials)
    reused = await client.post(LOGIN, data={"code": codes[0]})
    assert reused.status_code == 400  # single use
    # Without the first step the code alone opens nothing.
    client.cookies.clear()
    assert (await client.post(LOGIN, data={"code": codes[1]})).status_code == 400


async def test_code_guesses_are_throttled(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient, owner: Owner, settings: Settings
) -> None:
    await _enrol(admin_client)
    client.cookies.clear()
    await client.post(LOGIN, data={"username": owner.username, "password": owner.password})
    statuses = [
        (await client.post(LOGIN, data={"code": f"{n:06d}"})).status_code
        for n in range(settings.login_max_failures + 1)
    ]
    assert statuses[-1] == 429
    assert 400 in statuses


async def test_totp_from_the_shell(
    cli_env: None,  # noqa: F811
    engine: AsyncEngine,
    owner: Owner,
) -> None:
    enabled = await run_cli("totp", "enable", owner.username)
    assert enabled.exit_code == 0, enabled.output
    (uri,) = re.findall(r"otpauth://\S+", enabled.output)
    assert "issuer=Portfolio%20CMS" in uri
    assert await count(engine, RecoveryCode) == 10
    disabled = await run_cli("totp", "disable", owner.username)
    assert disabled.exit_code == 0
    async with make_sessionmaker(engine)() as session:
        user = await session.get(AdminUser, owner.id)
        assert user is not None and not user.totp_enabled and user.totp_secret is None
    assert (await run_cli("totp", "enable", "nobody")).exit_code == 1


async def test_sessions_page_revokes_one_or_all(
    admin_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    owner: Owner,
    settings: Settings,
    engine: AsyncEngine,
) -> None:
    other = await session_token(engine, owner, settings, client="192.0.2.44")
    page = await admin_client.get("/admin/sessions")
    assert page.status_code == 200
    assert "192.0.2.44" in page.text and page.text.count('name="revoke"') == 2
    keys = re.findall(r'name="revoke" value="([0-9a-f]+)"', page.text)
    current = re.search(r'data-current="yes">.*?value="([0-9a-f]+)"', page.text, re.S)
    assert current is not None
    (other_key,) = [k for k in keys if k != current.group(1)]
    revoked = await admin_client.post("/admin/sessions", data={"revoke": other_key})
    assert revoked.status_code == 303
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=admin_client._transport.app),  # type: ignore[attr-defined]
        base_url="http://testserver",
        cookies={COOKIE_NAME: other},
    ) as stolen:
        assert (await stolen.get("/admin/")).status_code == 302
    assert (await admin_client.get("/admin/")).status_code == 200
    everywhere = await admin_client.post("/admin/sessions", data={"everywhere": "1"})
    assert everywhere.headers["location"].endswith(LOGIN)
    assert (await admin_client.get("/admin/")).status_code == 302
