"""``/api/v1/resume?version=N`` through the Lambda handler: for a read-drafts token only."""

from __future__ import annotations

from typing import Any

import pytest

from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.core.db import current_content_version
from cms.core.tokens import create_token
from tests.aws.lambda_helpers import Invoker


async def _arrange(engine: Any) -> tuple[int, str]:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Work(company="Before Ltd"))
        _, token = await create_token(
            session, name="ci", scope="read-drafts", expires_in_days=None, actor="owner"
        )
    async with make_sessionmaker(engine)() as session:
        version = await current_content_version(session)
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Work(company="After Ltd"))
    return version, token


@pytest.mark.parametrize("kind", ["http_api_v2_stage", "rest_api_v1_stage"])
async def test_an_earlier_version_needs_a_token(invoke: Invoker, engine: Any, kind: str) -> None:
    version, token = await _arrange(engine)

    plain = invoke(kind, "GET", "/api/v1/resume", query=f"version={version}")
    owner = invoke(
        kind, "GET", "/api/v1/resume", query=f"version={version}", headers={"X-API-Key": token}
    )
    now = invoke(kind, "GET", "/api/v1/resume")

    assert plain.status == 404
    assert owner.status == 200, owner.text
    assert owner.headers["cache-control"] == "private, no-store"
    names = [job["name"] for job in owner.json()["work"]]
    assert names == ["Before Ltd"]
    assert sorted(job["name"] for job in now.json()["work"]) == ["After Ltd", "Before Ltd"]
