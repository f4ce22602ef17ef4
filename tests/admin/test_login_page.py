"""The login page and its files, answered before the back office is built, are its own."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.loginpage import LOGIN_PAGE, answer_before_build
from cms.core.config import Settings
from cms.core.readsettings import ReadSettings
from cms.main import create_app, create_full_app
from cms.public.readpath import ReadPath

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _unbuilt(settings: Settings, engine: AsyncEngine) -> ReadPath:
    """The read path as on Lambda: the full app built on first need."""
    return ReadPath(
        ReadSettings.from_settings(settings),
        build_app=lambda: create_full_app(settings, engine),
        before_build=answer_before_build,
    )


def _without_nonce(response: httpx.Response) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers in order and body, this response's nonce blanked out."""
    match = NONCE.search(response.headers["content-security-policy"])
    assert match, response.headers
    nonce = match.group(1)
    headers = [(name, value.replace(nonce, "N")) for name, value in response.headers.items()]
    assert nonce in response.text
    return response.status_code, headers, response.text.replace(nonce, "N")


async def _get(
    app: ReadPath, base_url: str, root_path: str = "", path: str = LOGIN_PAGE, method: str = "GET"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        return await client.request(method, root_path + path)


@pytest.fixture
async def built(settings: Settings, engine: AsyncEngine) -> AsyncIterator[ReadPath]:
    """The read path in front of a full app built at once (``cms serve``)."""
    app = create_app(settings, engine)
    yield app
    await app.database.close()


@pytest.mark.parametrize(
    ("base_url", "root_path"),
    [
        ("http://testserver", ""),
        ("https://cms.example.org", ""),
        ("https://abc.execute-api.eu-west-1.amazonaws.com", "/prod"),
    ],
)
async def test_the_page_before_the_build_is_the_back_offices_own(
    settings: Settings, engine: AsyncEngine, built: ReadPath, base_url: str, root_path: str
) -> None:
    unbuilt = _unbuilt(settings, engine)
    early = await _get(unbuilt, base_url, root_path)
    assert not unbuilt.app_built
    assert early.status_code == 200
    assert f'action="{base_url}{root_path}/admin/login"' in early.text
    assert f'src="{base_url}{root_path}/admin/assets/passkeys.js"' in early.text
    assert early.headers["cache-control"] == "no-store"
    assert early.headers["x-frame-options"] == "DENY"

    assert _without_nonce(early) == _without_nonce(await _get(built, base_url, root_path))
    await unbuilt.database.close()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/statics/css/tabler.min.css",
        "/admin/statics/webfonts/fa-solid-900.woff2",
        "/admin/assets/theme.js",
        "/admin/assets/passkeys.js",
        "/admin/assets/no-such-file.js",
        "/admin/statics/%2E%2E/%2E%2E/%2E%2E/cms/main.py",
    ],
)
@pytest.mark.parametrize("root_path", ["", "/prod"])
async def test_the_files_the_page_loads_are_the_back_offices_own(
    settings: Settings, engine: AsyncEngine, built: ReadPath, path: str, root_path: str
) -> None:
    unbuilt = _unbuilt(settings, engine)
    early = await _get(unbuilt, "https://cms.example.org", root_path, path)
    assert unbuilt.app_built == (early.status_code == 404), "a file not found: the back office"
    late = await _get(built, "https://cms.example.org", root_path, path)
    assert early.status_code == late.status_code
    assert early.status_code == (200 if "no-such" not in path and "%2E" not in path else 404)
    nonces = [NONCE.search(r.headers["content-security-policy"]) for r in (early, late)]
    assert nonces[0] and nonces[1]
    answers = [
        (
            [(k, v.replace(n.group(1), "N")) for k, v in r.headers.items()],
            r.content.replace(n.group(1).encode(), b"N"),
        )
        for r, n in zip((early, late), nonces, strict=True)
    ]
    assert answers[0] == answers[1]
    await unbuilt.database.close()


async def test_each_answer_has_its_own_nonce(settings: Settings, engine: AsyncEngine) -> None:
    app = _unbuilt(settings, engine)
    first, second = [await _get(app, "http://testserver") for _ in range(2)]
    nonces = [NONCE.search(r.headers["content-security-policy"]) for r in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0].group(1) != nonces[1].group(1)
    assert f'nonce="{nonces[1].group(1)}"' in second.text
    assert not app.app_built
    await app.database.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [("HEAD", LOGIN_PAGE), ("GET", LOGIN_PAGE + "?next=%01"), ("POST", LOGIN_PAGE)],
)
async def test_anything_but_a_plain_get_goes_to_the_back_office(
    settings: Settings, engine: AsyncEngine, method: str, path: str
) -> None:
    app = _unbuilt(settings, engine)
    response = await _get(app, "http://testserver", path=path, method=method)
    assert app.app_built
    assert response.status_code in {200, 400}  # a control character, an empty form: refused
    await app.database.close()


async def test_once_built_the_back_office_answers_the_page(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = _unbuilt(settings, engine)
    assert (await _get(app, "http://testserver", path="/admin/")).status_code == 302
    assert app.app_built
    page = await _get(app, "http://testserver")
    assert page.status_code == 200 and "sqladmin" in sys.modules
    await app.database.close()


_PROBE = """
import asyncio, sys
import httpx
from cms.admin.loginpage import LOGIN_PAGE, answer_before_build
from cms.core.readsettings import ReadSettings
from cms.public.readpath import ReadPath
app = ReadPath(ReadSettings(database_url={url!r}), build_app=None,
               before_build=answer_before_build)
async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(LOGIN_PAGE)
        assert response.status_code == 200, response.status_code
        styles = await client.get("/admin/statics/css/tabler.min.css")
        assert styles.status_code == 200, styles.status_code
    await app.database.close()
asyncio.run(main())
print(",".join(m for m in {stack!r} if m in sys.modules))
"""


def test_the_page_needs_neither_sqlalchemy_nor_sqladmin(tmp_path: object) -> None:
    stack = ("sqlalchemy", "sqlmodel", "sqladmin", "fastapi", "pydantic", "wtforms", "passlib")
    url = f"sqlite+aiosqlite:///{tmp_path}/unused.db"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(url=url, stack=stack)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
