"""Passkeys through the ASGI app: registering, signing in, and every refusal.

The authenticator is a software one (``passkey_helpers.SoftPasskey``); the browser's own
ceremony is exercised in ``test_browser_passkeys.py``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from cms.admin.auth import COOKIE_NAME
from cms.admin.passkeys import CHALLENGE_AUDIENCE, CHALLENGE_COOKIE
from cms.admin.totp import enable_now
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminPasskey, AdminSession, AdminUser, utcnow
from cms.core.security import create_access_token
from cms.main import create_app
from tests.admin.helpers import Owner, audit_entries, count
from tests.admin.passkey_helpers import SoftPasskey

ORIGIN = "http://testserver"
LOGIN = "/admin/login"


async def _register(
    admin: httpx.AsyncClient, passkey: SoftPasskey, name: str = "Laptop"
) -> httpx.Response:
    options = await admin.post("/admin/passkeys/options")
    assert options.status_code == 200, options.text
    body = options.json()
    assert body["authenticatorSelection"]["residentKey"] == "required"
    assert body["authenticatorSelection"]["userVerification"] == "required"
    answer = passkey.register(body, ORIGIN)
    return await admin.post("/admin/passkeys/register", json={"name": name, "credential": answer})


def _put_challenge(client: httpx.AsyncClient, token: str) -> None:
    """Hand the browser a challenge cookie again (as a replaying attacker would)."""
    client.cookies.set(CHALLENGE_COOKIE, token, domain="testserver.local", path="/admin")


async def _options(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/admin/passkey/options")
    assert response.status_code == 200, response.text
    assert CHALLENGE_COOKIE in response.headers["set-cookie"]
    options: dict[str, Any] = response.json()
    return options


async def _sign_in(
    client: httpx.AsyncClient, passkey: SoftPasskey, origin: str = ORIGIN
) -> tuple[httpx.Response, dict[str, Any]]:
    answer = passkey.sign_in(await _options(client), origin)
    return await client.post("/admin/passkey/login", json=answer), answer


async def _enrolled_owner(admin: httpx.AsyncClient) -> SoftPasskey:
    passkey = SoftPasskey()
    registered = await _register(admin, passkey)
    assert registered.status_code == 201, registered.text
    admin.cookies.clear()
    return passkey


async def test_register_list_and_delete_a_passkey(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    empty = await admin_client.get("/admin/passkeys")
    assert empty.status_code == 200 and 'id="no-passkeys"' in empty.text
    assert "passkeys.js" in empty.text

    registered = await _register(admin_client, SoftPasskey(), "Work laptop")
    assert registered.status_code == 201, registered.text
    assert registered.json()["redirect"].endswith("/admin/passkeys?added=1")
    page = await admin_client.get("/admin/passkeys?added=1")
    assert "Work laptop" in page.text and 'id="passkey-added"' in page.text
    assert "never" in page.text  # not used yet

    async with make_sessionmaker(engine)() as session:
        (stored,) = (await session.scalars(select(AdminPasskey))).all()
    assert stored.transports == ["internal"] and stored.sign_count == 0
    deleted = await admin_client.post("/admin/passkeys", data={"delete": str(stored.id)})
    assert deleted.status_code == 303
    assert await count(engine, AdminPasskey) == 0
    again = await admin_client.post("/admin/passkeys", data={"delete": str(stored.id)})
    assert again.status_code == 404 and "does not exist" in again.text
    assert (await admin_client.get("/admin/passkeys/options")).status_code == 405

    entries = [(e.action, e.table_name, e.record_label) for e in await audit_entries(engine)]
    assert entries == [
        ("create", "admin_passkeys", "Work laptop"),
        ("delete", "admin_passkeys", "Work laptop"),
    ]


async def test_registration_refusals(admin_client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    passkey = SoftPasskey()
    unnamed = await _register(admin_client, passkey, "   ")
    assert unnamed.status_code == 400 and "name" in unnamed.json()["error"]

    issued = await admin_client.post("/admin/passkeys/options")
    cookie, options = issued.cookies[CHALLENGE_COOKIE], issued.json()
    answer = passkey.register(options, "http://evil.example")
    wrong = await admin_client.post(
        "/admin/passkeys/register", json={"name": "x", "credential": answer}
    )
    assert wrong.status_code == 400 and "another address" in wrong.json()["error"]
    # The challenge was answered (wrongly) once: it never works again.
    answer = passkey.register(options, ORIGIN)
    _put_challenge(admin_client, cookie)
    replayed = await admin_client.post(
        "/admin/passkeys/register", json={"name": "x", "credential": answer}
    )
    assert replayed.status_code == 400 and "used already" in replayed.json()["error"]

    registered = await _register(admin_client, passkey)
    assert registered.status_code == 201, registered.text
    options = (await admin_client.post("/admin/passkeys/options")).json()
    excluded = [c["id"] for c in options["excludeCredentials"]]
    assert excluded == [bytes_to_base64url(passkey.credential_id)]
    twice = await admin_client.post(
        "/admin/passkeys/register",
        json={"name": "again", "credential": passkey.register(options, ORIGIN)},
    )
    assert twice.status_code == 409 and "already" in twice.json()["error"]
    big = await admin_client.post("/admin/passkeys/register", content=b"x" * 70_000)
    assert big.status_code == 413
    assert await count(engine, AdminPasskey) == 1


async def test_sign_in_with_a_passkey_instead_of_password_and_code(
    admin_client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        await enable_now(session, user)  # two-factor on: the passkey stands for both steps
    passkey = await _enrolled_owner(admin_client)
    client = admin_client
    assert (await client.get("/admin/")).status_code == 302

    signed_in, _ = await _sign_in(client, passkey)
    assert signed_in.status_code == 302, signed_in.text
    assert signed_in.headers["location"].endswith("/admin/")
    assert COOKIE_NAME in client.cookies and CHALLENGE_COOKIE not in client.cookies
    assert (await client.get("/admin/")).status_code == 200
    async with make_sessionmaker(engine)() as session:
        (stored,) = (await session.scalars(select(AdminPasskey))).all()
        sessions = (await session.scalars(select(AdminSession))).all()
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert len(sessions) == 2  # the registering one and this one
    page = await client.get("/admin/passkeys")
    assert "never" not in page.text

    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        user.is_active = False
    deactivated, _ = await _sign_in(client, passkey)
    assert deactivated.status_code == 401


async def test_a_replayed_sign_in_is_refused(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    passkey = await _enrolled_owner(admin_client)
    client = admin_client
    options = await client.post("/admin/passkey/options")
    cookie = options.cookies[CHALLENGE_COOKIE]
    answer = passkey.sign_in(options.json(), ORIGIN)
    assert (await client.post("/admin/passkey/login", json=answer)).status_code == 302
    client.cookies.clear()
    _put_challenge(client, cookie)
    replayed = await client.post("/admin/passkey/login", json=answer)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "This sign-in request was used already. Please try again."
    assert COOKIE_NAME not in client.cookies
    # A fresh signature over the used challenge is refused as well.
    _put_challenge(client, cookie)
    fresh = await client.post("/admin/passkey/login", json=passkey.sign_in(options.json(), ORIGIN))
    assert fresh.status_code == 400 and "used already" in fresh.json()["error"]


async def test_refusals_of_a_sign_in(
    admin_client: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    passkey = await _enrolled_owner(admin_client)
    client = admin_client

    unknown, _ = await _sign_in(client, SoftPasskey())
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "This passkey is not registered here."

    wrong_origin, _ = await _sign_in(client, passkey, "https://testserver.evil.example")
    assert wrong_origin.status_code == 400
    assert "another address" in wrong_origin.json()["error"]

    answer = passkey.sign_in(await _options(client), ORIGIN)
    signature = bytearray(base64url_to_bytes(answer["response"]["signature"]))
    signature[-1] ^= 0xFF
    answer["response"]["signature"] = bytes_to_base64url(bytes(signature))
    forged = await client.post("/admin/passkey/login", json=answer)
    assert forged.status_code == 401 and "signature" in forged.json()["error"]

    unverified = passkey.sign_in(await _options(client), ORIGIN, verified=False)
    refused = await client.post("/admin/passkey/login", json=unverified)
    assert refused.status_code == 401

    client.cookies.clear()
    started_nowhere = await client.post("/admin/passkey/login", json=answer)
    assert started_nowhere.status_code == 400
    assert "not started" in started_nowhere.json()["error"]

    options = await _options(client)
    expired = create_access_token(
        subject="login",
        secret_key=settings.secret_key,
        lifetime=timedelta(minutes=5),
        claims={"chl": options["challenge"]},
        audience=CHALLENGE_AUDIENCE,
        now=utcnow() - timedelta(minutes=6),
    )
    _put_challenge(client, expired)
    late = await client.post("/admin/passkey/login", json=passkey.sign_in(options, ORIGIN))
    assert late.status_code == 400 and "expired" in late.json()["error"]

    not_json = await client.post("/admin/passkey/login", content=b"{")
    assert not_json.status_code == 400 and not_json.json()["error"] == "The request is not JSON."
    nested = await client.post("/admin/passkey/login", content=b"[" * 60_000)
    assert nested.status_code == 400 and nested.json()["error"] == "The request is not JSON."
    garbled = passkey.sign_in(await _options(client), ORIGIN)
    client_data = {"type": "webauthn.get", "challenge": "A", "origin": ORIGIN}  # "A": no base64
    garbled["response"]["clientDataJSON"] = bytes_to_base64url(json.dumps(client_data).encode())
    malformed = await client.post("/admin/passkey/login", json=garbled)
    assert malformed.status_code == 400 and "malformed" in malformed.json()["error"]
    cross_site = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    for path in ("/admin/passkey/options", "/admin/passkey/login"):
        assert (await client.post(path, headers=cross_site)).status_code == 403
    assert await count(engine, AdminSession) == 1  # only the registering one


async def test_failed_passkey_sign_ins_count_against_the_login_throttle(
    admin_client: httpx.AsyncClient, owner: Owner, settings: Settings
) -> None:
    await _enrolled_owner(admin_client)
    client = admin_client
    stranger = SoftPasskey()
    statuses = [
        (await _sign_in(client, stranger))[0].status_code
        for _ in range(settings.login_max_failures + 1)
    ]
    assert statuses[:-1] == [401] * settings.login_max_failures
    assert statuses[-1] == 429
    refused = await client.post("/admin/passkey/login", json={})
    assert refused.status_code == 400  # not an answer: refused before it costs an attempt
    throttled, _ = await _sign_in(client, stranger)
    assert throttled.headers["retry-after"].isdigit()
    assert throttled.json()["error"].startswith("Too many failed login attempts. Try again in ")
    # The same counter as passwords: this address may not try a password either.
    password = await client.post(
        LOGIN, data={"username": owner.username, "password": owner.password}
    )
    assert password.status_code == 429


async def test_recovery_codes_still_log_in_once_a_passkey_exists(
    admin_client: httpx.AsyncClient, owner: Owner, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        _, codes = await enable_now(session, user)
    await _enrolled_owner(admin_client)
    client = admin_client
    step = await client.post(LOGIN, data={"username": owner.username, "password": owner.password})
    assert step.status_code == 200 and 'name="code"' in step.text
    assert 'id="passkey-login"' not in step.text  # the code step offers no second way
    done = await client.post(LOGIN, data={"code": codes[0]})
    assert done.status_code == 302
    assert (await client.get("/admin/")).status_code == 200


async def test_the_origin_follows_the_address_and_trusted_proxies(
    settings: Settings, engine: AsyncEngine, owner: Owner, admin_client: httpx.AsyncClient
) -> None:
    passkey = await _enrolled_owner(admin_client)
    ip_host = await admin_client.post("/admin/passkey/options", headers={"host": "127.0.0.1"})
    assert ip_host.status_code == 400 and "host name" in ip_host.json()["error"]
    # Not a trusted proxy: its X-Forwarded-Proto is ignored, http stays the origin.
    admin_client.headers["x-forwarded-proto"] = "https"
    untrusted, _ = await _sign_in(admin_client, passkey, "https://testserver")
    assert untrusted.status_code == 400 and "http://testserver" in untrusted.json()["error"]
    del admin_client.headers["x-forwarded-proto"]

    behind = settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]})
    app = create_app(behind, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
    headers = {"x-forwarded-proto": "https"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as proxied:
        plain, _ = await _sign_in(proxied, passkey, ORIGIN)
        assert plain.status_code == 400 and "https://testserver" in plain.json()["error"]
        secure, _ = await _sign_in(proxied, passkey, "https://testserver")
        assert secure.status_code == 302, secure.text
    await app.database.close()
