"""Two-factor codes under races, and TOTP secrets encrypted at rest (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.admin.totp import enable_now
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.encryption import encrypt
from cms.core.models import AdminSession, AdminUser, RecoveryCode, utcnow
from cms.main import create_app
from tests.admin.helpers import Owner, count
from tests.admin.test_accounts import cli_env, run_cli  # noqa: F401  (fixture)
from tests.databases import make_settings

LOGIN = "/admin/login"
OLD_KEY = "the-previous-secret-key-of-this-site-0123456789"


def _browser(app: object, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{n + 1}", 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _enable(engine: AsyncEngine, owner: Owner) -> tuple[str, list[str]]:
    """Turn two-factor login on for ``owner``: the secret and the recovery codes."""
    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        uri, codes = await enable_now(session, user)
    return pyotp.parse_uri(uri).secret, codes


async def _stored_secret(engine: AsyncEngine, owner: Owner) -> str:
    async with make_sessionmaker(engine)() as session:
        user = await session.get(AdminUser, owner.id)
        assert user is not None and user.totp_secret is not None
        return user.totp_secret


async def _same_code_from_four_pending_logins(
    engine: AsyncEngine, database_url: str, owner: Owner, code: str
) -> list[int]:
    # A limit high enough that the throttle refuses none of the eight requests: only the
    # single use of the code may decide.
    app = create_app(make_settings(database_url, login_max_failures=50), engine)
    browsers = [_browser(app, n) for n in range(4)]
    try:
        for browser in browsers:
            step = await browser.post(
                LOGIN, data={"username": owner.username, "password": owner.password}
            )
            assert step.status_code == 200 and 'name="code"' in step.text
        responses = await asyncio.gather(
            *(browser.post(LOGIN, data={"code": code}) for browser in browsers)
        )
    finally:
        for browser in browsers:
            await browser.aclose()
        await app.database.close()  # type: ignore[attr-defined]
    return sorted(response.status_code for response in responses)


async def test_one_totp_code_sent_at_once_from_four_pending_logins_opens_one_session(
    engine: AsyncEngine, database_url: str, owner: Owner
) -> None:
    secret, _ = await _enable(engine, owner)
    statuses = await _same_code_from_four_pending_logins(
        engine, database_url, owner, pyotp.TOTP(secret).now()
    )
    assert statuses == [302, 400, 400, 400]
    assert await count(engine, AdminSession) == 1


async def test_one_recovery_code_sent_at_once_from_four_pending_logins_opens_one_session(
    engine: AsyncEngine, database_url: str, owner: Owner
) -> None:
    _, codes = await _enable(engine, owner)
    statuses = await _same_code_from_four_pending_logins(engine, database_url, owner, codes[0])
    assert statuses == [302, 400, 400, 400]
    assert await count(engine, AdminSession) == 1
    async with make_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(RecoveryCode))).all()
    assert sum(1 for row in rows if row.used_at is not None) == 1


async def test_the_secret_is_stored_encrypted_and_login_with_a_code_works(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    start = await admin_client.post("/admin/two-factor", data={"action": "start"})
    (secret,) = re.findall(r'id="totp-secret">([A-Z2-7]+)<', start.text)
    stored = await _stored_secret(engine, owner)
    assert stored.startswith("v1:") and secret not in stored
    wrong = await admin_client.post("/admin/two-factor", data={"action": "confirm", "code": "1"})
    assert wrong.status_code == 400 and secret in wrong.text  # shown again, decrypted
    confirm = {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    assert (await admin_client.post("/admin/two-factor", data=confirm)).status_code == 200
    assert await _stored_secret(engine, owner) == stored

    client.cookies.clear()
    await client.post(LOGIN, data={"username": owner.username, "password": owner.password})
    # The enrolment used this step's code: the next step's is one a login can still use.
    next_code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    response = await client.post(LOGIN, data={"code": next_code})
    assert response.status_code == 302
    assert COOKIE_NAME in client.cookies


async def test_a_confirmed_account_never_shows_its_secret_again(
    admin_client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    secret, _ = await _enable(engine, owner)
    page = await admin_client.post("/admin/two-factor", data={"action": "confirm", "code": "1"})
    assert page.status_code == 400 and secret not in page.text


async def test_a_set_up_begun_under_another_key_asks_to_start_again(
    admin_client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        user.totp_secret = encrypt(pyotp.random_base32(), secret_key=OLD_KEY)
    confirm = {"action": "confirm", "code": "123456"}
    page = await admin_client.post("/admin/two-factor", data=confirm)
    assert page.status_code == 400 and "start again" in page.text


async def test_a_secret_under_the_previous_key_works_after_rotate_key(
    cli_env: None,  # noqa: F811
    client: httpx.AsyncClient,
    owner: Owner,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    secret, _ = await _enable(engine, owner)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(AdminUser)
            .where(AdminUser.id == owner.id)  # type: ignore[arg-type]
            .values(totp_secret=encrypt(secret, secret_key=OLD_KEY))
        )
    totp = pyotp.TOTP(secret)
    await client.post(LOGIN, data={"username": owner.username, "password": owner.password})
    refused = await client.post(LOGIN, data={"code": totp.now()})
    assert refused.status_code == 400  # a clear refusal, not a 500

    wrong = await run_cli("totp", "rotate-key", "--old-key-stdin", input="not-the-key\n")
    assert wrong.exit_code == 1 and "owner" in wrong.output and OLD_KEY not in wrong.output
    rotated = await run_cli("totp", "rotate-key", "--old-key-stdin", input=f"{OLD_KEY}\n")
    assert rotated.exit_code == 0, rotated.output
    assert "Re-encrypted 1 two-factor secret." in rotated.output
    stored = await _stored_secret(engine, owner)
    assert stored.startswith("v1:") and stored != encrypt(secret, secret_key=OLD_KEY)
    again = await run_cli("totp", "rotate-key", "--old-key-stdin", input=f"{OLD_KEY}\n")
    assert "Re-encrypted 0 two-factor secrets." in again.output  # already done: harmless

    await client.post(LOGIN, data={"username": owner.username, "password": owner.password})
    assert (await client.post(LOGIN, data={"code": totp.now()})).status_code == 302
