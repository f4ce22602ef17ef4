"""Scheduled publishing on Lambda: EventBridge's per-minute "Scheduled Event" applies it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cms.content.models import Skill
from cms.core.models import utcnow
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker
from tests.aws.test_template import TEMPLATE


async def _schedule(
    sessionmaker: async_sessionmaker[AsyncSession], *, seconds: float, name: str
) -> int:
    async with sessionmaker() as session, session.begin():
        skill = Skill(name=name, is_published=False, publish_at=utcnow() + timedelta(0, seconds))
        session.add(skill)
        await session.flush()
        assert skill.id is not None
        return skill.id


def _public_skills(invoke: Invoker) -> list[str]:
    response = invoke("http_api_v2_default", "GET", "/api/v1/skills")
    assert response.status == 200
    return [skill["name"] for skill in json.loads(response.body)]


def test_the_scheduled_event_publishes_what_is_due_and_what_falls_due_within_its_lookahead(
    invoke: Invoker,
) -> None:
    sessions = invoke.app.state.sessionmaker
    due = invoke.container.run(_schedule(sessions, seconds=-5, name="Due"))
    soon = invoke.container.run(_schedule(sessions, seconds=1, name="Soon"))
    later = invoke.container.run(_schedule(sessions, seconds=3600, name="Later"))
    assert _public_skills(invoke) == []

    result: dict[str, Any] = invoke.raw(helpers.load_event("scheduled_event"))

    applied = result["publish_due"]["applied"]
    assert [(change["id"], change["action"]) for change in applied] == [
        (due, "publish"),
        (soon, "publish"),
    ]
    assert result["publish_due"]["failed"] == []
    next_at = result["publish_due"]["next_at"]
    assert next_at is not None and later not in {change["id"] for change in applied}
    assert sorted(_public_skills(invoke)) == ["Due", "Soon"]

    again = invoke.raw(helpers.load_event("scheduled_event"))
    assert again["publish_due"]["applied"] == []


def test_the_template_runs_the_schedule_every_minute_with_or_without_build_hooks() -> None:
    template = TEMPLATE.read_text(encoding="utf-8")
    rule = template.split("        RebuildCheck:\n", 1)[1].split("\n        Everything:", 1)[0]

    assert "Type: Schedule" in rule and "State: ENABLED" in rule
    assert re.search(r"RebuildSchedule:\n    Type: String\n    Default: rate\(1 minute\)", template)
    assert "OWNER_TIMEZONE: !Ref OwnerTimezone" in template


def test_an_applied_change_moves_the_version_the_build_hooks_follow(
    container: Any, database_url: str, engine: Any
) -> None:
    from cms.main import create_app
    from tests.databases import make_settings
    from tests.receiver import hook_settings, running_receiver

    with running_receiver() as receiver:
        settings = hook_settings(
            make_settings(database_url, service_name="cms-lambda-scheduled"),
            receiver.url("/hook"),
            build_hook_debounce_seconds=0,
        )
        invoke = Invoker(container, create_app(settings))
        try:
            invoke.container.run(_schedule(invoke.app.state.sessionmaker, seconds=-1, name="Due"))
            result: dict[str, Any] = invoke.raw(helpers.load_event("scheduled_event"))
        finally:
            container.run(invoke.app.state.engine.dispose())

    assert [change["label"] for change in result["publish_due"]["applied"]] == ["Due"]
    assert result["status"] == "success", result
    (hook,) = receiver.requests
    assert hook["json"]["client_payload"] == {
        "content_version": result["content_version"],
        "trigger": "schedule",
    }
