"""``create_app()``: the one FastAPI application served locally, on Lambda and in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from cms import __version__
from cms.admin import mount_admin
from cms.content.session import make_sessionmaker
from cms.core.config import Settings, get_settings
from cms.core.db import create_engine
from cms.core.errors import ErrorResponse, install_error_handlers
from cms.core.hosts import HostGuardMiddleware
from cms.public.cache import install_response_cache
from cms.public.cors import ApiCORSMiddleware, api_cors_options
from cms.public.health import router as health_router
from cms.public.methods import (
    CurrentVersionMiddleware,
    HeadAsGetMiddleware,
    ReadOnlyApiMiddleware,
)
from cms.public.routes import router as api_router

__all__ = ["create_app"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Under uvicorn: poll for content changes and call the build hooks (``cms.rebuild``).

    On shutdown, close the database connections of an engine the app made itself. Mangum runs
    with lifespan off, so on Lambda this never runs (a schedule calls the check); the import
    stays here to keep httpx off the Lambda cold path.
    """
    from cms.rebuild import rebuild_lifespan

    async with rebuild_lifespan(app):
        yield
    if app.state.owns_engine:
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the app on ``engine`` (or one made from ``settings``)."""
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
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        responses={500: {"model": ErrorResponse, "description": "Internal server error"}},
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.owns_engine = owns_engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)
    app.include_router(health_router)
    # A lazy mount: SQLAdmin & co. are imported on the first /admin request, not here.
    mount_admin(app, engine=engine, settings=settings)
    app.include_router(api_router)
    # The response cache goes innermost, so it sees only GET and CORS headers are computed
    # per request outside it, never stored.
    install_response_cache(app, settings, engine)
    # Added innermost first: CORS (preflights) → read-only 405/OPTIONS → HEAD run as GET.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(ReadOnlyApiMiddleware)
    # The Lambda fast path (cms.public.fastpath) wraps its answers in the same CORS configuration.
    app.add_middleware(ApiCORSMiddleware, **api_cors_options(settings))
    app.add_middleware(CurrentVersionMiddleware)
    # Outermost: no answer, not even a CORS preflight, echoes a host ALLOWED_HOSTS does not name.
    app.add_middleware(HostGuardMiddleware, allowed_hosts=settings.allowed_hosts)
    return app
