"""The tick beside a long-running server (``cms serve``, ``cms dev``): the app's lifespan."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Skill
from cms.content.schedule import SCHEDULE_ACTOR
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AuditLog, utcnow
from cms.main import create_app


async def _public_names(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/skills")
    assert response.status_code == 200
    return [skill["name"] for skill in response.json()]


async def _until_public(client: httpx.AsyncClient, name: str, *, seconds: float) -> list[str]:
    """The public skills once ``name`` is among them, or after ``seconds`` (a test timeout)."""
    names: list[str] = []
    for _ in range(int(seconds / 0.05)):
        names = await _public_names(client)
        if name in names:
            break
        await asyncio.sleep(0.05)
    return names


async def test_the_servers_tick_publishes_at_the_time_and_hears_new_schedules(
    settings: Settings, engine: AsyncEngine
) -> None:
    # A long interval: every change here is applied at its time, because the tick knows of it
    # (written before the server started) or hears the commit that scheduled it.
    settings = settings.model_copy(update={"publish_due_poll_seconds": 300})
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(Skill(name="Early", is_published=False, publish_at=utcnow() + timedelta(1)))
        session.add(Skill(name="Known", is_published=False, publish_at=utcnow()))
        session.add(
            Skill(name="Ending", is_published=True, unpublish_at=utcnow() + timedelta(seconds=1))
        )
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.app.router.lifespan_context(app.app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert "Known" in await _until_public(client, "Known", seconds=10)
        async with app.state.sessionmaker() as session, session.begin():
            session.add(
                Skill(name="Added", is_published=False, publish_at=utcnow() + timedelta(seconds=1))
            )
        assert "Added" in await _until_public(client, "Added", seconds=15)
        for _ in range(200):
            if "Ending" not in await _public_names(client):
                break
            await asyncio.sleep(0.05)
        assert sorted(await _public_names(client)) == ["Added", "Known"]
    await app.database.close()

    async with make_sessionmaker(engine)() as session:
        actors = (await session.scalars(select(AuditLog.username))).all()
        early = await session.scalar(select(Skill).where(Skill.name == "Early"))
    assert set(actors) == {SCHEDULE_ACTOR} and len(actors) == 3
    assert early is not None and not early.is_published, "a day ahead: not yet"


async def test_a_schedule_written_elsewhere_is_applied_at_the_next_regular_tick(
    settings: Settings, engine: AsyncEngine, database_url: str
) -> None:
    from cms.core.db import create_engine
    from tests.databases import make_settings

    settings = settings.model_copy(update={"publish_due_poll_seconds": 0.5})
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    elsewhere = create_engine(make_settings(database_url))  # another instance's engine
    try:
        async with (
            app.app.router.lifespan_context(app.app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            await asyncio.sleep(0.2)  # the first tick has run and sleeps
            async with make_sessionmaker(elsewhere)() as session, session.begin():
                session.add(Skill(name="Remote", is_published=False, publish_at=utcnow()))
            assert "Remote" in await _until_public(client, "Remote", seconds=15)
    finally:
        await elsewhere.dispose()
        await app.database.close()
