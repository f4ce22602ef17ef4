"""``GET /health``: the status for anyone, the details for the owner's read-drafts token.

Anyone gets ``{"status": "ok"}`` (``200``) or ``{"status": "degraded"}`` (``503``): enough for
a load balancer or an uptime probe, nothing about the instance. The service, version, database
and this instance's cache figures are answered only to a live ``read-drafts`` token, privately
(``private, no-store``); any other token is a ``401``. The read path answers the public form
(:mod:`cms.public.readpath`) and sends a request with a token here.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cms.core.deps import SessionDep
from cms.core.tokenhash import READ_DRAFTS, presented_token
from cms.public.httpcache import health_payload
from cms.public.openapi import ANONYMOUS_TOO, TOKEN, error
from cms.public.preview import NO_STORE, require_token

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
    """Service status; ``degraded`` (HTTP 503) when the database does not answer.

    Only ``status`` is public; the other fields come with a read-drafts token.
    """

    status: Literal["ok", "degraded"]
    service: str | None = None
    timestamp: str | None = None
    version: str | None = None
    database: Literal["ok", "unavailable"] | None = None
    cache: CacheState | None = None
    """This instance's stored responses in memory."""


@router.get(
    "/health",
    response_model=HealthResponse,
    response_model_exclude_none=True,
    dependencies=TOKEN,
    openapi_extra={"security": ANONYMOUS_TOO},
    responses={
        401: error("A token was sent that is not a live read-drafts token"),
        503: {"model": HealthResponse, "description": "Database unavailable"},
    },
)
async def health(request: Request, session: SessionDep) -> JSONResponse:
    """Report whether the service and its database are up (details with a read-drafts token).

    The database status is the response cache's content-version check: confirmed at most
    ``cache_version_check_interval`` seconds ago, bounded by ``database_timeout``, and free
    (no SQL) when recently confirmed, which keeps frequent health probes cheap.
    """
    state = request.app.state
    service, cache = state.settings.service_name, state.instance_cache
    if presented_token(request.headers.raw) is None:
        body, status = await health_payload(service, cache)
        return JSONResponse(body, status_code=status)
    await require_token(request, session, READ_DRAFTS)
    body, status = await health_payload(service, cache, details=True)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": NO_STORE})
