"""The EventBridge schedule: the Lambda handler runs the rebuild check itself."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cms.content.models import Skill
from cms.content.publish import fingerprint
from cms.core.config import Settings
from cms.core.models import ContentVersion
from cms.rebuild import EVENT_TYPE, redact_hook_url
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker
from tests.databases import make_settings
from tests.receiver import Receiver, hook_settings, running_receiver

HOOK = "/build_hooks/s3cr3t-token"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local build-hook receiver."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def lambda_settings(database_url: str, receiver: Receiver) -> Settings:
    """The function's settings: one hook on the local receiver, no debounce."""
    base = make_settings(database_url, service_name="cms-lambda-schedule")
    return hook_settings(base, receiver.url(HOOK), build_hook_debounce_seconds=0)


async def _edit(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> None:
    async with sessionmaker() as session:
        session.add(Skill(name=name))
        await session.commit()


def edit(invoke: Invoker, name: str) -> None:
    """One content write through the function's own engine (on the container's loop)."""
    invoke.container.run(_edit(invoke.app.state.sessionmaker, name))


def scheduled(invoke: Invoker) -> dict[str, Any]:
    """Invoke the handler with the stored EventBridge "Scheduled Event"."""
    result: dict[str, Any] = invoke.raw(helpers.load_event("scheduled_event"))
    return result


def metric_total(records: list[dict[str, Any]], name: str) -> float:
    """The sum of one metric over EMF records (Powertools writes a list for repeats)."""
    values = [record.get(name, 0) for record in records]
    return sum(sum(v) if isinstance(v, list) else v for v in values)


def test_only_schedule_events_are_taken_for_the_rebuild_check(container: Any) -> None:
    import lambda_handler  # after `container`, which imports it on its own thread, as Lambda does

    assert lambda_handler.is_scheduled_event(helpers.load_event("scheduled_event"))
    for kind in helpers.EVENT_KINDS:
        assert not lambda_handler.is_scheduled_event(helpers.load_event(kind)), kind


def test_the_schedule_rebuilds_a_change_once(
    invoke: Invoker, receiver: Receiver, lambda_settings: Settings
) -> None:
    nothing = scheduled(invoke)
    assert nothing["status"] == "skipped", nothing
    assert receiver.requests == []

    edit(invoke, "Python")
    edit(invoke, "SQL")
    rebuilt = scheduled(invoke)
    assert rebuilt["status"] == "success", rebuilt
    assert rebuilt["content_version"] == 2
    assert [hook["hook"] for hook in rebuilt["hooks"]] == [
        redact_hook_url(lambda_settings.build_hook_urls[0])
    ]
    assert "s3cr3t" not in json.dumps(rebuilt)
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["path"] == HOOK
    assert receiver.requests[0]["json"] == {
        "event_type": EVENT_TYPE,
        "client_payload": {"content_version": 2, "trigger": "schedule"},
    }

    again = scheduled(invoke)
    assert again["status"] == "skipped" and "is already rebuilt" in again["reason"], again
    assert len(receiver.requests) == 1

    # HTTP requests still go through Mangum in the same container.
    assert invoke("http_api_v2_default", "GET", "/health").status == 200

    edit(invoke, "Rust")
    assert scheduled(invoke)["status"] == "success"
    assert len(receiver.requests) == 2


def test_a_failing_hook_is_reported_in_the_result_logs_and_metrics(
    invoke: Invoker, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    import lambda_handler

    receiver.statuses[HOOK] = [500]
    edit(invoke, "Python")
    stream: Any = lambda_handler.logger.registered_handler  # a StreamHandler
    previous = stream.setStream(sys.stdout)
    try:
        failed = scheduled(invoke)
    finally:
        stream.setStream(previous)
    assert failed["status"] == "failed"
    assert failed["hooks"][0]["attempts"] == 3 and failed["hooks"][0]["error"] == "HTTP 500"
    assert len(receiver.requests) == 3  # the first try and two retries

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    logged = [r for r in records if r.get("message") == "scheduled rebuild"]
    assert [r["status"] for r in logged] == ["failed"]
    assert "s3cr3t" not in json.dumps(records)
    emf = [r for r in records if "_aws" in r]
    assert metric_total(emf, "PublishChecks") == 1
    assert metric_total(emf, "PublishFailures") == 1


async def _as_an_older_release(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(update(ContentVersion).values(fingerprint="an older release"))


async def _fingerprint(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    async with sessionmaker() as session:
        return await session.scalar(select(ContentVersion.fingerprint))


def test_the_schedule_publishes_this_releases_responses_once(
    invoke: Invoker, lambda_settings: Settings
) -> None:
    sessions = invoke.app.state.sessionmaker
    invoke.container.run(_as_an_older_release(sessions))

    first = scheduled(invoke)
    second = scheduled(invoke)

    assert first["published"] is True, "a set rendered by other code is rendered again"
    assert second["published"] is False, "and only once"
    expected = fingerprint(lambda_settings.public_base_url)
    assert invoke.container.run(_fingerprint(sessions)) == expected
