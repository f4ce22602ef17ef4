"""Owner account security: no lockout by strangers, real logout, atomic counting, accounts.

Findings 1, 2, 3, 9 and the NUL-byte login of finding 4 of the owner-security issue, each as a
test that failed before the fix (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.accounts import AccountError, check_password, set_password
from cms.admin.auth import COOKIE_NAME, DEVICE_COOKIE
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminSession, AdminUser, LoginAttempt, utcnow
from cms.core.security import create_access_token
from cms.main import create_app
from tests.admin.helpers import Owner, count, session_token, token_for

LOGIN = "/admin/login"
WRONG = "not the password at all"


def _client(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, data={"username": username, "password": password})


async def _strangers_fail(app: FastAPI, username: str, times: int, *, first_ip: int = 1) -> None:
    for attempt in range(times):
        async with _client(app, f"203.0.113.{first_ip + attempt}") as stranger:
            await _login(stranger, username, WRONG)


# --- finding 1: strangers cannot lock the owner out ------------------------------------------


async def test_owner_browser_logs_in_while_strangers_are_throttled(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    async with _client(app, "198.51.100.10") as browser:
        assert (await _login(browser, owner.username, owner.password)).status_code == 302
        assert DEVICE_COOKIE in browser.cookies
        await browser.post("/admin/logout")
        await _strangers_fail(app, owner.username, settings.login_max_failures * 2)
        async with _client(app, "203.0.113.200") as stranger:
            refused = await _login(stranger, owner.username, owner.password)
        assert refused.status_code == 429  # strangers are throttled, even with the password
        # The owner's browser holds its device token: limited on its own, it gets in.
        response = await _login(browser, owner.username, owner.password)
        assert response.status_code == 302
        assert (await browser.get("/admin/")).status_code == 200


async def test_a_device_is_limited_on_its_own(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    async with _client(app, "198.51.100.11") as browser:
        assert (await _login(browser, owner.username, owner.password)).status_code == 302
        for _ in range(settings.login_max_failures):
            assert (await _login(browser, owner.username, WRONG)).status_code == 400
        assert (await _login(browser, owner.username, owner.password)).status_code == 429
    # Someone else guessing on that device did not lock the username for other browsers.
    async with _client(app, "198.51.100.12") as other:
        assert (await _login(other, owner.username, owner.password)).status_code == 302


async def test_a_new_password_lifts_the_limits(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    await _strangers_fail(app, owner.username, settings.login_max_failures)
    async with _client(app, "192.0.2.50") as fresh:
        assert (await _login(fresh, owner.username, owner.password)).status_code == 429
        async with make_sessionmaker(engine)() as session, session.begin():
            await set_password(session, owner.username, "a completely new passphrase")
        assert (
            await _login(fresh, owner.username, "a completely new passphrase")
        ).status_code == 302


async def test_every_refusal_is_one_log_line(
    engine: AsyncEngine, settings: Settings, owner: Owner, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, engine)
    await _strangers_fail(app, owner.username, settings.login_max_failures)
    async with _client(app, "192.0.2.60") as client:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = await _login(client, owner.username, WRONG)
    assert response.status_code == 429
    assert len([r for r in caplog.records if r.name.startswith("cms")]) == 1


# --- finding 2: logout ends the session -------------------------------------------------------


async def test_a_copied_cookie_dies_with_logout(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    async with _client(app, "198.51.100.20") as browser:
        assert (await _login(browser, owner.username, owner.password)).status_code == 302
        copied = browser.cookies[COOKIE_NAME]
        assert (await browser.post("/admin/logout")).status_code == 302
    async with _client(app, "198.51.100.21") as thief:
        thief.cookies.set(COOKIE_NAME, copied)
        response = await thief.get("/admin/work/list")
    assert response.status_code == 302
    assert response.headers["location"].endswith(LOGIN)
    assert await count(engine, AdminSession) == 0


# --- finding 3: counting is atomic --------------------------------------------------------------


async def test_fifty_parallel_wrong_logins_evaluate_at_most_the_limit(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)

    async def attempt(n: int) -> int:
        async with _client(app, f"10.9.{n // 200}.{n % 200 + 1}") as client:
            return (await _login(client, owner.username, WRONG)).status_code

    statuses = await asyncio.gather(*(attempt(n) for n in range(50)))
    assert set(statuses) <= {400, 429}, statuses
    evaluated = statuses.count(400)
    assert 1 <= evaluated <= settings.login_max_failures
    assert await count(engine, LoginAttempt) == evaluated


# --- finding 4 (login): a NUL byte is a counted failure, not a 500 -----------------------------


async def test_nul_in_the_username_is_a_counted_failure(
    client: httpx.AsyncClient,
    owner: Owner,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(settings.login_max_failures):
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            response = await _login(client, "owner\x00", WRONG)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "Invalid credentials." in response.text
        assert len([r for r in caplog.records if r.name.startswith(("cms", "sqladmin"))]) <= 1
    assert (await _login(client, owner.username, owner.password)).status_code == 429


# --- finding 9: accounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [" " * 12, "\t" * 14, "password1234", "Qwertyuiop123", "abcabcabcabc", "1234567890123"],
)
def test_blank_and_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(AccountError):
        check_password(password, username="owner")


def test_a_good_password_passes() -> None:
    check_password("violet harbour lantern 42", username="owner")


async def test_reactivation_does_not_revive_old_sessions(
    admin_client: httpx.AsyncClient, app: FastAPI, engine: AsyncEngine, settings: Settings
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        other = AdminUser(username="second", password_hash="x", is_active=True)
        session.add(other)
        await session.flush()
        assert other.id is not None
        second = Owner(other.id, "second", "", "x")
    old = await session_token(engine, second, settings)
    form = {"username": "second", "new_password": "", "save": "Save"}
    edit = f"/admin/admin-user/edit/{second.id}"
    assert (await admin_client.post(edit, data=form)).status_code == 302  # is_active left out: off
    assert (await admin_client.post(edit, data={**form, "is_active": "y"})).status_code == 302
    async with _client(app, "127.0.0.1") as browser:
        browser.cookies.set(COOKIE_NAME, old)
        assert (await browser.get("/admin/")).status_code == 302


@pytest.mark.parametrize(
    "claims",
    [
        {"uid": 2**80},
        {"uid": 2**80, "sid": "x" * 10_000},
        {"uid": "1", "sid": 12345},
        {"uid": -1, "sid": ["a"]},
    ],
)
async def test_signed_tokens_naming_no_live_session_go_to_login(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, claims: dict[str, object]
) -> None:
    token = create_access_token(
        subject=owner.username,
        secret_key=settings.secret_key,
        lifetime=timedelta(minutes=5),
        claims=claims,
    )
    client.cookies.set(COOKIE_NAME, token)
    response = await client.get("/admin/work/list")
    assert response.status_code == 302
    assert response.headers["location"].endswith(LOGIN)


async def test_expired_session_rows_do_not_open_the_admin(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, engine: AsyncEngine
) -> None:
    token = await session_token(engine, owner, settings)
    client.cookies.set(COOKIE_NAME, token)
    assert (await client.get("/admin/")).status_code == 200
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(AdminSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.get("/admin/")).status_code == 302


async def test_a_token_without_its_session_row_goes_to_login(
    client: httpx.AsyncClient, owner: Owner, settings: Settings
) -> None:
    # Correctly signed, right user and password, but no login ever created its session.
    client.cookies.set(COOKIE_NAME, token_for(owner, settings, sid="never-issued"))
    assert (await client.get("/admin/")).status_code == 302
