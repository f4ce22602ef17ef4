"""The EventBridge schedule retries a static copy a write could not publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cms.content.models import Skill
from cms.core.config import Settings
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker
from tests.databases import make_settings


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A file where the folder's parent should be: the copy cannot be written until removed."""
    path = tmp_path / "blocked"
    path.write_text("not a folder")
    return path


@pytest.fixture
def lambda_settings(database_url: str, blocked: Path) -> Settings:
    """The function publishes to a folder under ``blocked``."""
    return make_settings(database_url, publish_dir=str(blocked / "site"))


async def _edit(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        session.add(Skill(name="Python"))
        await session.commit()


def test_the_schedule_publishes_what_a_write_left_pending(invoke: Invoker, blocked: Path) -> None:
    invoke.container.run(_edit(invoke.app.state.sessionmaker))  # the save succeeds
    assert b"Python" in invoke("http_api_v2_default", "GET", "/api/v1/skills").body

    blocked.unlink()
    result = invoke.raw(helpers.load_event("scheduled_event"))
    assert result["static"] == {"folder": "ok"}, result
    manifest = json.loads((blocked / "site" / "current" / "manifest.json").read_text())
    assert b"Python" in (blocked / "site" / "current" / "api" / "v1" / "skills.json").read_bytes()
    assert "/api/v1/skills" in manifest["paths"]
