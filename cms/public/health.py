"""``GET /health``: service and database status."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cms.public.httpcache import health_payload

__all__ = ["CacheState", "HealthResponse", "router"]

router = APIRouter(tags=["health"])


class CacheState(BaseModel):
    """What one instance holds in memory and how well it does (``InstanceCache.state``)."""

    entries: int
    bytes: int
    hits: int
    misses: int
    stale: int
    not_modified: int
    unavailable: int
    hit_ratio: float | None
    content_version: int | None
    last_check_age_seconds: float | None
    version_checks: int
    database: Literal["ok", "unavailable", "unknown"]


class HealthResponse(BaseModel):
    """Service status; ``degraded`` (HTTP 503) when the database does not answer."""

    status: Literal["ok", "degraded"]
    service: str
    timestamp: str
    version: str
    database: Literal["ok", "unavailable"]
    cache: CacheState
    """This instance's stored responses in memory."""


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
    state = request.app.state
    body, status = await health_payload(state.settings.service_name, state.instance_cache)
    return JSONResponse(body, status_code=status)
