"""Login, the JWT cookie, logout and throttling, through the ASGI app (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminUser, LoginAttempt, utcnow
from cms.core.security import hash_password
from cms.main import create_app
from tests.admin.helpers import OWNER_PASSWORD, Owner, session_token, token_for
from tests.databases import make_settings

LOGIN = "/admin/login"

# Every kind of admin route: pages, form posts, deletes, exports, lookups, actions.
PROTECTED = [
    ("GET", "/admin/"),
    ("GET", "/admin/work/list"),
    ("GET", "/admin/work/create"),
    ("POST", "/admin/work/create"),
    ("GET", "/admin/work/details/1"),
    ("GET", "/admin/work/edit/1"),
    ("POST", "/admin/work/edit/1"),
    ("DELETE", "/admin/work/delete?pks=1"),
    ("GET", "/admin/work/export/csv"),
    ("GET", "/admin/work/ajax/lookup?name=technologies&term=py"),
    ("GET", "/admin/work/action/publish?pks=1"),
    ("GET", "/admin/admin-user/list"),
    ("GET", "/admin/audit-log/list"),
    ("GET", "/admin/json-resume"),
    ("GET", "/admin/json-resume?download=backup"),
    ("POST", "/admin/json-resume"),
]


async def login(
    client: httpx.AsyncClient, username: str, password: str, **headers: str
) -> httpx.Response:
    """Submit the login form as a browser would."""
    return await client.post(
        LOGIN, data={"username": username, "password": password}, headers=headers
    )


def set_cookie(response: httpx.Response) -> str:
    """The Set-Cookie header for the admin token."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE_NAME)]
    return header


