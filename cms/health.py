"""``GET /health``: service and database status."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cms import __version__
from cms.cache import CacheState
from cms.models import utcnow

__all__ = ["HealthResponse", "router"]

router = APIRouter(tags=["health"])


class HealthResponse(BaseModel):
    """Service status; ``degraded`` (HTTP 503) when the database does not answer."""

    status: Literal["ok", "degraded"]
    service: str
    timestamp: str
    version: str
    database: Literal["ok", "unavailable"]
    cache: CacheState
    """This instance's public-API response cache."""


@router.get(
    "/health",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Database unavailable"}},
)
async def health(request: Request) -> JSONResponse:
    """Report whether the service and its database are up.

    The database status is the response cache's content-version check: confirmed at most
    ``cache_version_check_interval`` seconds ago, bounded by ``database_timeout``, and free
    (no SQL) when recently confirmed, which keeps frequent health probes cheap.
    """
    settings = request.app.state.settings
    cache = request.app.state.response_cache
    database = "unavailable" if await cache.version() is None else "ok"
    body = HealthResponse(
        status="ok" if database == "ok" else "degraded",
        service=settings.service_name,
        timestamp=utcnow().isoformat(),
        version=__version__,
        database=database,
        cache=cache.state(),
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
