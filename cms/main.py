"""``create_app()``: the application served locally, on Lambda and in tests.

The public read path (:class:`cms.public.readpath.ReadPath`) answers every public ``GET`` from
the stored responses (:mod:`cms.content.publish`); the full FastAPI app (:func:`create_full_app`)
behind it serves the admin, ``/docs``, the OpenAPI document, previews and resume sync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from cms import __version__
from cms.admin import mount_admin
from cms.content.publish import ensure_published
from cms.content.schedule import publish_due_lifespan, scheduled_publish_due
from cms.content.session import make_sessionmaker
from cms.core.bodylimit import BodyLimit, limits_by_path
from cms.core.config import Settings, get_settings
from cms.core.db import create_engine
from cms.core.errors import ErrorResponse, install_error_handlers
from cms.core.readsettings import ReadSettings
from cms.public.docs import install_docs
from cms.public.health import router as health_router
from cms.public.home import router as home_router
from cms.public.readpath import ReadPath
from cms.public.routes import router as api_router
from cms.public.sync import RESUME
from cms.public.sync import router as sync_router
from cms.rebuild import rebuild_lifespan, scheduled_rebuild
from cms.staticpub import publish_lifespan, publish_pending, watch_commits

__all__ = ["create_app", "create_full_app", "on_schedule"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Under uvicorn: publish the running code's responses if the stored ones are older, then
    apply scheduled publishing when due (``cms.content.schedule``), poll for content changes to
    call the build hooks (``cms.rebuild``), and retry static copies that are behind
    (``cms.staticpub``).

    On shutdown, close the database connections of an engine the app made itself. Mangum runs
    with lifespan off, so on Lambda this never runs (a schedule calls the check).
    """
    await ensure_published(app.state.engine)
    async with (
        publish_due_lifespan(app),
        rebuild_lifespan(app),
        publish_lifespan(app.state.engine, app.state.settings),
    ):
        yield
    if app.state.owns_engine:
        await app.state.engine.dispose()


async def on_schedule(state: Any) -> dict[str, Any]:
    """The scheduled event on Lambda, where no lifespan runs: publish this release's responses
    if the stored ones were rendered by other code, apply the scheduled changes that are due,
    the rebuild check, then the static copies that are behind.

    ``state`` is the full app's (engine, sessionmaker, settings).
    """
    published = await ensure_published(state.engine)
    due = await scheduled_publish_due(state.sessionmaker, state.settings)
    rebuilt = await scheduled_rebuild(state.sessionmaker, state.settings)
    copies = await publish_pending(state.engine, state.settings)
    static = {copy.target: copy.error or "ok" for copy in copies}
    return {**rebuilt, "published": published, "publish_due": due, "static": static}


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> ReadPath:
    """The read path in front of the full app, on ``engine`` (or one made from ``settings``)."""
    settings = settings or get_settings()
    return ReadPath(ReadSettings.from_settings(settings), app=create_full_app(settings, engine))


def create_full_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> FastAPI:
    """The FastAPI app (admin, docs, OpenAPI) on ``engine`` (or one made from ``settings``)."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or create_engine(settings)
    docs = settings.docs_enabled
    app = FastAPI(
        title="Portfolio CMS",
        version=__version__,
        summary="The public, read-only API of a developer's CV (JSON Resume compatible).",
        description="Every path under `/api/v1/` also answers under `/api/`, the current "
        "version: the same bytes and the same ETag.",
        # FastAPI's own docs pages load their scripts from a CDN: cms.public.docs serves them.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        responses={500: {"model": ErrorResponse, "description": "Internal server error"}},
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.owns_engine = owns_engine
    app.state.sessionmaker = make_sessionmaker(engine)
    watch_commits(engine, settings)  # static publishing after each committed write (cms.staticpub)
    install_error_handlers(app)
    # Every body is capped before it is read; cms.admin.guard narrows the admin's by form.
    limits = {"/admin": settings.upload_max_bytes, RESUME: settings.resume_max_bytes}
    app.add_middleware(BodyLimit, limit=limits_by_path(limits, default=settings.body_max_bytes))
    app.include_router(health_router)
    app.include_router(home_router)
    if docs:
        install_docs(app)
    # A lazy mount: SQLAdmin & co. are imported on the first /admin request, not here.
    mount_admin(app, engine=engine, settings=settings)
    # Previews and the API's reference: without a token the read path answers these paths.
    app.include_router(api_router)
    app.include_router(sync_router)
    return app
