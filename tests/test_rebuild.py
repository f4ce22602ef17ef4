"""Rebuilds against a real local HTTP receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from typer.testing import CliRunner

import cms.cli
from cms.content.models import Skill
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import RebuildState
from cms.rebuild import (
    EVENT_TYPE,
    rebuild_if_changed,
    rebuild_now,
    rebuild_status,
    redact_hook_url,
)
from tests.receiver import DEBOUNCE, Receiver, hook_settings, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local build-hook receiver."""
    with running_receiver() as receiver:
        yield receiver


async def edit(session: AsyncSession, name: str) -> None:
    """One content write (bumps the content version)."""
    session.add(Skill(name=name))
    await session.commit()


def later(seconds: float = DEBOUNCE + 5) -> datetime:
    """A moment after the debounce window of an edit made now."""
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_no_hooks_configured_does_nothing(session: AsyncSession, settings: Settings) -> None:
    await edit(session, "Python")
    result = await rebuild_if_changed(session, settings)
    assert (result.status, result.reason) == ("skipped", "no build hooks are configured")
    assert (await rebuild_now(session, settings)).status == "skipped"


async def test_a_burst_of_edits_is_rebuilt_once_after_the_debounce(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    settings = hook_settings(settings, receiver.url("/netlify/abc"), receiver.url("/vercel/xyz"))
    for name in ("Python", "SQL", "Astro"):
        await edit(session, name)

    waiting = await rebuild_if_changed(session, settings)
    assert waiting.status == "skipped" and "waiting for edits to settle" in waiting.reason
    assert receiver.requests == []

    result = await rebuild_if_changed(session, settings, now=later())
    assert result.status == "success", result
    assert [len(receiver.calls(p)) for p in ("/netlify/abc", "/vercel/xyz")] == [1, 1]
    body = receiver.requests[0]["json"]
    assert body["event_type"] == EVENT_TYPE
    assert body["client_payload"] == {
        "content_version": result.content_version,
        "trigger": "schedule",
    }

    again = await rebuild_if_changed(session, settings, now=later())
    assert again.status == "skipped" and "is already rebuilt" in again.reason
    assert len(receiver.requests) == 2

    state = await rebuild_status(session)
    assert state.pending is False
    assert state.rebuilt_version == state.content_version == result.content_version
    assert state.last_status == "success" and state.last_success_at is not None

    await edit(session, "Rust")
    assert (await rebuild_status(session)).pending is True
    assert (await rebuild_if_changed(session, settings, now=later())).status == "success"
    assert len(receiver.requests) == 4


async def test_server_errors_are_retried_with_backoff(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses["/hook"] = [503, 502, 200]
    settings = hook_settings(settings, receiver.url("/hook"), build_hook_retries=2)
    await edit(session, "Python")
    result = await rebuild_if_changed(session, settings, now=later())
    assert result.status == "success"
    assert result.hooks[0].attempts == 3 and result.hooks[0].status_code == 200
    assert len(receiver.calls("/hook")) == 3


async def test_a_rejected_hook_fails_visibly_and_backs_off(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses["/hooks/secret-token-123"] = [404]
    settings = hook_settings(settings, receiver.url("/hooks/secret-token-123"))
    await edit(session, "Python")

    result = await rebuild_if_changed(session, settings, now=later())
    assert result.status == "failed"
    assert result.hooks[0].attempts == 1  # a 404 is not retried
    assert result.hooks[0].error == "HTTP 404"

    state = await rebuild_status(session)
    assert state.pending is True and state.last_status == "failed"
    assert state.last_results[0]["hook"] == redact_hook_url(settings.build_hook_urls[0])
    assert "secret-token-123" not in json.dumps(state.last_results)

    backing_off = await rebuild_if_changed(session, settings, now=later())
    assert backing_off.status == "skipped" and "backing off" in backing_off.reason
    assert len(receiver.requests) == 1

    receiver.statuses["/hooks/secret-token-123"] = [204]
    retried = await rebuild_if_changed(session, settings, now=later(DEBOUNCE + 400))
    assert retried.status == "success"
    assert (await rebuild_status(session)).pending is False


async def test_after_a_partial_failure_only_the_failed_hook_is_called_again(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses["/bad"] = [500]
    settings = hook_settings(
        settings, receiver.url("/good"), receiver.url("/bad"), build_hook_retries=1
    )
    await edit(session, "Python")
    result = await rebuild_if_changed(session, settings, now=later())
    assert result.status == "partial"
    assert [hook.ok for hook in result.hooks] == [True, False]
    assert len(receiver.calls("/bad")) == 2  # retried once

    receiver.statuses["/bad"] = [200]
    retried = await rebuild_if_changed(session, settings, now=later(DEBOUNCE + 400))
    assert retried.status == "success"
    assert len(receiver.calls("/good")) == 1
    assert len(receiver.calls("/bad")) == 3


async def test_an_unreachable_hook_is_reported_without_its_url(
    session: AsyncSession, settings: Settings
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/build_hooks/s3cr3t"
    settings = hook_settings(settings, url, build_hook_retries=1)
    await edit(session, "Python")
    result = await rebuild_now(session, settings)
    assert result.status == "failed"
    assert result.hooks[0].attempts == 2
    assert result.hooks[0].error == "ConnectError (no answer)"
    assert "s3cr3t" not in json.dumps((await rebuild_status(session)).last_results)


async def test_a_malformed_hook_url_fails_alone_without_its_url(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    bad = "http://hooks.example:s3cr3t/build"  # httpx.InvalidURL, which is no httpx.HTTPError
    settings = hook_settings(settings, bad, receiver.url("/good"), build_hook_retries=2)
    await edit(session, "Python")
    result = await rebuild_now(session, settings)
    assert result.status == "partial"
    assert [hook.ok for hook in result.hooks] == [False, True]
    assert result.hooks[0].attempts == 1  # not retried
    assert result.hooks[0].error == "InvalidURL (not called)"
    assert len(receiver.calls("/good")) == 1
    state = await rebuild_status(session)
    assert state.last_status == "partial"
    assert "s3cr3t" not in json.dumps(state.last_results)


async def test_rebuild_now_calls_every_hook_even_when_up_to_date(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    settings = hook_settings(settings, receiver.url("/a"), receiver.url("/b"))
    await edit(session, "Python")
    first = await rebuild_now(session, settings)
    second = await rebuild_now(session, settings)
    assert (first.status, second.status) == ("success", "success")
    assert len(receiver.requests) == 4
    assert receiver.requests[0]["json"]["client_payload"]["trigger"] == "button"
    # The button rebuilt the site: the scheduled check has nothing left to do.
    assert (await rebuild_if_changed(session, settings, now=later())).status == "skipped"
    state = await rebuild_status(session)
    assert state.last_trigger == "button" and state.pending is False


async def test_one_instance_at_a_time_calls_the_hooks(
    session: AsyncSession, settings: Settings, receiver: Receiver, engine: AsyncEngine
) -> None:
    settings = hook_settings(settings, receiver.url("/hook"))
    await edit(session, "Python")
    await rebuild_now(session, settings)  # creates the state row
    await session.execute(
        update(RebuildState)
        .values(locked_until=datetime.now(UTC) + timedelta(minutes=5))
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    await edit(session, "SQL")
    result = await rebuild_if_changed(session, settings, now=later())
    assert result.status == "skipped" and "another instance" in result.reason
    assert len(receiver.requests) == 1


async def test_concurrent_checks_rebuild_once(
    settings: Settings, receiver: Receiver, engine: AsyncEngine
) -> None:

    settings = hook_settings(settings, receiver.url("/hook"))
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await edit(session, "Python")
        await rebuild_status(session)

    async def check() -> str:
        async with sessionmaker() as session:
            return (await rebuild_if_changed(session, settings, now=later())).status

    statuses = await asyncio.gather(*(check() for _ in range(4)))
    assert statuses.count("success") == 1, statuses
    assert len(receiver.requests) == 1


async def test_github_dispatch_gets_the_token(
    session: AsyncSession, settings: Settings, receiver: Receiver
) -> None:
    settings = hook_settings(
        settings,
        receiver.url("/repos/owner/site/dispatches"),
        receiver.url("/plain"),
        build_hook_github_token=SecretStr("ghp_example"),
    )
    await edit(session, "Python")
    await rebuild_now(session, settings)
    github = receiver.calls("/repos/owner/site/dispatches")[0]["headers"]
    plain = receiver.calls("/plain")[0]["headers"]
    assert github["Authorization"] == "Bearer ghp_example"
    assert github["Accept"] == "application/vnd.github+json"
    assert "Authorization" not in plain


async def test_cli_rebuild(
    session: AsyncSession,
    settings: Settings,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = hook_settings(settings, receiver.url("/hook"), build_hook_debounce_seconds=0)
    monkeypatch.setattr(cms.cli, "get_settings", lambda: settings)
    await edit(session, "Python")
    runner = CliRunner()

    rebuilt = await asyncio.to_thread(runner.invoke, cms.cli.app, ["rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.output.startswith("success: 1 of 1 build hook(s) accepted")
    assert f"{redact_hook_url(receiver.url('/hook'))}: ok" in rebuilt.output

    nothing = await asyncio.to_thread(runner.invoke, cms.cli.app, ["rebuild"])
    assert nothing.output.startswith("skipped: content version")

    receiver.statuses["/hook"] = [400]
    failed = await asyncio.to_thread(runner.invoke, cms.cli.app, ["rebuild", "--now"])
    assert failed.exit_code == 1
    assert "HTTP 400" in failed.output
    assert len(receiver.requests) == 2


async def test_the_poller_of_a_long_running_server_rebuilds_a_burst_once(
    settings: Settings, receiver: Receiver, engine: AsyncEngine
) -> None:
    from cms.main import create_app

    # SQLite keeps the edit time to the second: the debounce must span more than that.
    settings = hook_settings(
        settings, receiver.url("/hook"), build_hook_debounce_seconds=2, build_hook_poll_seconds=0.05
    )
    app = create_app(settings, engine)
    # The lifespan uvicorn runs around the app's life.
    async with app.app.router.lifespan_context(app.app):
        async with app.state.sessionmaker() as session:
            for name in ("Python", "SQL", "Astro"):
                await edit(session, name)
        for _ in range(200):  # up to 10 s
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a few more polls: nothing new to rebuild
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["json"]["client_payload"]["trigger"] == "poller"
