"""Clean failures and trust: control characters, database outages, hosts, forwarded addresses,
POST-only actions, the CSP and CSV exports (findings 4–8 of the owner-security issue).
"""

from __future__ import annotations

import asyncio
import csv
import io
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.admin.headers import SECURITY_HEADERS
from cms.cli.server import uvicorn_options
from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import LoginAttempt
from cms.main import create_app
from tests.admin.helpers import Owner, count, token_for, work_form
from tests.databases import make_settings

LOGIN = "/admin/login"


def _assert_admin_error_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<!DOCTYPE html>" in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["content-security-policy"]


# --- finding 4: control characters -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/admin/work/list?search=%00", "/admin/work/list?search=a%01b", "/admin/work/list?x%00=1"],
)
async def test_control_characters_in_a_query_are_a_400_page(
    admin_client: httpx.AsyncClient, url: str
) -> None:
    _assert_admin_error_page(await admin_client.get(url), 400)


async def test_control_characters_in_a_form_are_a_400_page(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await admin_client.post("/admin/work/create", data=work_form(company="Ac\x00me"))
    _assert_admin_error_page(response, 400)
    multipart = await admin_client.post(
        "/admin/work/create", files={"company": (None, "Ac\x07me")}, data={}
    )
    _assert_admin_error_page(multipart, 400)
    assert await count(engine, Work) == 0
    # Tabs and newlines are text, not control characters.
    fine = await admin_client.post(
        "/admin/work/create", data=work_form(summary="Line one\r\n\tLine two")
    )
    assert fine.status_code == 302


# --- finding 5: database outage ----------------------------------------------------------------


@pytest.fixture
def offline_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose database cannot be reached (same kind as the one under test)."""
    if database_url.startswith("sqlite"):
        missing = tmp_path_factory.mktemp("offline") / "no-such-dir" / "cms.db"
        return make_settings(f"sqlite+aiosqlite:///{missing}")
    return make_settings("postgresql://postgres@127.0.0.1:9/cms", database_timeout=2.0)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/admin/"), ("GET", "/admin/work/list"), ("POST", "/admin/work/create")],
)
async def test_a_database_outage_is_a_503_page(
    offline_settings: Settings, method: str, path: str
) -> None:
    app = create_app(offline_settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = Owner(1, "owner", "", "hash")
        client.cookies.set(COOKIE_NAME, token_for(owner, offline_settings))
        response = await client.request(
            method, path, data=work_form() if method == "POST" else None
        )
        login = await client.post(LOGIN, data={"username": "owner", "password": "whatever it is"})
    for answer in (response, login):
        _assert_admin_error_page(answer, 503)
        assert int(answer.headers["retry-after"]) > 0
        assert "database is unavailable" in answer.text
    await app.state.engine.dispose()


# --- finding 6: hosts and forwarded addresses ------------------------------------------------


async def test_a_forged_host_is_never_echoed_in_a_redirect(
    engine: AsyncEngine, database_url: str, owner: Owner
) -> None:
    app = create_app(Settings(environment="test", database_url=database_url), engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        evil = {"Host": "evil.example"}
        login = await client.post(
            LOGIN, data={"username": owner.username, "password": owner.password}, headers=evil
        )
        client.cookies.clear()
        closed = await client.get("/admin/", headers=evil)
        slash = await client.get("/health/", headers=evil)
    for response in (login, closed, slash):
        assert response.status_code in (302, 307)
        assert "evil.example" not in response.headers["location"]
        assert response.headers["location"].startswith("/")


async def test_allowed_hosts_refuses_other_hosts(engine: AsyncEngine, database_url: str) -> None:
    settings = make_settings(database_url, allowed_hosts=["cms.example.com"])
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cms.example.com:8443") as ok:
        page = await ok.get(LOGIN)
        assert page.status_code == 200  # ports are ignored
        assert (await ok.get("/health/")).headers["location"].startswith("http://cms.example.com")
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as evil:
        _assert_admin_error_page(await evil.get(LOGIN), 400)
        api = await evil.get("/health")
        assert api.status_code == 400 and api.json()["status_code"] == 400


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    engine: AsyncEngine, database_url: str
) -> None:
    async def failed_from(settings: Settings, peer: str, forwarded: str) -> str:
        app = create_app(settings, engine)
        transport = httpx.ASGITransport(app=app, client=(peer, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.post(
                LOGIN,
                data={"username": "nobody-at-all", "password": "wrong password!!"},
                headers={"X-Forwarded-For": forwarded},
            )
        async with make_sessionmaker(engine)() as session:
            rows = await session.scalars(select(LoginAttempt).order_by(LoginAttempt.id.desc()))  # type: ignore[union-attr]
            return rows.first().client  # type: ignore[union-attr]

    plain = make_settings(database_url)
    proxied = make_settings(database_url, trusted_proxies=["10.0.0.0/8"])
    assert await failed_from(plain, "127.0.0.1", "203.0.113.5") == "127.0.0.1"
    assert await failed_from(proxied, "10.1.2.3", "1.1.1.1, 203.0.113.6") == "203.0.113.6"
    assert await failed_from(proxied, "10.1.2.3", "203.0.113.7, 10.4.4.4") == "203.0.113.7"
    assert await failed_from(proxied, "192.0.2.1", "203.0.113.8") == "192.0.2.1"


@pytest.fixture
def served(settings: Settings, engine: AsyncEngine) -> Iterator[str]:
    """The app under uvicorn as ``cms serve`` runs it (its own thread, loop and engine)."""
    import uvicorn

    options = uvicorn_options(host="127.0.0.1", port=0, reload=False)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        proxy_headers=options["proxy_headers"],
    )
    server = uvicorn.Server(config)
    app = config.app

    async def serve() -> None:
        try:
            await server.serve()
        finally:
            await app.state.engine.dispose()  # type: ignore[union-attr]

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_forwarded_for_from_loopback_does_not_make_new_clients(
    served: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        statuses = [
            (
                await client.post(
                    LOGIN,
                    data={"username": f"guess-{n}", "password": "wrong password!!"},
                    headers={"X-Forwarded-For": f"198.18.0.{n}"},
                )
            ).status_code
            for n in range(12)
        ]
    limit = settings.login_max_failures
    assert statuses == [400] * limit + [429] * (12 - limit)


# --- finding 7: state changes only by POST -----------------------------------------------------


async def test_list_actions_refuse_get(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await admin_client.post("/admin/work/create", data=work_form(is_published=None))
    async with make_sessionmaker(engine)() as session:
        work = (await session.scalars(select(Work))).one()
    for action in ("publish", "unpublish"):
        response = await admin_client.get(f"/admin/work/action/{action}?pks={work.id}")
        _assert_admin_error_page(response, 405)
        assert response.headers["allow"] == "POST"
    async with make_sessionmaker(engine)() as session:
        assert (await session.get(Work, work.id)).is_published is False  # type: ignore[union-attr]
    cross = await admin_client.post(
        f"/admin/work/action/publish?pks={work.id}", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    posted = await admin_client.post(f"/admin/work/action/publish?pks={work.id}")
    assert posted.status_code == 302


async def test_logout_by_post(admin_client: httpx.AsyncClient) -> None:
    response = await admin_client.post("/admin/logout")
    assert response.status_code == 302
    assert (await admin_client.get("/admin/")).status_code == 302


# --- finding 8: CSP and CSV -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/work/list", "/admin/login"])
async def test_csp_allows_only_own_scripts_with_a_fresh_nonce(
    admin_client: httpx.AsyncClient, path: str
) -> None:
    first, second = await admin_client.get(path), await admin_client.get(path)
    policies = [r.headers["content-security-policy"] for r in (first, second)]
    for policy in policies:
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
        assert directives["default-src"] == "'self'"
        assert directives["script-src"].startswith("'self' 'nonce-")
        assert "unsafe-inline" not in directives["script-src"]
        assert "unsafe-eval" not in directives["script-src"]
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
    assert policies[0] != policies[1]


async def test_csv_export_neutralises_formulas(admin_client: httpx.AsyncClient) -> None:
    dangerous = {
        "company": '=HYPERLINK("http://evil.example","Click")',
        "position": "+cmd|' /C calc'!A0",
        "location": "@SUM(1+1)",
        "summary": "-2+3",
    }
    assert (
        await admin_client.post("/admin/work/create", data=work_form(**dangerous))
    ).status_code == 302
    export = await admin_client.get("/admin/work/export/csv")
    assert export.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(export.text)))
    assert row["company"] == "'" + dangerous["company"]
    for name, value in dangerous.items():
        assert row.get(name, "'" + value) == "'" + value
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
