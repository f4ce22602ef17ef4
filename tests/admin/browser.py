"""A live back office for browser tests: uvicorn in a thread, Debian's Chromium, a logged-in owner.

Shared by the browser test modules (``test_browser.py`` and the accessibility checks).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cms.core.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
USERNAME = "owner"
PASSWORD = "browser test password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    message = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _prepare_database(settings: Settings, *, sample: bool = False) -> None:
    from cms.admin.accounts import create_admin
    from cms.content.models import Technology
    from cms.content.seeding import SEED_DIR, seed_database
    from cms.content.session import make_sessionmaker
    from cms.core.db import create_engine
    from cms.core.migrate import upgrade_async

    engine = create_engine(settings)
    try:
        await upgrade_async(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await create_admin(session, USERNAME, PASSWORD)
            if sample:
                await seed_database(session, SEED_DIR)
            else:
                session.add_all([Technology(name=n) for n in ("Python", "PostgreSQL", "Go")])
    finally:
        await engine.dispose()


@contextlib.contextmanager
def serving(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str | None = None,
    *,
    sample: bool = False,
    **settings_values: Any,
) -> Iterator[str]:
    """The app under uvicorn in a background thread, on a fresh SQLite file (or on the empty
    database of ``database_url``; with the sample CV from ``seed/`` if asked;
    ``settings_values``: settings beyond the defaults)."""
    import uvicorn

    from cms.main import create_app

    require_chromium()
    database = tmp_path_factory.mktemp("browser") / "cms.db"
    url = database_url or f"sqlite+aiosqlite:///{database}"
    settings = Settings(
        environment="test",
        database_url=url,
        backup_dir=str(database.parent / "backups"),
        **settings_values,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )

    def serve() -> None:
        # Its own thread, its own event loop: schema and owner first, then the server.
        asyncio.run(_prepare_database(settings, sample=sample))
        server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


async def log_in(page: Any, base: str) -> None:
    """Log in as the owner on ``page`` (a Playwright page)."""
    await page.goto(f"{base}/admin/login")
    await page.fill("#username", USERNAME)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
