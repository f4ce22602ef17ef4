"""The product's error shape, ``{"error", "status_code", "timestamp"[, "details"]}``, light.

Importable without FastAPI: :func:`error_body` builds the shape with the standard library and
every error goes through it, the public read path's and the full app's
(:mod:`cms.core.errors`) as :func:`error_response`, the Lambda handler's malformed events as
an API Gateway answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["error_body", "error_response"]


def error_body(
    status_code: int, message: str, *, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The body of a JSON error in the product's shape."""
    body: dict[str, Any] = {
        "error": message,
        "status_code": status_code,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if details is not None:
        body["details"] = details
    return body


def error_response(
    status_code: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the product's shape."""
    body = error_body(status_code, message, details=details)
    return JSONResponse(body, status_code=status_code, headers=headers)
