"""The public, read-only JSON API: routers and the middlewares that keep it read-only."""

from __future__ import annotations

from cms.api.middleware import HeadAsGetMiddleware, ReadOnlyApiMiddleware
from cms.api.routes import router
from cms.cors import ApiCORSMiddleware

__all__ = [
    "ApiCORSMiddleware",
    "HeadAsGetMiddleware",
    "ReadOnlyApiMiddleware",
    "router",
]
