"""The OpenAPI document tells the truth: Schemathesis, every check, against a live server.

The sample CV is served by uvicorn (its own thread and event loop, its own engine) from a SQLite
file and from a PostgreSQL database of its own; Schemathesis's command line runs all its phases
(examples, coverage, fuzzing, stateful) with ``--checks all`` against every operation, once as a
stranger and once with a read-drafts token. A fixed seed and a bounded number of cases keep it
repeatable.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cms.content.seeding import SEED_DIR, seed_database
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.core.migrate import upgrade_async
from cms.core.tokens import create_token
from cms.main import create_app
from tests.databases import BACKENDS, make_settings, scratch_postgres
from tests.servers import serving_app

SCHEMATHESIS = Path(sys.executable).with_name("st")
MAX_EXAMPLES = 12  # per operation and phase: the four runs take under a minute together
SEED = 20261206


async def _seed(database_url: str) -> str:
    """Migrate, load the sample CV (drafts included); returns a new read-drafts token."""
    engine = create_engine(make_settings(database_url))
    try:
        await upgrade_async(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_database(session, SEED_DIR)
            _, token = await create_token(
                session, name="schemathesis", scope="read-drafts", expires_in_days=None, actor="ci"
            )
    finally:
        await engine.dispose()
    return token


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind to serve from; PostgreSQL skips (or fails, in CI) without a server."""
    if request.param == "postgresql":
        request.getfixturevalue("postgresql_url")
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
async def served(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """The sample CV served live from a database of its own, and a read-drafts token."""
    async with contextlib.AsyncExitStack() as stack:
        if backend == "postgresql":
            url = await stack.enter_async_context(scratch_postgres("cms_conformance"))
        else:
            url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('conformance') / 'cms.db'}"
        token = await _seed(url)
        app = create_app(make_settings(url, build_hook_poll_seconds=0))
        with serving_app(app) as base:
            yield base, token


@pytest.mark.parametrize("identity", ["stranger", "owner"])
async def test_every_operation_passes_every_schemathesis_check(
    served: tuple[str, str], identity: str, tmp_path: Path
) -> None:
    base, token = served
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{base}/openapi.json",
        "--checks=all",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--generation-deterministic",
        # One worker: Hypothesis parses source to describe strategies, and two threads doing so
        # at once can crash CPython 3.11's ast module (gh-106905), a runtime error of the tool.
        "--workers=1",
        "--no-color",
    ]
    if identity == "owner":
        command.append(f"--header=Authorization: Bearer {token}")
    else:
        # Without a token a write is a 405 by design (DESIGN §4; documented on the PUT):
        # the stranger's run reads, the owner's run exercises the PUT with a token.
        command.append("--include-method=GET")
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,  # any report or cache stays out of the checkout
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate())[0].decode()

    assert process.returncode == 0, output
    summary = re.search(r"Selected: (\d+)/(\d+).*?(\d+) generated", output, re.DOTALL)
    assert summary is not None, output
    selected, total = int(summary[1]), int(summary[2])
    assert selected == (total if identity == "owner" else total - 1), output
    print(f"{identity}: {selected} operations, {summary[3]} cases, 0 failures")
