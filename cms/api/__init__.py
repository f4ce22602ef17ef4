"""The public, read-only JSON API: routers and the middlewares that keep it read-only."""

from __future__ import annotations

from cms.api.middleware import (
    API_METHODS,
    ApiCORSMiddleware,
    HeadAsGetMiddleware,
    ReadOnlyApiMiddleware,
)
from cms.api.routes import router

__all__ = [
    "API_METHODS",
    "ApiCORSMiddleware",
    "HeadAsGetMiddleware",
    "ReadOnlyApiMiddleware",
    "router",
]
