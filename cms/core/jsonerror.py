"""The product's error shape, ``{"error", "status_code", "timestamp"[, "details"]}``, light.

Importable without FastAPI: the public read path sends its errors with it, and
:mod:`cms.core.errors` routes every FastAPI error through it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["error_response"]


def error_response(
    status_code: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error in the product's shape."""
    body: dict[str, Any] = {
        "error": message,
        "status_code": status_code,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status_code, headers=headers)
