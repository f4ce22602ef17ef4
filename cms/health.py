"""``GET /health``: service and database status."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from cms import __version__
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


@router.get(
    "/health",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Database unavailable"}},
)
async def health(request: Request) -> JSONResponse:
    """Report whether the service and its database are up."""
    settings = request.app.state.settings
    try:
        async with asyncio.timeout(settings.database_timeout):
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database means degraded, never a 500
        database = "unavailable"
    body = HealthResponse(
        status="ok" if database == "ok" else "degraded",
        service=settings.service_name,
        timestamp=utcnow().isoformat(),
        version=__version__,
        database=database,
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
