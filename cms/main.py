"""``create_app()``: the one FastAPI application served locally, on Lambda and in tests."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from cms import __version__
from cms.config import Settings, get_settings
from cms.db import create_engine, make_sessionmaker
from cms.errors import ErrorResponse, install_error_handlers
from cms.health import router as health_router

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the app on ``engine`` (or one made from ``settings``)."""
    settings = settings or get_settings()
    engine = engine or create_engine(settings)
    docs = settings.docs_enabled
    app = FastAPI(
        title="Portfolio CMS",
        version=__version__,
        summary="The public, read-only API of a developer's CV (JSON Resume compatible).",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        responses={500: {"model": ErrorResponse, "description": "Internal server error"}},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)
    app.include_router(health_router)
    return app
