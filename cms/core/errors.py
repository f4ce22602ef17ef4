"""One JSON error shape everywhere: ``{"error", "status_code", "timestamp"[, "details"]}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cms.core.jsonerror import error_response
from cms.core.outage import is_database_unavailable, unavailable_response

__all__ = ["ErrorResponse", "error_response", "install_error_handlers"]

logger = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: str
    status_code: int
    timestamp: str
    details: list[dict[str, Any]] | None = None


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, str(exc.detail), headers=headers)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    return error_response(422, "Invalid request", details=details)


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After`` for a database outage (:mod:`cms.core.outage`), else 500."""
    method, path = request.method, request.url.path
    if is_database_unavailable(exc):
        logger.warning("database unavailable on %s %s: %s", method, path, type(exc).__name__)
        return unavailable_response()
    logger.error("unhandled error on %s %s", method, path, exc_info=exc)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through :func:`error_response`."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # Outages usually arrive as these; handled here, they are not re-raised to the server.
    app.add_exception_handler(SQLAlchemyError, _server_error)
    app.add_exception_handler(OSError, _server_error)
    app.add_exception_handler(Exception, _server_error)
