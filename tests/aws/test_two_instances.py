"""One PostgreSQL, two instances: uvicorn and a Lambda container both serve an edit in the bound."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.main import create_app
from tests.aws import lambda_helpers as helpers
from tests.databases import make_settings
from tests.public.cache_helpers import add_skill

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

INTERVAL = 1.0  # CACHE_VERSION_CHECK_INTERVAL of both instances, seconds
SLACK = 0.5  # seconds: a poll's own time, process scheduling
SKILLS = "/api/v1/skills"


@pytest.fixture
def uvicorn_instance(database_url: str) -> Iterator[str]:
    """The app under uvicorn in a thread of its own (its own loop), on the test database."""
    settings = make_settings(database_url, cache_version_check_interval=INTERVAL)
    port = helpers.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_an_edit_reaches_uvicorn_and_lambda_within_the_bound(
    engine: AsyncEngine, database_url: str, uvicorn_instance: str, app: object
) -> None:
    await add_skill(app, "Python")  # type: ignore[arg-type]
    event = helpers.make_event("http_api_v2_default", "GET", SKILLS)
    env = helpers.container_env(
        DATABASE_URL=database_url,
        ENVIRONMENT="test",
        CACHE_VERSION_CHECK_INTERVAL=str(INTERVAL),
    )
    actions = [{"event": event}, {"poll": event, "until": '"Go"', "timeout": 30}]
    container = helpers.start_container(env, actions)
    assert container.stdout is not None
    primed = ""
    while not primed.startswith("RESULT "):  # the first GET was answered (metrics come first)
        primed = await asyncio.to_thread(container.stdout.readline)
        assert primed, "the container stopped"
    async with httpx.AsyncClient(base_url=uvicorn_instance) as client:
        assert "Python" in (await client.get(SKILLS)).text  # uvicorn holds the old version too
        await add_skill(app, "Go")  # type: ignore[arg-type]
        committed = time.time()
        while '"Go"' not in (await client.get(SKILLS)).text:
            assert time.time() - committed < 30
            await asyncio.sleep(0.01)
        uvicorn_seen = time.time() - committed
    out, err = await asyncio.to_thread(container.communicate, timeout=60)
    assert container.returncode == 0, err[-3000:]
    (polled,) = [line for line in out.splitlines() if line.startswith("RESULT ")]
    lambda_seen = json.loads(polled[7:])["seen_at"] - committed

    assert uvicorn_seen <= INTERVAL + SLACK
    assert lambda_seen <= INTERVAL + SLACK