def _client(app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _forge(payload_change: dict[str, object], token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(payload_change)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


async def _count(engine: AsyncEngine, model: type) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_login_page_is_our_branded_form(client: httpx.AsyncClient) -> None:
    response = await client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="username"' in response.text and 'name="password"' in response.text
    assert "Owner back office" in response.text
    assert "/admin/assets/admin.css" in response.text
    css = await client.get("/admin/assets/admin.css")
    assert css.status_code == 200 and ".cms-login" in css.text


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_admin_route_needs_a_login(
    client: httpx.AsyncClient, owner: Owner, method: str, path: str
) -> None:
    response = await client.request(
        method, path, data={"company": "X"} if method == "POST" else None
    )
    assert response.status_code == 302
    assert response.headers["location"].endswith(LOGIN)


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    wrong = await login(client, owner.username, "not the password at all")
    unknown = await login(client, "nobody-here", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Invalid credentials." in response.text
        assert COOKIE_NAME not in response.headers.get("set-cookie", "")
    assert await _count(engine, LoginAttempt) == 2
    assert (await client.get("/admin/")).status_code == 302


async def test_login_sets_a_strict_httponly_jwt_cookie(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, engine: AsyncEngine
) -> None:
    response = await login(client, owner.username.upper(), owner.password)
    assert response.status_code == 302
    assert response.headers["location"] == "http://testserver/admin/"
    cookie = set_cookie(response).lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/admin" in cookie
    assert f"max-age={settings.jwt_lifetime_minutes * 60}" in cookie
    assert "secure" not in cookie  # dev/test: plain http on localhost
    token = client.cookies[COOKIE_NAME]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.get_unverified_claims(token)
    assert claims["sub"] == owner.username
    assert claims["exp"] - claims["iat"] == settings.jwt_lifetime_minutes * 60
    dashboard = await client.get("/admin/")
    assert dashboard.status_code == 200
    assert "Your CV" in dashboard.text
    async with make_sessionmaker(engine)() as session:
        user = await session.get(AdminUser, owner.id)
        assert user is not None and user.last_login_at is not None


async def test_cookie_is_secure_outside_dev(engine: AsyncEngine, database_url: str) -> None:
    settings = Settings(environment="prod", database_url=database_url, secret_key="s" * 40)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(AdminUser(username="boss", password_hash=hash_password(OWNER_PASSWORD)))
    async with _client(create_app(settings, engine)) as client:
        response = await login(client, "boss", OWNER_PASSWORD)
    assert response.status_code == 302
    assert "secure" in set_cookie(response).lower().split("; ")


async def test_jwt_lifetime_is_configurable(
    engine: AsyncEngine, owner: Owner, database_url: str
) -> None:
    settings = make_settings(database_url, jwt_lifetime_minutes=5)
    async with _client(create_app(settings, engine)) as client:
        response = await login(client, owner.username, owner.password)
        claims = jwt.get_unverified_claims(client.cookies[COOKIE_NAME])
    assert claims["exp"] - claims["iat"] == 300
    assert "max-age=300" in set_cookie(response).lower()


async def test_logout_clears_the_cookie_and_closes_the_admin(
    admin_client: httpx.AsyncClient,
) -> None:
    assert (await admin_client.get("/admin/work/list")).status_code == 200
    assert (await admin_client.get("/admin/logout")).status_code == 405  # a link changes nothing
    assert (await admin_client.get("/admin/work/list")).status_code == 200
    response = await admin_client.post("/admin/logout")
    assert response.status_code == 302
    assert response.headers["location"].endswith(LOGIN)
    cookie = set_cookie(response).lower()
    assert 'cms_admin_token=""' in cookie or "max-age=0" in cookie
    assert COOKIE_NAME not in admin_client.cookies
    assert (await admin_client.get("/admin/work/list")).status_code == 302


@pytest.mark.parametrize(
    "forge",
    ["expired", "tampered", "foreign_key", "alg_none", "hs512", "garbage", "no_uid"],
)
async def test_bad_tokens_send_the_browser_to_login(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, forge: str
) -> None:
    good = token_for(owner, settings)
    now = int(utcnow().timestamp())
    base_claims = {
        "sub": owner.username,
        "uid": owner.id,
        "aud": "portfolio-cms-admin",
        "iat": now,
        "exp": now + 600,
    }
    tokens = {
        "expired": lambda: jwt.encode(
            {**base_claims, "iat": now - 7200, "exp": now - 3600}, settings.secret_key, "HS256"
        ),
        "tampered": lambda: _forge({"sub": "someone-else"}, good),
        "foreign_key": lambda: jwt.encode(base_claims, "another-secret-key" * 3, "HS256"),
        "alg_none": lambda: ".".join(
            [
                base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode(),
                good.split(".")[1],
                "",
            ]
        ),
        "hs512": lambda: jwt.encode(base_claims, settings.secret_key, "HS512"),
        "garbage": lambda: "not-a-jwt",
        "no_uid": lambda: jwt.encode(
            {k: v for k, v in base_claims.items() if k != "uid"}, settings.secret_key, "HS256"
        ),
    }
    client.cookies.set(COOKIE_NAME, tokens[forge]())
    response = await client.get("/admin/work/list")
    assert response.status_code == 302
    assert response.headers["location"].endswith(LOGIN)
    assert "max-age=0" in set_cookie(response).lower()


async def test_token_dies_with_password_change_or_deactivation(
    admin_client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    assert (await admin_client.get("/admin/")).status_code == 200
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(AdminUser)
            .where(AdminUser.id == owner.id)
            .values(password_hash=hash_password("a brand new password"))
        )
    assert (await admin_client.get("/admin/")).status_code == 302


async def test_deactivated_account_cannot_use_its_token_or_log_in(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(AdminUser).where(AdminUser.id == owner.id).values(is_active=False)
        )
    client.cookies.set(COOKIE_NAME, await session_token(engine, owner, settings))
    assert (await client.get("/admin/")).status_code == 302
    client.cookies.clear()
    response = await login(client, owner.username, owner.password)
    assert response.status_code == 400
    assert "Invalid credentials." in response.text


async def test_five_failures_for_a_username_lock_it_with_429(
    client: httpx.AsyncClient, owner: Owner, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures):
        assert (await login(client, owner.username, "wrong password!!")).status_code == 400
    # Even the right password is refused now, with the same message as for unknown users.
    locked = await login(client, owner.username, owner.password)
    ghost = await login(client, "no-such-user", "wrong password!!")
    assert locked.status_code == 429
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= settings.login_window_minutes * 60 + 1
    assert "Too many failed login attempts" in locked.text
    assert COOKIE_NAME not in locked.headers.get("set-cookie", "")
    # The unknown user was not throttled by name, but the client is now over the limit too.
    assert ghost.status_code == 429


async def test_unknown_usernames_are_throttled_like_real_ones(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    for attempt in range(settings.login_max_failures):
        # Different clients each time: only the username ties them together.
        async with _client(app, ip=f"10.0.0.{attempt + 1}") as client:
            assert (await login(client, "ghost", "wrong password!!")).status_code == 400
    async with _client(app, ip="10.0.1.1") as client:
        ghost = await login(client, "ghost", "wrong password!!")
        real = await login(client, owner.username, owner.password)
    assert ghost.status_code == 429
    assert "Too many failed login attempts" in ghost.text
    assert real.status_code == 302  # another account from a clean client is unaffected


async def test_one_client_trying_many_usernames_is_throttled(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    app = create_app(settings, engine)
    async with _client(app, ip="192.0.2.7") as client:
        for attempt in range(settings.login_max_failures):
            assert (await login(client, f"guess-{attempt}", "wrong password!!")).status_code == 400
        blocked = await login(client, owner.username, owner.password)
    assert blocked.status_code == 429
    async with _client(app, ip="192.0.2.8") as other:
        assert (await login(other, owner.username, owner.password)).status_code == 302


async def test_throttling_holds_across_app_instances(
    engine: AsyncEngine, settings: Settings, owner: Owner
) -> None:
    first, second = create_app(settings, engine), create_app(settings, engine)
    async with _client(first, ip="198.51.100.1") as client:
        for _ in range(settings.login_max_failures):
            await login(client, owner.username, "wrong password!!")
    async with _client(second, ip="198.51.100.2") as client:
        response = await login(client, owner.username, owner.password)
    assert response.status_code == 429


async def test_old_failures_leave_the_window(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, engine: AsyncEngine
) -> None:
    old = utcnow() - timedelta(minutes=settings.login_window_minutes, seconds=5)
    async with make_sessionmaker(engine)() as session, session.begin():
        for _ in range(settings.login_max_failures):
            session.add(LoginAttempt(username=owner.username, client="127.0.0.1", created_at=old))
    response = await login(client, owner.username, owner.password)
    assert response.status_code == 302
    assert await _count(engine, LoginAttempt) == 0  # pruned, and cleared by the success


async def test_passwords_are_never_logged(
    client: httpx.AsyncClient, owner: Owner, caplog: pytest.LogCaptureFixture
) -> None:
    secret_attempt = "my-wrong-secret-attempt"
    with caplog.at_level(logging.DEBUG):
        await login(client, owner.username, secret_attempt)
        await login(client, owner.username, owner.password)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret_attempt not in logged
    assert owner.password not in logged


async def test_login_form_is_not_a_write_path(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await client.post(LOGIN, data={})
    assert response.status_code == 400
    assert await _count(engine, Work) == 0
